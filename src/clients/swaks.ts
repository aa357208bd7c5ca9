/**
 * swaks, the SMTP test tool, as a process, the message on stdin. `--timeout` covers reads only. With
 * the job's AUTH login, the password goes in swaks's environment (`SWAKS_OPT_auth_password`, swaks(1)
 * CONFIGURATION ENVIRONMENT VARIABLES), never on the command line, where `ps` would show it.
 */
import { exitReport, runProcess } from './process.js';
import { tlsStart, tlsVerifies } from './tls-mode.js';
import type { ClientReport, SmtpClientAdapter, SmtpJob } from './types.js';

/**
 * swaks's TLS arguments for a job: `--tls` requires STARTTLS, `--tlsc` (`--tls-on-connect`) speaks TLS
 * from the first octet (RFC 8314 §3.3); either fails with exit 29. swaks verifies the certificate only
 * when given `--tls-verify`, against `--tls-ca-path FILE` (the job's CA) or else OpenSSL's default CAs.
 * swaks 20201014 checks the chain, not the host name.
 */
export function swaksTls(job: Pick<SmtpJob, 'tls' | 'ca'>): readonly string[] {
  const mode = job.tls ?? 'none';
  const start = tlsStart(mode);
  if (start === 'none') return [];
  const verify = tlsVerifies(mode) ? ['--tls-verify', ...(job.ca ? ['--tls-ca-path', job.ca] : [])] : [];
  return [start === 'implicit' ? '--tlsc' : '--tls', ...verify];
}

/** The environment variable swaks 20201014 reads its `--auth-password` from. */
const PASSWORD_ENV = 'SWAKS_OPT_auth_password';

/** swaks takes `<>` for an empty user name or password; an empty value would make it prompt for one. */
const orEmpty = (value: string): string => (value === '' ? '<>' : value);

/**
 * swaks's AUTH arguments and environment: none without a login (not even an empty password variable:
 * swaks would take it for `--auth-password` without a value, which implies `--auth`). With one, `--auth`
 * (the mechanisms the server offers, each tried until one succeeds: swaks 20201014 tries LOGIN, then
 * PLAIN), required: a server that offers no AUTH, or refuses every mechanism, ends the run with exit 28
 * before MAIL, as msmtp's `--auth=on` and smtplib's login() do. `--auth-hide-password` keeps the
 * password out of what swaks prints, should an AUTH line reach its output.
 */
export function swaksAuth(job: Pick<SmtpJob, 'auth'>): { readonly args: readonly string[]; readonly env: Readonly<Record<string, string>> } {
  if (!job.auth) return { args: [], env: {} };
  return {
    // Each option that takes an optional value is followed by another option, so it never takes the next word.
    args: ['--auth', '--auth-hide-password', '--auth-user', orEmpty(job.auth.user)],
    env: { [PASSWORD_ENV]: orEmpty(job.auth.password) },
  };
}

/** swaks's arguments for a job (the password is never among them: see swaksAuth). */
export function swaksArgs(job: SmtpJob): string[] {
  return [
    '--server',
    job.host,
    '--port',
    String(job.port),
    '--from',
    job.from,
    '--to',
    job.to.join(','),
    '--data',
    '-',
    '--timeout',
    `${Math.max(1, Math.ceil(job.timeouts.socket / 1000))}s`,
    '--silent',
    '2',
    ...swaksAuth(job).args,
    ...swaksTls(job),
  ];
}

function send(job: SmtpJob, signal: AbortSignal): Promise<ClientReport> {
  return runProcess('swaks', swaksArgs(job), { stdin: job.content, signal, env: swaksAuth(job).env }).then(exitReport);
}

/** swaks. */
export const swaksClient: SmtpClientAdapter = {
  name: 'swaks',
  protocol: 'smtp',
  description: 'swaks, the Swiss Army Knife for SMTP, as a process',
  requires: { command: 'swaks', install: 'apt-get install swaks libnet-ssleay-perl libio-socket-inet6-perl' },
  // swaks(1) EXIT CODES: 2 connect, 6 closed, 21-28 the step that failed (28: AUTH, e.g. the 535 to a wrong password),
  // 29 TLS (refused, handshake or certificate), 32 EHLO after TLS.
  exitCodes: {
    2: 'wire',
    6: 'wire',
    21: 'reply',
    22: 'reply',
    23: 'reply',
    24: 'reply',
    25: 'reply',
    26: 'reply',
    27: 'reply',
    28: 'reply',
    29: 'ended',
    32: 'reply',
  },
  // swaks writes CRLF after the data even when it already ends with one, then the dot.
  trailer: Buffer.from('\r\n'),
  run: send,
  authenticates: true,
  // It reads the message from stdin whole before it connects: the run is weighed by the memory budget.
  holdsContent: Number.POSITIVE_INFINITY,
};
