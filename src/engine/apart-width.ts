/**
 * How many `apart` runs (Scenario.schedule) go at once: as many as the machine's idle cores allow, two
 * per idle core (their expectations were measured 4 at a time on an idle 2-core machine), never more
 * than the caller's limit and never fewer than one. Their verdicts weigh time (1-2 s timeouts against
 * transfers of seconds, greetings held 1.5 s): with both cores already taken by other programs
 * (`stress-ng --cpu 2`), 4 at a time starved the runner past a 5 s greeting timeout in smtp/large,
 * while one at a time kept every verdict of three runs identical to an idle machine's.
 */
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';

/** How long the machine's idle time is sampled before the apart runs start. */
const SAMPLE_MS = 250;

/** Apart runs per idle core. */
const PER_IDLE_CORE = 2;

/** Idle and total CPU time of every core so far, in ms. */
function cpuTimes(): { readonly idle: number; readonly total: number } {
  let idle = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total };
}

/** The cores left idle over `ms` by everything running (ours included: call it between runs), e.g. 1.6 of 2. */
export async function idleCores(ms = SAMPLE_MS): Promise<number> {
  const before = cpuTimes();
  await delay(ms);
  const after = cpuTimes();
  const total = after.total - before.total;
  const share = total > 0 ? (after.idle - before.idle) / total : 1;
  return share * os.cpus().length;
}

/** The apart runs to have in flight at once, given `idle` cores (see the header), at most `limit`. */
export function apartWidth(limit: number, idle: number): number {
  return Math.max(1, Math.min(limit, Math.round(idle * PER_IDLE_CORE)));
}
