/**
 * Sending several messages with one client: through its own `runMany` when it has one (a pool shares
 * its connections), else one `run` per message, all at once or one after another with a gap.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ClientReport, Sends, SmtpClientAdapter, SmtpJob } from '../clients/types.js';

/** One report per job, in job order. */
export async function sendAll(client: SmtpClientAdapter, jobs: readonly SmtpJob[], sends: Sends, signal: AbortSignal): Promise<ClientReport[]> {
  if (client.runMany) return client.runMany(jobs, sends, signal);
  if (sends.mode === 'parallel') return Promise.all(jobs.map((job) => client.run(job, signal)));
  const reports: ClientReport[] = [];
  for (const [i, job] of jobs.entries()) {
    if (signal.aborted) break; // the deadline passed: start nothing more
    if (i > 0 && sends.gapMs) await delay(sends.gapMs);
    reports.push(await client.run(job, signal));
  }
  return reports;
}
