/**
 * Ctrl-C and SIGTERM as a user sends them to `node bin/wireprobe.js run` with a real server (vsftpd) and
 * a process client (lftp): each run gets a private TMPDIR, so what it leaves behind is its own. The
 * signal is sent once the run is observably under way: lftp's temporary folder has appeared.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { portFree } from '../servers/real/common.js';
import { killUsing, processesUsing, untilNoProcessUses, vsftpdPorts, watchEntries } from './helpers/leftovers.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'wireprobe.js');

interface Child {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  readonly out: { stdout: string; stderr: string };
}

function start(args: readonly string[], tmp: string): Child {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', TMPDIR: tmp } });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  return { child, out, exited: new Promise((resolve) => child.on('close', (code) => resolve(code))) };
}

/** The run under way: `count` lftp folders have appeared; the vsftpd ports seen meanwhile are kept. */
async function underWay(run: Child, tmp: string, count: number, ports: Set<number>): Promise<void> {
  const lftp = watchEntries(
    tmp,
    'wireprobe-lftp-',
    () =>
      void vsftpdPorts(tmp).then((found) =>
        found.forEach((p) => {
          ports.add(p);
        }),
      ),
  );
  let waiting = true;
  const early = run.exited.then((code) => {
    if (waiting) throw new Error(`wireprobe exited (${code}) before it was under way: ${run.out.stderr}`);
  });
  try {
    await Promise.race([lftp.until(count), early]);
  } finally {
    waiting = false;
    lftp.close();
  }
}

async function ourEntries(tmp: string): Promise<string[]> {
  return (await readdir(tmp)).filter((name) => name.startsWith('wireprobe-'));
}

const RUN = ['run', '--suite', 'ftp/resets', '--server', 'vsftpd', '--client', 'lftp', '--concurrency', '1'];

describe('wireprobe run, interrupted', () => {
  let tmp: string;
  let reports: string;
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'wireprobe-test-tmp-'));
    reports = await mkdtemp(join(tmpdir(), 'wireprobe-test-reports-'));
  });
  afterEach(async () => {
    await killUsing(tmp);
    await rm(tmp, { recursive: true, force: true });
    await rm(reports, { recursive: true, force: true });
  });

  it('on SIGINT stops lftp and vsftpd, removes its temporary folders, writes what finished marked incomplete, prints one line, exits 130', async () => {
    const json = join(reports, 'out.json');
    const junit = join(reports, 'out.xml');
    const run = start([...RUN, '--json', json, '--junit', junit], tmp);
    const ports = new Set<number>();
    // The second job's lftp folder: the first job has finished and been recorded.
    await underWay(run, tmp, 2, ports);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    expect(run.out.stdout).toBe('');
    const line = /^wireprobe: interrupted \(SIGINT\): (\d+) of (\d+) results written; cleaned up\n$/.exec(run.out.stderr);
    expect(line, run.out.stderr).not.toBeNull();
    const [written, total] = [Number(line![1]), Number(line![2])];
    expect(written).toBeGreaterThanOrEqual(1);
    expect(written).toBeLessThan(total);
    const report = JSON.parse(await readFile(json, 'utf8')) as { incomplete: boolean; reason: string; planned: number; results: unknown[] };
    expect(report).toMatchObject({ incomplete: true, reason: 'interrupted by SIGINT', planned: total });
    expect(report.results).toHaveLength(written);
    const xml = await readFile(junit, 'utf8');
    expect(xml).toMatch(/<property name="incomplete" value="interrupted by SIGINT"\/>/);
    expect(xml).toMatch(
      /<testcase classname="wireprobe" name="incomplete"[^>]*>\s*<failure message="interrupted by SIGINT: \d+ of \d+ runs finished" type="incomplete"/,
    );
    expect(await processesUsing(tmp)).toEqual([]);
    expect(await ourEntries(tmp)).toEqual([]);
    expect(ports.size).toBeGreaterThan(0);
    for (const port of ports) expect(await portFree(port), `vsftpd port ${port}`).toBe(true);
  });

  it('on SIGTERM does the same and exits 143', async () => {
    const json = join(reports, 'out.json');
    const run = start([...RUN, '--json', json], tmp);
    await underWay(run, tmp, 1, new Set());
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    expect(run.out.stderr).toMatch(/^wireprobe: interrupted \(SIGTERM\): \d+ of \d+ results written; cleaned up\n$/);
    expect(JSON.parse(await readFile(json, 'utf8'))).toMatchObject({ incomplete: true, reason: 'interrupted by SIGTERM' });
    expect(await processesUsing(tmp)).toEqual([]);
    expect(await ourEntries(tmp)).toEqual([]);
  });

  it('wireprobe matrix, on SIGINT, does the same: exit 130, one line, nothing left', async () => {
    const json = join(reports, 'out.json');
    const run = start(['matrix', 'ftp', '--suite', 'ftp/resets', '--clients', 'lftp', '--servers', 'vsftpd', '--concurrency', '1', '--json', json], tmp);
    await underWay(run, tmp, 1, new Set());
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    expect(run.out.stdout).toBe('');
    expect(run.out.stderr).toMatch(/^wireprobe: interrupted \(SIGINT\): \d+ of \d+ results written; cleaned up\n$/);
    expect(JSON.parse(await readFile(json, 'utf8'))).toMatchObject({ incomplete: true, reason: 'interrupted by SIGINT' });
    expect(await processesUsing(tmp)).toEqual([]);
    expect(await ourEntries(tmp)).toEqual([]);
  });

  it('exits at once on a second signal, without reports, and its clients and servers die with it', async () => {
    const json = join(reports, 'out.json');
    const run = start([...RUN, '--json', json], tmp);
    await underWay(run, tmp, 1, new Set());
    // Two different signals (two pending SIGINTs could be merged into one by the kernel); whichever is
    // handled first sets the exit code, the other exits at once.
    run.child.kill('SIGINT');
    run.child.kill('SIGTERM');
    expect([130, 143]).toContain(await run.exited);
    // It did not stay to clean up and report: no line, no report.
    expect(run.out.stderr).toBe('');
    await expect(readFile(json)).rejects.toMatchObject({ code: 'ENOENT' });
    // lftp was killed by the first signal; vsftpd by the kernel once wireprobe was gone (parent-death signal).
    expect(await untilNoProcessUses(tmp)).toEqual([]);
    // lftp's folder (its script holds the password) went with the first signal, synchronously.
    expect((await ourEntries(tmp)).filter((name) => name.startsWith('wireprobe-lftp-'))).toEqual([]);
  });
});
