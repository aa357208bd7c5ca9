/**
 * FTP upload rows, all with curl as the client (`curl -T FILE ftp://...`, binary, passive):
 *
 *   mock direct   curl ──► mock FTP server (own process, no proxy), its spool folder on tmpfs
 *   vsftpd        curl ──► vsftpd, its upload directory on tmpfs
 *   through proxy curl ──► wireprobe serve ftp (proxy + mock in one process), its spool on tmpfs
 *   optimised     curl ──► the same, run as `node --turbofan --semi-space-growth-factor=2 bin/wireprobe.js`
 *
 * Rows: the mock's rate against vsftpd's, the proxy's cost (serve ftp over the mock direct), and the
 * peak RSS (VmHWM) of `serve ftp` after one upload and after re-uploads to the same name. `serve ftp`
 * runs with V8's optimising compiler off and its young generation at its starting size (bin/v8-flags.js); the
 * optimised leg runs with V8's defaults (flags given to node win over the bin's), and the RSS row
 * also gives its peak and serve ftp's upload rate against it: the price of the bin's choice.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { SERVE_FTP_V8_FLAGS } from '../../bin/v8-flags.js';
import type { RealServerHandle } from '../../servers/real/types.js';
import { vsftpdLauncher } from '../../servers/real/vsftpd.js';
import { have, memory, serve, timed, type Daemon } from '../lib/procs.js';
import { median, pairRatios, spread, type BenchRow } from '../lib/stats.js';

const MiB = 2 ** 20;

/** Node flags that undo bin/v8-flags.js for `serve ftp`: V8's defaults. */
const V8_DEFAULTS = ['--turbofan', '--semi-space-growth-factor=2'];

export interface FtpUploadOptions {
  readonly rounds: number;
  /** Upload size, octets. */
  readonly bytes: number;
}

/** A file of `bytes` random octets on tmpfs (so reading it costs curl no disk time). */
async function sourceFile(bytes: number): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join('/dev/shm', 'wireprobe-bench-'));
  const path = join(dir, 'upload.bin');
  const out = createWriteStream(path);
  const block = randomBytes(MiB);
  for (let done = 0; done < bytes; done += MiB) {
    if (!out.write(done + MiB <= bytes ? block : block.subarray(0, bytes - done))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise((r) => out.end(r));
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Runs `start` with TMPDIR on tmpfs, where the launcher makes vsftpd's upload directory and the mock its
 * spool folder (both write to the same file system), and puts TMPDIR back as it was, unset included (assigning undefined would set it
 * to the string "undefined" for every process started later).
 */
async function onTmpfs<T>(start: () => Promise<T>): Promise<T> {
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = '/dev/shm';
  try {
    return await start();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}

/** The mock FTP server in a child process, direct. */
async function mockDirect(): Promise<Daemon> {
  // With serve ftp's V8 flags, so that the proxy's cost is the only difference between the two.
  const child = spawn(process.execPath, [...SERVE_FTP_V8_FLAGS, '--import', 'tsx', fileURLToPath(new URL('../mock-ftp-child.ts', import.meta.url))], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for await (const line of createInterface({ input: child.stdout! })) {
    const url = /:(\d+)$/.exec(line);
    if (url) return { pid: child.pid!, port: Number(url[1]), stop: async () => void (child.kill('SIGTERM'), await new Promise((r) => child.once('exit', r))) };
  }
  throw new Error('mock FTP child exited before it listened');
}

/** The servers FTP rows compare, on tmpfs: the mock direct, `serve ftp`, and vsftpd when installed; each one's stop goes to `stops` as it starts. */
export async function ftpServers(stops: (() => Promise<void>)[]): Promise<{ mock: Daemon; wp: Daemon; vsftpd: RealServerHandle | undefined }> {
  const mock = await onTmpfs(() => mockDirect());
  stops.push(() => mock.stop());
  const wp = await onTmpfs(() => serve('ftp'));
  stops.push(() => wp.stop());
  const vsftpd = (await vsftpdLauncher.installed()) ? await onTmpfs(() => vsftpdLauncher.start({})) : undefined;
  if (vsftpd) stops.push(() => vsftpd.close());
  return { mock, wp, vsftpd };
}

/** The URL of `name` in vsftpd's upload directory. */
const vsftpdUrl = (vsftpd: RealServerHandle, name: string): string => `ftp://127.0.0.1:${vsftpd.port}${vsftpd.login!.dir.replace(/\/$/, '')}/${name}`;

/** MB/s of one curl upload of `file` to `url`. */
async function upload(file: string, url: string, bytes: number): Promise<number> {
  const ms = await timed('curl', ['-sS', '--fail', '-T', file, url]);
  return bytes / 1e6 / (ms / 1000);
}

/** MB/s of one curl download of `url`, thrown away. */
async function download(url: string, bytes: number): Promise<number> {
  const ms = await timed('curl', ['-sS', '--fail', '-o', '/dev/null', url]);
  return bytes / 1e6 / (ms / 1000);
}

/** The FTP rows. */
export async function ftpUploads(options: FtpUploadOptions): Promise<BenchRow[]> {
  const size = `${Math.round(options.bytes / MiB)} MiB`;
  if (!(await have('curl'))) {
    const missing = 'curl missing: apt-get install curl';
    return [
      { what: `FTP STOR ${size} with curl, mock direct vs vsftpd`, ours: 'not measured', anchor: missing, goal: '>= 0.5x' },
      { what: 'proxy cost on that upload', ours: 'not measured', anchor: missing, goal: '>= 0.9x' },
      { what: `serve ftp peak RSS, one ${size} upload / a re-upload`, ours: 'not measured', anchor: missing, goal: '<= 64 MiB' },
      { what: 'serve ftp peak RSS after downloads of that file', ours: 'not measured', anchor: missing, goal: '<= 64 MiB' },
    ];
  }
  const file = await sourceFile(options.bytes);
  const rows: BenchRow[] = [];
  try {
    const stops: (() => Promise<void>)[] = [];
    try {
      const { mock, wp, vsftpd } = await ftpServers(stops);
      const optimised = await onTmpfs(() => serve('ftp', [], undefined, V8_DEFAULTS));
      stops.push(() => optimised.stop());
      const direct: number[] = [];
      const proxied: number[] = [];
      const anchor: number[] = [];
      const hwm: number[] = [];
      const optimisedRate: number[] = [];
      const optimisedHwm: number[] = [];
      for (let i = 0; i < options.rounds; i++) {
        direct.push(await upload(file.path, `ftp://127.0.0.1:${mock.port}/bench-${i}.bin`, options.bytes));
        proxied.push(await upload(file.path, `ftp://127.0.0.1:${wp.port}/bench.bin`, options.bytes));
        hwm.push(await memory(wp.pid, 'VmHWM'));
        optimisedRate.push(await upload(file.path, `ftp://127.0.0.1:${optimised.port}/bench.bin`, options.bytes));
        optimisedHwm.push(await memory(optimised.pid, 'VmHWM'));
        if (vsftpd) anchor.push(await upload(file.path, vsftpdUrl(vsftpd, `bench-${i}.bin`), options.bytes));
      }
      // Then downloads of what was uploaded: the mock reads its spool file, the proxy relays it.
      const fetched: number[] = [];
      const fetchedHwm: number[] = [];
      const anchorFetched: number[] = [];
      let anchorFailed = '';
      for (let i = 0; i < options.rounds; i++) {
        fetched.push(await download(`ftp://127.0.0.1:${wp.port}/bench.bin`, options.bytes));
        fetchedHwm.push(await memory(wp.pid, 'VmHWM'));
        if (vsftpd && !anchorFailed) {
          try {
            // vsftpd stores anonymous uploads 0600 (anon_umask 077) and serves only files anyone may read.
            await chmod(join(vsftpd.storage, `bench-${i}.bin`), 0o644);
            anchorFetched.push(await download(vsftpdUrl(vsftpd, `bench-${i}.bin`), options.bytes));
          } catch (error) {
            anchorFailed = (error as Error).message;
          }
        }
      }
      if (vsftpd) {
        const ratio = pairRatios(direct, anchor);
        rows.push({
          what: `FTP STOR ${size} with curl, mock direct vs vsftpd (tmpfs)`,
          ours: `${spread(direct)} MB/s`,
          anchor: `vsftpd ${spread(anchor)} MB/s`,
          ratio,
          goal: '>= 0.5x',
          met: median(ratio) >= 0.5,
        });
      } else {
        rows.push({
          what: `FTP STOR ${size} with curl, mock direct vs vsftpd`,
          ours: `${spread(direct)} MB/s`,
          anchor: `vsftpd missing: ${vsftpdLauncher.install}`,
          goal: '>= 0.5x',
        });
      }
      const cost = pairRatios(proxied, direct);
      rows.push({
        what: 'proxy cost on that upload (serve ftp / mock direct)',
        ours: `${spread(proxied)} MB/s`,
        anchor: `mock direct ${spread(direct)} MB/s`,
        ratio: cost,
        goal: '>= 0.9x',
        met: median(cost) >= 0.9,
      });
      const peaks = (of: readonly number[]): string => `${(of[0]! / MiB).toFixed(0)} / ${(of.at(-1)! / MiB).toFixed(0)} MiB`;
      const price = pairRatios(proxied, optimisedRate);
      rows.push({
        what: `serve ftp peak RSS (VmHWM), one ${size} upload / ${options.rounds} to the same name`,
        ours:
          `${peaks(hwm)}; with V8's defaults (node ${V8_DEFAULTS.join(' ')}) ${peaks(optimisedHwm)}, ` +
          `uploads at ${spread(optimisedRate)} MB/s: serve ftp's rate ${median(price).toFixed(2)}x (${Math.min(...price).toFixed(2)}-${Math.max(...price).toFixed(2)}) of theirs`,
        anchor: 'vsftpd: a few MB',
        goal: '<= 64 MiB',
        met: Math.max(...hwm) / MiB <= 64,
      });
      rows.push({
        what: `serve ftp peak RSS (VmHWM) after those uploads and ${options.rounds} downloads of the file (curl RETR)`,
        ours: `${peaks(fetchedHwm)} after the first / the last; downloads at ${spread(fetched)} MB/s`,
        anchor:
          anchorFetched.length > 0
            ? `vsftpd: a few MB, downloads at ${spread(anchorFetched)} MB/s`
            : `vsftpd: a few MB${anchorFailed && ` (its downloads failed: ${anchorFailed})`}`,
        goal: '<= 64 MiB',
        met: Math.max(...fetchedHwm) / MiB <= 64,
      });
    } finally {
      await Promise.all(stops.map((stop) => stop()));
    }
  } finally {
    await file.remove();
  }
  return rows;
}
