/**
 * curl's SMTP upload (`smtp://`), as a process, the message on stdin. Timeouts: --connect-timeout for
 * the connection, and --speed-limit 1 --speed-time for inactivity (curl has no per-read timeout).
 */
import type { TlsMode } from '../engine/types.js';
import { exitReport, runProcess } from './process.js';
import type { SmtpClientAdapter, ClientReport, SmtpJob } from './types.js';

const seconds = (ms: number): string => String(Math.max(1, Math.ceil(ms / 1000)));

/** Per TLS mode: `--ssl-reqd` requires STARTTLS (fails rather than send in clear), `--insecure` skips verification. */
const TLS_ARGS: Readonly<Record<TlsMode, readonly string[]>> = {
  none: [],
  starttls: ['--ssl-reqd', '--insecure'],
  'starttls-verify': ['--ssl-reqd'],
};

function send(job: SmtpJob, signal: AbortSignal): Promise<ClientReport> {
  const args = [
    '--silent', '--show-error',
    '--connect-timeout', seconds(job.timeouts.connect),
    '--speed-limit', '1', '--speed-time', seconds(job.timeouts.socket),
    ...TLS_ARGS[job.tls ?? 'none'],
    `smtp://${job.host}:${job.port}`,
    '--mail-from', job.from,
    ...job.to.flatMap((to) => ['--mail-rcpt', to]),
    '--upload-file', '-',
  ];
  return runProcess('curl', args, { stdin: job.message, signal }).then(exitReport);
}

/** curl. */
export const curlClient: SmtpClientAdapter = {
  name: 'curl',
  protocol: 'smtp',
  description: 'curl smtp:// upload, as a process',
  requires: { command: 'curl', install: 'apt-get install curl' },
  run: send,
};
