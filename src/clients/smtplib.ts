/**
 * Python's smtplib, run as a process (src/clients/smtplib-send.py): SMTP(), sendmail(), then quit(),
 * as an application would (with STARTTLS first when the job asks for TLS). The script reports exception
 * type, errno name and reply code as JSON.
 */
import { fileURLToPath } from 'node:url';
import { runProcess } from './process.js';
import type { SmtpClientAdapter, ClientReport, SmtpJob } from './types.js';

const SCRIPT = fileURLToPath(new URL('./smtplib-send.py', import.meta.url));

interface ScriptResult {
  ok: boolean;
  reply?: string;
  type?: string;
  errno?: string | null;
  code?: number | null;
  message?: string;
}

async function send(job: SmtpJob, signal: AbortSignal): Promise<ClientReport> {
  const args = [SCRIPT, job.host, String(job.port), job.from, job.to[0] ?? '', String(job.timeouts.socket / 1000), job.tls ?? 'none'];
  const run = await runProcess('python3', args, { stdin: job.message, signal });
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  let result: ScriptResult;
  try {
    result = JSON.parse(line) as ScriptResult;
  } catch {
    const why = run.spawnError ?? `exit ${run.exitCode ?? run.signal}: ${run.stderr.trim().split('\n').at(-1) ?? ''}`;
    return { ok: false, error: { code: 'ESCRIPT', message: `smtplib script gave no result (${why})` } };
  }
  if (result.ok) return { ok: true, detail: result.reply ?? '' };
  return {
    ok: false,
    error: {
      ...(result.type ? { code: result.type } : {}),
      ...(result.errno ? { cause: result.errno } : {}),
      ...(result.code ? { responseCode: result.code } : {}),
      message: result.message ?? '',
    },
  };
}

/** Python's smtplib. */
export const smtplibClient: SmtpClientAdapter = {
  name: 'smtplib',
  protocol: 'smtp',
  description: "Python's smtplib (python3), as a process: SMTP(timeout=socket), sendmail, quit",
  requires: { command: 'python3', install: 'apt-get install python3' },
  run: send,
};
