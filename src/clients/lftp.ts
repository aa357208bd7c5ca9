/**
 * lftp, as a process reading a script file (mode 0600, so the password is never on the command line):
 * settings that bound its retries, `open`, `user`, then one `put` or `get` of a temporary local file.
 *
 *   temp dir (0700) ─► data file + script ─► lftp --norc -f script ─► exit code, stderr (debug 3)
 *                                                  └─ resume: failed? once more with `put -c`
 *
 * lftp reconnects and retries on its own (net:max-retries, default 1000, 30 s apart and growing; after
 * a failure that made progress its count starts over). The settings below make it retry at once, so a
 * loop of tries that each make a little progress (a connection cut after every 256 KiB) runs into its
 * own no-progress timeout (xfer:timeout) within seconds, not into the runner's deadline; a hold the
 * scenario keeps (a held greeting, a port refused for 2 s) is still there when it retries. It exits 1
 * for every failure; the report counts the control connections it tried (its `debug 3` lines) and
 * keeps its last error line.
 *
 * Its own retries send the whole file again (ftp:rest-stor off) unless the job asks for a resume. With
 * REST, lftp 4.9.2 resumes from the server's SIZE, which lags what lftp sent when the server drops what
 * it had not written yet; from there its position bookkeeping goes wrong now and then (a stale 64 KiB
 * read-ahead block at the restart offset, or a short last STOR it then waits on), so whether it
 * delivered, gave up or hung was timing. Sent whole, a retry meets the same fault again (the loop ends
 * in its no-progress timeout) or delivers the file.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestFile } from '../util/digest.js';
import { tlsFacts } from './tls-mode.js';
import { inTempDir, resumingOnce, runProcess, type ProcessRun } from './process.js';
import type { ClientReport, FtpClientAdapter, FtpJob } from './types.js';

const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/** Where a run's files live: the script (with the password), and the local side of the transfer. */
export interface LftpFiles {
  readonly script: string;
  readonly local: string;
}

/** A double-quoted lftp word: lftp's parser takes \" and \\ inside double quotes. */
export function lftpQuote(word: string): string {
  if (/[\r\n]/.test(word)) throw new TypeError('an lftp script word cannot contain CR or LF');
  return `"${word.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * The script for one attempt. Settings, each from lftp(1): one retry, at once (net:max-retries counts
 * tries; a reconnect interval of 0), no extra tries on 5xx (net:persist-retries), net:timeout for every network wait (lftp has no
 * separate connect timeout), xfer:timeout to stop retrying a transfer that makes no progress, no REST
 * before a retried STOR unless the job resumes (ftp:rest-stor; see the top), the mode
 * pinned (ftp:auto-passive-mode would switch to active when PASV fails), TLS as the job says (lftpTlsSettings), no `OPTS UTF8 ON`
 * (sent before USER, a server may answer it 530, and that failure reply would then stand as the
 * client's last reply when a connection dies before the reply to USER), exit at the first failed
 * command, and `debug 3` on stderr (level 3 prints no commands, so no PASS line). With a source
 * address, net:socket-bind-ipv4 binds every connection to it.
 */
export function lftpScript(job: FtpJob, files: LftpFiles, resume: boolean): string {
  const tls = tlsFacts(job);
  const timeout = seconds(job.timeouts.socket);
  const transfer =
    job.direction === 'upload'
      ? `put ${resume ? '-c ' : ''}${lftpQuote(files.local)} -o ${lftpQuote(job.path)}`
      : `get ${lftpQuote(job.path)} -o ${lftpQuote(files.local)}`;
  return [
    'set cmd:interactive no',
    'set cmd:fail-exit yes',
    'set cmd:save-cwd-history no',
    'set cmd:save-rl-history no',
    'set net:max-retries 2',
    'set net:persist-retries 0',
    'set net:reconnect-interval-base 0',
    'set net:reconnect-interval-multiplier 1',
    'set net:reconnect-interval-max 0',
    `set net:timeout ${timeout}`,
    `set xfer:timeout ${timeout}`,
    `set ftp:rest-stor ${job.resume ? 'yes' : 'no'}`,
    `set dns:fatal-timeout ${seconds(job.timeouts.connect)}`,
    'set dns:max-retries 1',
    ...(job.source ? [`set net:socket-bind-ipv4 ${lftpQuote(job.source)}`] : []),
    ...lftpTlsSettings(job),
    'set ftp:use-utf8 no',
    `set ftp:passive-mode ${job.mode === 'passive' ? 'on' : 'off'}`,
    'set ftp:auto-passive-mode no',
    'debug 3',
    `open -p ${job.port} ${lftpQuote(tls.implicit ? `ftps://${job.host.includes(':') ? `[${job.host}]` : job.host}` : job.host)}`,
    `user ${lftpQuote(job.user)} ${lftpQuote(job.password)}`,
    transfer,
    '',
  ].join('\n');
}

/**
 * TLS settings, each from lftp(1): without TLS `ftp:ssl-allow no` (lftp would otherwise use AUTH TLS
 * whenever FEAT offers it). With it: `ftp:ssl-force` (fail rather than log in in clear text),
 * `ftp:ssl-protect-data` (PROT P), `ssl:verify-certificate`, and the CA in `ssl:ca-file` when the job has
 * one. Implicit TLS is the `ftps://` scheme in `open`.
 */
export function lftpTlsSettings(job: Pick<FtpJob, 'tls' | 'ca'>): string[] {
  const tls = tlsFacts(job);
  if (!tls.on) return ['set ftp:ssl-allow no'];
  return [
    'set ftp:ssl-allow yes',
    'set ftp:ssl-force yes',
    'set ftp:ssl-protect-data yes',
    `set ssl:verify-certificate ${tls.verify ? 'yes' : 'no'}`,
    ...(tls.verify && job.ca ? [`set ssl:ca-file ${lftpQuote(job.ca)}`] : []),
  ];
}

/** lftp's arguments: no rc files (~/.lftprc could change any setting above), the script. */
export function lftpArgs(files: LftpFiles): string[] {
  return ['--norc', '-f', files.script];
}

/** lftp's debug lines start with these; anything else on stderr is an error message. */
const DEBUG_LINE = /^(---- |---> |<--- |\*\*\*\* |\+ )/;

/** The control connections lftp opened, from its `---- Connecting to HOST` lines. */
export function lftpConnections(stderr: string): number {
  return stderr.split('\n').filter((line) => line.startsWith('---- Connecting to ')).length;
}

function report(run: ProcessRun, files: LftpFiles): ClientReport {
  const connections = lftpConnections(run.stderr);
  const count = `${connections} connection attempt${connections === 1 ? '' : 's'}`;
  if (run.exitCode === 0) return { ok: true, detail: `exit 0, ${count}` };
  const lines = run.stderr.trim().split('\n');
  // `put: /tmp/wireprobe-lftp-x/data: Access failed: 553 ...`: the temporary file's name says nothing.
  const last = (lines.filter((line) => !DEBUG_LINE.test(line)).at(-1) ?? lines.at(-1) ?? '').replace(`${files.local}: `, '');
  const message = run.spawnError ? `cannot start: ${run.spawnError}` : `${last} (${count})`;
  return { ok: false, error: { ...(run.exitCode === null ? {} : { exitCode: run.exitCode }), message } };
}

async function attempt(job: FtpJob, files: LftpFiles, resume: boolean, signal: AbortSignal): Promise<ClientReport> {
  await writeFile(files.script, lftpScript(job, files, resume), { mode: 0o600 });
  const result = report(await runProcess('lftp', lftpArgs(files), { signal }), files);
  if (!result.ok || job.direction === 'upload') return result;
  return { ok: true, detail: result.detail, received: await digestFile(files.local) };
}

function transfer(job: FtpJob, signal: AbortSignal): Promise<ClientReport> {
  return inTempDir(
    'wireprobe-lftp-',
    async (dir) => {
      const files: LftpFiles = { script: join(dir, 'script'), local: join(dir, 'data') };
      if (job.direction === 'upload') await job.content.writeTo(files.local, { signal });
      return resumingOnce(job, signal, 'put -c', (resume) => attempt(job, files, resume, signal));
    },
    signal,
  );
}

/** lftp as an FTP client. */
export const lftpClient: FtpClientAdapter = {
  name: 'lftp',
  protocol: 'ftp',
  description: 'lftp put or get from a script file, as a process (its retries bounded)',
  requires: { command: 'lftp', install: 'apt-get install lftp' },
  modes: ['passive', 'active'],
  resumes: true,
  binds: true,
  // lftp exits 1 for any failed command, so classify reads the wire: the RST or FIN the proxy sent,
  // else the last failure reply shown (lftp gives up at once on 530 to PASS or 5xx to STOR, after one
  // retry on 4xx or on 502 to PORT), else still open or never connected. Not `reply`: lftp ignores a 530
  // to its OPTS UTF8 before login, which must not outrank an RST that came later.
  exitCodes: { 1: 'wire' },
  run: transfer,
};
