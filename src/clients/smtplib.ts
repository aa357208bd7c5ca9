/**
 * Python's smtplib, run as a process (src/clients/smtplib-send.py): SMTP(), sendmail(), then quit(),
 * as an application would (STARTTLS first when the job asks for it; SMTP_SSL for implicit TLS; login()
 * after it when the job has AUTH credentials, passed in the environment). The
 * script reports exception type, errno name and reply code as JSON.
 */
import { fileURLToPath } from 'node:url';
import { runProcess, scriptResult } from './process.js';
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
  const args = [SCRIPT, job.host, String(job.port), job.from, job.to[0] ?? '', String(job.timeouts.socket / 1000), job.tls ?? 'none', job.ca ?? ''];
  // The login goes by the environment, not argv (a process list shows no password); always set, so none is inherited.
  const env = { WIREPROBE_SMTP_USER: job.auth?.user ?? '', WIREPROBE_SMTP_PASSWORD: job.auth?.password ?? '' };
  const run = await runProcess('python3', args, { stdin: job.content, signal, env });
  const parsed = scriptResult<ScriptResult>(run, 'smtplib script');
  if ('failure' in parsed) return parsed.failure;
  const { result } = parsed;
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
  authenticates: true,
  // Its script reads the message whole (smtplib's sendmail takes bytes): the run is weighed by the memory budget.
  holdsContent: Number.POSITIVE_INFINITY,
};
