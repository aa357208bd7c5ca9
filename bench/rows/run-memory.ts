/**
 * `wireprobe run`'s own memory against the size of a scenario's content: one upload scenario run by
 * basic-ftp (in wireprobe's process) and curl (a process reading stdin), `--concurrency 1`, at a small
 * size and at a large one, each its own `wireprobe run` process from dist/ as a user runs it. Its peak
 * RSS is read by a hook loaded with `--import` (process.resourceUsage's maxRSS at exit: the process's
 * own, not its clients'). Content is made as it is read (src/util/content.ts), so the peak must not
 * grow with the size (MAX_GROWTH_MIB); before that, a 1 GiB scenario took 1.2-2.2 GB.
 *
 *   wireprobe run --scenarios SMALL ─► peak RSS ─┐ large - small (and their ratio), interleaved rounds
 *   wireprobe run --scenarios LARGE ─► peak RSS ─┘
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, pairRatios, spread, type BenchRow } from '../lib/stats.js';

const MiB = 2 ** 20;
/**
 * The most the large run's peak may exceed the small one's. Not zero: the 64 KiB chunks a run makes are
 * garbage the collector lets pile up to its own external-memory limit, which a longer run reaches (by
 * hand: +33 MiB at 128 and 512 MiB, none at 1 GiB); a run that held its content whole adds all of it.
 */
const MAX_GROWTH_MIB = 64;
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'wireprobe.js');
/** Printed by the hook as the process exits: its own peak RSS in KiB. */
const HOOK = "process.on('exit', () => process.stderr.write('bench-max-rss ' + process.resourceUsage().maxRSS + '\\n'));\n";

function scenarioFile(bytes: number): string {
  return `name: bench\nprotocol: ftp\nscenarios:\n  - name: upload\n    title: one upload\n    size: ${bytes}\n    ftp: { direction: upload }\n    timeouts: { deadline: 300s }\n`;
}

/** The peak RSS in MiB of one `wireprobe run` of `scenarios`; throws when the run does not end with every upload delivered. */
async function peak(dir: string, scenarios: string, hook: string): Promise<number> {
  const args = ['--import', hook, BIN, 'run', '--scenarios', scenarios, '--client', 'basic-ftp,curl', '--concurrency', '1'];
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const kib = /bench-max-rss (\d+)/.exec(stderr)?.[1];
  if (code !== 0 || kib === undefined || !/: 3 conformant/.test(stdout)) throw new Error(`wireprobe run failed (exit ${code}): ${stdout}${stderr}`);
  return Number(kib) / 1024;
}

export async function runMemory(options: { readonly rounds: number; readonly bytes: number }): Promise<BenchRow> {
  const dir = await mkdtemp(join(tmpdir(), 'wireprobe-bench-run-'));
  try {
    const hook = join(dir, 'max-rss.mjs');
    await writeFile(hook, HOOK);
    const small = join(dir, 'small.yaml');
    const large = join(dir, 'large.yaml');
    await writeFile(small, scenarioFile(64 * MiB));
    await writeFile(large, scenarioFile(options.bytes));
    const smalls: number[] = [];
    const larges: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      smalls.push(await peak(dir, small, hook));
      larges.push(await peak(dir, large, hook));
    }
    const ratio = pairRatios(larges, smalls);
    const growth = larges.map((large, i) => large - smalls[i]!);
    return {
      what: `wireprobe run, one ${options.bytes / MiB} MiB upload scenario (basic-ftp, curl): wireprobe's peak RSS against the same with 64 MiB`,
      ours: `${spread(larges)} MiB, ${spread(growth)} MiB more`,
      anchor: `${spread(smalls)} MiB with 64 MiB`,
      ratio,
      goal: `at most ${MAX_GROWTH_MIB} MiB more (content held whole would add ${options.bytes / MiB - 64})`,
      met: median(growth) <= MAX_GROWTH_MIB,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
