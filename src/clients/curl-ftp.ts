/**
 * curl's FTP transfer (`ftp://`), as a process: an upload reads `data` from stdin (`-T -`), a download
 * writes to a temporary file whose size and SHA-256 become `received`. Credentials go in a config file (mode 0600, `-K`),
 * never on the command line, where `ps` would show them.
 *
 *   temp dir (0700) ─► config (user) ─► curl -K config ... ftp://host:port/%2Fpath ─► exit code
 *        └─ download: -o file ─► received (size, SHA-256)                     └─ resume: failed? once more with -C -
 *
 * Modes: passive is curl's default (EPSV, then PASV if EPSV fails; since 7.74 curl ignores the address in
 * a 227 and connects to the control connection's host). Active is `--ftp-port -` with curl's default
 * EPRT, then PORT if EPRT fails: no `--disable-eprt`, so a server or fault that refuses EPRT meets the
 * fallback a real user of curl meets. Over IPv6 there is no fallback and curl 7.88 does not say so: after
 * `disabling EPRT usage` it skips PORT (IPv4 only), sends nothing, and waits for a reply to a command it
 * never sent until its server-response timeout (120 s, no CLI option): `hung` at the runner's deadline.
 *
 * Timeouts: `--connect-timeout` for the control (and passive data) connect, `--speed-limit 1
 * --speed-time` for a stalled transfer. curl has no per-read timeout and the CLI does not expose
 * CURLOPT_ACCEPTTIMEOUT_MS: in active mode it waits 60 s (its default) for the server to connect back
 * once the server has sent its 150, then exits 12. Until that 150 (a server still connecting back to
 * a data port that drops its SYNs sends none) it waits for the reply to STOR, up to its server-response
 * timeout (120 s), then exits 28. No `--max-time`: past the runner's deadline the process group is
 * killed (`hung`).
 *
 * TLS (FtpJob.tls): see curlFtpTlsArgs. curl resumes the control connection's TLS session on every data
 * connection (measured against vsftpd's require_ssl_reuse=YES: accepted).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestFile } from '../util/digest.js';
import { curlConfigUser, curlTimeoutArgs } from './curl.js';
import { tlsFacts } from './tls-mode.js';
import { exitReport, inTempDir, resumingOnce, runProcess, type ProcessRun } from './process.js';
import type { ClientReport, ExitMeaning, FtpClientAdapter, FtpJob, FtpMode } from './types.js';

/** Per mode: passive is curl's default; active lets curl pick the control connection's local address. */
const MODE_ARGS: Readonly<Record<FtpMode, readonly string[]>> = {
  passive: ['--ftp-pasv'],
  active: ['--ftp-port', '-'],
};

/** Where a run's files live: the credentials config, and the download's output. */
export interface CurlFtpFiles {
  readonly config: string;
  readonly output: string;
}

/**
 * The URL for an absolute path: `%2F` keeps the path absolute (RFC 1738 §3.2.2), and with
 * `--ftp-method nocwd` curl sends it whole (`STOR /dir/f`) instead of CWD per segment.
 */
export function curlFtpUrl(job: Pick<FtpJob, 'host' | 'port' | 'path' | 'tls'>): string {
  const host = job.host.includes(':') ? `[${job.host}]` : job.host;
  const path = job.path
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent)
    .join('/');
  return `${tlsFacts(job).implicit ? 'ftps' : 'ftp'}://${host}:${job.port}/%2F${path}`;
}

/**
 * TLS: `--ssl-reqd` makes curl fail (exit 64) rather than go on in clear text when AUTH TLS is refused,
 * and protects the data connections (PROT P); `ftps://` (in the URL) is implicit TLS. Verifying: against
 * `--cacert` when the job has a CA, else the system's; not verifying: `--insecure`.
 */
export function curlFtpTlsArgs(job: Pick<FtpJob, 'tls' | 'ca'>): string[] {
  const tls = tlsFacts(job);
  if (!tls.on) return [];
  return ['--ssl-reqd', ...(tls.verify ? (job.ca ? ['--cacert', job.ca] : []) : ['--insecure'])];
}

/** curl's arguments for one attempt; `resume` adds `-C -` (SIZE, then APPE from the server's size). */
export function curlFtpArgs(job: FtpJob, files: CurlFtpFiles, resume: boolean): string[] {
  return [
    '--disable', // first: no ~/.curlrc
    '--silent',
    '--show-error',
    '--config',
    files.config,
    ...curlTimeoutArgs(job.timeouts),
    '--ftp-method',
    'nocwd',
    ...(job.source ? ['--interface', job.source] : []),
    ...MODE_ARGS[job.mode],
    ...curlFtpTlsArgs(job),
    ...(resume ? ['--continue-at', '-'] : []),
    ...(job.direction === 'upload' ? ['--upload-file', '-'] : ['--output', files.output]),
    curlFtpUrl(job),
  ];
}

/**
 * curl(1) EXIT CODES that an FTP transfer can end with: what each means for classify, and in words.
 * `reply`: the server refused a command. `ended`: a reply curl could not parse, so it gave up.
 * `wire`: 7 connect, 18 data connection ended short, 28 a timeout or a 421, 52 nothing, 55 send, 56 recv.
 */
const EXITS: Readonly<Record<number, readonly [ExitMeaning, string]>> = {
  7: ['wire', 'failed to connect'],
  8: ['ended', 'weird server reply'],
  9: ['reply', 'access denied'],
  10: ['reply', 'accept failed (active mode)'],
  11: ['ended', 'weird PASS reply'],
  12: ['timeout', 'server did not connect back in time (active mode)'],
  13: ['ended', 'weird PASV/EPSV reply'],
  14: ['ended', 'weird 227 format'],
  15: ['ended', 'cannot use the host in the 227'],
  17: ['reply', 'could not set binary (TYPE I)'],
  18: ['wire', 'partial file'],
  19: ['reply', 'RETR failed'],
  21: ['reply', 'quote command failed'],
  25: ['reply', 'STOR failed'],
  // Also curl's answer to any 421 (its ftp.c: "We got a 421 - timeout"), read at once: the wire tells
  // that 421 and the close after it from curl's own timer running out (nothing cut, no failure reply).
  28: ['wire', 'timeout, or a 421'],
  30: ['reply', 'PORT/EPRT failed'],
  31: ['reply', 'REST failed'],
  35: ['ended', 'TLS handshake failed'],
  52: ['wire', 'empty reply'],
  55: ['wire', 'send failure'],
  56: ['wire', 'receive failure'],
  60: ['ended', 'server certificate not trusted'],
  64: ['ended', 'TLS required (--ssl-reqd) but AUTH TLS refused'],
  67: ['reply', 'login denied'],
  78: ['reply', 'remote file not found'],
};

/**
 * In active mode curl 7.88 often reports `sa_addr inet_ntop() failed with errno 97` whatever went
 * wrong (its error buffer keeps the first message); the exit code is still right, so say what it means.
 */
function reportOf(run: ProcessRun): ClientReport {
  const report = exitReport(run);
  if (report.ok || !report.error.message.includes('sa_addr inet_ntop() failed')) return report;
  const code = report.error.exitCode;
  const meaning = code === undefined ? undefined : EXITS[code]?.[1];
  return {
    ok: false,
    error: {
      ...report.error,
      message: `curl: (${code}) ${meaning ?? 'see curl(1) EXIT CODES'} [curl said: ${report.error.message.replace(/^curl: \(\d+\) /, '')}]`,
    },
  };
}

async function attempt(job: FtpJob, files: CurlFtpFiles, resume: boolean, signal: AbortSignal): Promise<ClientReport> {
  const args = curlFtpArgs(job, files, resume);
  const run = await runProcess('curl', args, { ...(job.direction === 'upload' ? { stdin: job.content } : {}), signal });
  const report = reportOf(run);
  if (!report.ok || job.direction === 'upload') return report;
  return { ok: true, detail: report.detail, received: await digestFile(files.output) };
}

function transfer(job: FtpJob, signal: AbortSignal): Promise<ClientReport> {
  const config = curlConfigUser(job.user, job.password);
  return inTempDir(
    'wireprobe-curl-',
    async (dir) => {
      const files: CurlFtpFiles = { config: join(dir, 'config'), output: join(dir, 'download') };
      await writeFile(files.config, config, { mode: 0o600 });
      return resumingOnce(job, signal, '-C -', (resume) => attempt(job, files, resume, signal));
    },
    signal,
  );
}

/** curl as an FTP client. */
export const curlFtpClient: FtpClientAdapter = {
  name: 'curl',
  protocol: 'ftp',
  description: 'curl ftp:// upload or download, as a process',
  requires: { command: 'curl', install: 'apt-get install curl' },
  modes: ['passive', 'active'],
  resumes: true,
  binds: true,
  exitCodes: Object.fromEntries(Object.entries(EXITS).map(([code, [meaning]]) => [code, meaning])),
  run: transfer,
};
