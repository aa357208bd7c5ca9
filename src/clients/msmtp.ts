/** msmtp, a sendmail-like client, as a process, the message on stdin. It has no timeout unless given. */
import { exitReport, runProcess } from './process.js';
import type { ClientReport, SmtpClientAdapter, SmtpJob, TlsMode } from './types.js';

/** Per TLS mode: STARTTLS off, or required with the certificate checked against the system's CAs or not. */
const TLS_ARGS: Readonly<Record<TlsMode, readonly string[]>> = {
  none: ['--tls=off'],
  starttls: ['--tls=on', '--tls-starttls=on', '--tls-certcheck=off'],
  'starttls-verify': ['--tls=on', '--tls-starttls=on', '--tls-certcheck=on', '--tls-trust-file=system'],
};

function send(job: SmtpJob, signal: AbortSignal): Promise<ClientReport> {
  const args = [
    `--host=${job.host}`,
    `--port=${job.port}`,
    `--from=${job.from}`,
    `--timeout=${Math.max(1, Math.ceil(job.timeouts.socket / 1000))}`,
    '--auth=off',
    ...TLS_ARGS[job.tls ?? 'none'],
    '--',
    ...job.to,
  ];
  return runProcess('msmtp', args, { stdin: job.message, signal }).then(exitReport);
}

/** msmtp. */
export const msmtpClient: SmtpClientAdapter = {
  name: 'msmtp',
  protocol: 'smtp',
  description: 'msmtp, as a process (--timeout set: it has none by default)',
  requires: { command: 'msmtp', install: 'apt-get install msmtp' },
  // msmtp(1) uses sysexits.h: 65 data, 69 unavailable (a failure reply, or TLS_ECERT: a certificate it rejected),
  // 74 I/O error, 75 temporary failure, 76 protocol (also TLS_EHANDSHAKE), 77 permission.
  exitCodes: { 65: 'reply', 69: 'ended', 74: 'wire', 75: 'reply', 76: 'ended', 77: 'reply' },
  run: send,
};
