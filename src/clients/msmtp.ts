/** msmtp, a sendmail-like client, as a process, the message on stdin. It has no timeout unless given. */
import { exitReport, runProcess } from './process.js';
import { tlsStart, tlsVerifies } from './tls-mode.js';
import type { ClientReport, SmtpClientAdapter, SmtpJob } from './types.js';

/**
 * msmtp's TLS arguments for a job: `--tls=off`, or `--tls=on` with `--tls-starttls=on` (STARTTLS
 * required) or `--tls-starttls=off` (TLS from the first octet, RFC 8314 §3.3); the certificate checked
 * against `--tls-trust-file=FILE` (the job's CA, else `system`) or not at all (`--tls-certcheck=off`).
 */
export function msmtpTls(job: Pick<SmtpJob, 'tls' | 'ca'>): readonly string[] {
  const mode = job.tls ?? 'none';
  const start = tlsStart(mode);
  if (start === 'none') return ['--tls=off'];
  const verify = tlsVerifies(mode) ? ['--tls-certcheck=on', `--tls-trust-file=${job.ca ?? 'system'}`] : ['--tls-certcheck=off'];
  return ['--tls=on', `--tls-starttls=${start === 'starttls' ? 'on' : 'off'}`, ...verify];
}

/** The environment variable msmtp's `--passwordeval` reads the job's password from: never on the command line. */
const PASSWORD_ENV = 'WIREPROBE_SMTP_PASSWORD';

/**
 * msmtp's AUTH arguments: `--auth=off` without credentials; with them `--auth=on` (the method msmtp
 * chooses), the user, and the password printed from the environment by `--passwordeval`.
 */
export function msmtpAuth(job: Pick<SmtpJob, 'auth'>): readonly string[] {
  return job.auth ? ['--auth=on', `--user=${job.auth.user}`, `--passwordeval=printenv ${PASSWORD_ENV}`] : ['--auth=off'];
}

function send(job: SmtpJob, signal: AbortSignal): Promise<ClientReport> {
  const args = [
    `--host=${job.host}`,
    `--port=${job.port}`,
    `--from=${job.from}`,
    `--timeout=${Math.max(1, Math.ceil(job.timeouts.socket / 1000))}`,
    ...msmtpAuth(job),
    ...msmtpTls(job),
    '--',
    ...job.to,
  ];
  const env = { [PASSWORD_ENV]: job.auth?.password ?? '' };
  return runProcess('msmtp', args, { stdin: job.content, signal, env }).then(exitReport);
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
  authenticates: true,
};
