/**
 * curl's SMTP upload (`smtp://`, or `smtps://` for implicit TLS), as a process, the message on stdin.
 * Timeouts: --connect-timeout for the connection, and --speed-limit 1 --speed-time for inactivity (curl
 * has no per-read timeout). With the job's AUTH login, the user and password go in a config file (mode
 * 0600, `--config`), never on the command line, where `ps` would show them:
 *
 *   no login ─────────────────────────────► curl smtp://host:port --mail-from ... --upload-file - ─► exit code
 *   login ─► temp dir (0700) ─► config (user) ─► curl --config FILE smtp://... (the same) ─┘
 *
 * curl logs in with the strongest mechanism both sides know (of the mock's PLAIN and LOGIN: PLAIN),
 * and not at all when the EHLO reply offers no AUTH: it goes on to MAIL, as nodemailer does.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exitReport, inTempDir, runProcess } from './process.js';
import { tlsStart, tlsVerifies } from './tls-mode.js';
import type { ClientReport, SmtpClientAdapter, SmtpJob } from './types.js';

/**
 * curl's timeout arguments for a job's timeouts: `--connect-timeout` for connecting, and, since curl
 * has no per-read timeout, `--speed-limit 1 --speed-time` for a transfer that stops moving. curl takes
 * whole seconds; a timeout is never rounded down to none. curl's speed is its average over the last
 * 5 s, so a stall is reported 5-6 s after `--speed-time` (curl 7.88, a data connection that stops
 * reading: 7.3 s with 1 or 2 s, 10.3 s with 4); only a link still for that long ends a transfer with 28.
 */
export function curlTimeoutArgs(timeouts: { readonly connect: number; readonly socket: number }): string[] {
  const seconds = (ms: number): string => String(Math.max(1, Math.ceil(ms / 1000)));
  return ['--connect-timeout', seconds(timeouts.connect), '--speed-limit', '1', '--speed-time', seconds(timeouts.socket)];
}

/**
 * curl's TLS arguments and URL scheme for a job: `smtps://` for implicit TLS (RFC 8314 §3.3), else
 * `smtp://` with `--ssl-reqd` to require STARTTLS (fails rather than send in clear); `--insecure` skips
 * verification, `--cacert FILE` trusts the job's CA instead of the system's.
 */
export function curlTls(job: Pick<SmtpJob, 'tls' | 'ca'>): { readonly scheme: 'smtp' | 'smtps'; readonly args: readonly string[] } {
  const mode = job.tls ?? 'none';
  const start = tlsStart(mode);
  if (start === 'none') return { scheme: 'smtp', args: [] };
  const verify = tlsVerifies(mode) ? (job.ca ? ['--cacert', job.ca] : []) : ['--insecure'];
  return start === 'implicit' ? { scheme: 'smtps', args: verify } : { scheme: 'smtp', args: ['--ssl-reqd', ...verify] };
}

/**
 * A curl config line giving `user:password` (curl(1) `-K`: a double-quoted value takes \\ \" \t \n \r
 * escapes); the file is how the password reaches curl without its command line (SMTP AUTH, FTP login).
 */
export function curlConfigUser(user: string, password: string): string {
  if (/[\r\n]/.test(user + password)) throw new TypeError('a user and password for curl cannot contain CR or LF');
  if (user.includes(':')) throw new TypeError('curl cannot send a user name containing ":"');
  const quoted = `${user}:${password}`.replace(/[\\"]/g, (c) => `\\${c}`);
  return `user = "${quoted}"\n`;
}

/** curl's arguments for an SMTP job; `config`: the file holding the job's login (curlConfigUser), when it has one. */
export function curlSmtpArgs(job: SmtpJob, config?: string): string[] {
  const tls = curlTls(job);
  return [
    '--disable', // first: no ~/.curlrc (a user's proxy or options there would change what is measured)
    '--silent',
    '--show-error',
    ...(config ? ['--config', config] : []),
    ...curlTimeoutArgs(job.timeouts),
    ...tls.args,
    // An IPv6 address goes in brackets (RFC 3986 §3.2.2): `smtp://::1:port` is a malformed URL to curl (exit 3).
    `${tls.scheme}://${job.host.includes(':') ? `[${job.host}]` : job.host}:${job.port}`,
    '--mail-from',
    job.from,
    ...job.to.flatMap((to) => ['--mail-rcpt', to]),
    '--upload-file',
    '-',
  ];
}

async function send(job: SmtpJob, signal: AbortSignal): Promise<ClientReport> {
  const { auth } = job;
  if (!auth) return exitReport(await runProcess('curl', curlSmtpArgs(job), { stdin: job.content, signal }));
  const config = curlConfigUser(auth.user, auth.password);
  return inTempDir(
    'wireprobe-curl-',
    async (dir) => {
      const file = join(dir, 'config');
      await writeFile(file, config, { mode: 0o600 });
      return exitReport(await runProcess('curl', curlSmtpArgs(job, file), { stdin: job.content, signal }));
    },
    signal,
  );
}

/** curl. */
export const curlClient: SmtpClientAdapter = {
  name: 'curl',
  protocol: 'smtp',
  description: 'curl smtp:// (smtps:// for implicit TLS) upload, as a process',
  requires: { command: 'curl', install: 'apt-get install curl' },
  // curl(1) EXIT CODES: 7 connect, 8 weird reply, 28 timeout, 35 TLS handshake, 52 empty reply, 55 send, 56 recv,
  // 60 peer certificate not trusted, 64 TLS required (--ssl-reqd) but STARTTLS failed, 67 login denied (the 535 to AUTH).
  exitCodes: { 7: 'wire', 8: 'reply', 28: 'timeout', 35: 'ended', 52: 'wire', 55: 'wire', 56: 'wire', 60: 'ended', 64: 'ended', 67: 'reply' },
  run: send,
  authenticates: true,
};
