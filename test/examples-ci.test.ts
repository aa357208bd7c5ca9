/**
 * The CI examples in examples/ci: each YAML file parses, its shard jobs cover the shard count they
 * name, and the very shard commands it holds, run here through `main` (narrowed to a small suite with
 * the in-process clients on the mock), write reports that together hold every cell of the run once
 * and that the merge command's glob picks up.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse as parseShell } from 'shell-quote';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { main } from '../src/cli.js';
import type { JsonReport } from '../src/report/json.js';

const EXAMPLES = join(import.meta.dirname, '..', 'examples', 'ci');
/** Appended to the examples' matrix commands: a run of seconds, not minutes, that needs nothing installed. */
const NARROW = ['--suite', 'smtp/framing,smtp/restart', '--clients', 'nodemailer,nodemailer-pool', '--servers', 'mock-smtp'];

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/**
 * Splits a shell command line (variables from `env`) into words, a glob kept as written; anything else
 * (a pipe, a redirection) fails the test: the examples' commands are plain.
 */
function words(command: string, env: Record<string, string> = {}): string[] {
  return parseShell(command, env).map((w) => {
    if (typeof w === 'string') return w;
    if ('op' in w && w.op === 'glob') return w.pattern;
    throw new Error(`unexpected shell syntax in ${JSON.stringify(command)}`);
  });
}

/** The wireprobe arguments of `npx wireprobe ...`, or undefined for another command. */
function wireprobeArgs(command: string, env?: Record<string, string>): string[] | undefined {
  const [npx, tool, ...args] = words(command, env);
  return npx === 'npx' && tool === 'wireprobe' ? args : undefined;
}

/** The value after `flag` in `args`. */
const flagValue = (args: readonly string[], flag: string): string | undefined => args[args.indexOf(flag) + 1];

/** A shell glob's `*` as a regular expression over a path. */
const globToRegExp = (glob: string): RegExp => new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-ci-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Runs `args` (a shard command of an example) narrowed to NARROW, its `--blob` path moved under `at`;
 * returns the report.
 */
async function runHere(args: readonly string[], at: string): Promise<JsonReport> {
  const json = flagValue(args, '--blob')!;
  const local = args.map((a, i) => (args[i - 1] === '--blob' ? join(at, a) : a));
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await main([...local, ...NARROW], { stdout, stderr, env: { NO_COLOR: '1' } });
  expect([code, stderr.text.replace(/^wireprobe: --shard \S+ balances by each scenario's deadline;.*\n/, '')]).toEqual([0, '']);
  return JSON.parse(await readFile(join(at, json), 'utf8')) as JsonReport;
}

/**
 * Checks that the shard commands (one per shard, 1..count) cover the unsharded run exactly once, and
 * that `merge` (its arguments) reads every report they wrote and publishes HTML and JUnit.
 */
async function checkShards(name: string, shardArgs: readonly (readonly string[])[], merge: readonly string[]): Promise<void> {
  const at = join(dir, name);
  const count = shardArgs.length;
  const unsharded = shardArgs[0]!.filter((a, i) => a !== '--shard' && shardArgs[0]![i - 1] !== '--shard');
  const whole = await runHere(unsharded, join(at, 'whole'));
  expect(whole.results.length).toBeGreaterThan(count);
  const ids: string[] = [];
  for (const [i, args] of shardArgs.entries()) {
    expect(flagValue(args, '--shard')).toBe(`${i + 1}/${count}`);
    const report = await runHere(args, at);
    expect(report.shard).toEqual({ index: i + 1, count, cells: whole.results.length });
    ids.push(...report.results.map((r) => r.id));
  }
  expect(ids.sort()).toEqual(whole.results.map((r) => r.id).sort());
  expect(merge[0]).toBe('merge');
  const inputs = merge.slice(1).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
  expect(inputs).toHaveLength(1);
  const written = shardArgs.map((args) => flagValue(args, '--blob')!);
  for (const file of written) expect(file).toMatch(globToRegExp(inputs[0]!));
  expect(flagValue(merge, '--html')).toMatch(/\.html$/);
  expect(flagValue(merge, '--junit')).toMatch(/\.xml$/);
}

/** Where GitHub puts the shard's number into a step: its expression syntax, not a JavaScript template. */
const SHARD_EXPRESSION = `\${{ matrix.shard }}`;

interface GithubStep {
  readonly run?: string;
  readonly uses?: string;
  readonly with?: Record<string, unknown>;
  readonly if?: string;
}
interface GithubJob {
  readonly needs?: string;
  readonly if?: string;
  readonly strategy?: { readonly 'fail-fast'?: boolean; readonly matrix: { readonly shard: readonly number[] } };
  readonly steps: readonly GithubStep[];
}

describe('examples/ci/github-actions.yml', () => {
  it('runs 4 shards that cover the run once, uploads each JSON, and merges them into HTML and JUnit', async () => {
    const workflow = parseYaml(await readFile(join(EXAMPLES, 'github-actions.yml'), 'utf8')) as { jobs: Record<string, GithubJob> };
    const shard = workflow.jobs.shard!;
    const values = shard.strategy!.matrix.shard;
    expect(values).toEqual([1, 2, 3, 4]);
    expect(shard.strategy!['fail-fast']).toBe(false);
    const command = shard.steps.map((s) => s.run).find((run) => run !== undefined && wireprobeArgs(run.replaceAll(SHARD_EXPRESSION, '1')))!;
    const forShard = (n: number): string[] => wireprobeArgs(command.replaceAll(SHARD_EXPRESSION, String(n)))!;
    const upload = shard.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
    expect(upload.if).toBe('always()');
    for (const n of values) {
      expect(String(upload.with!.path).replaceAll(SHARD_EXPRESSION, String(n))).toBe(flagValue(forShard(n), '--blob'));
    }
    const merge = workflow.jobs.merge!;
    expect([merge.needs, merge.if]).toEqual(['shard', 'always()']);
    const download = merge.steps.find((s) => s.uses?.startsWith('actions/download-artifact'))!;
    const artifact = String(upload.with!.name).replace(SHARD_EXPRESSION, '1');
    expect(artifact).toMatch(globToRegExp(String(download.with!.pattern)));
    const mergeArgs = merge.steps.map((s) => (s.run ? wireprobeArgs(s.run) : undefined)).find((a) => a?.[0] === 'merge')!;
    const published = merge.steps.filter((s) => s.uses?.startsWith('actions/upload-artifact')).flatMap((s) => String(s.with!.path).trim().split('\n'));
    expect(published).toEqual(expect.arrayContaining([flagValue(mergeArgs, '--html'), flagValue(mergeArgs, '--junit')]));
    await checkShards('github', values.map(forShard), mergeArgs);
  });
});

interface GitlabJob {
  readonly parallel?: number;
  readonly script: readonly string[];
  readonly needs?: readonly { readonly job: string }[];
  readonly artifacts?: { readonly paths: readonly string[]; readonly reports?: { readonly junit?: string } };
}

describe('examples/ci/gitlab-ci.yml', () => {
  it('runs `parallel: 4` shards from CI_NODE_INDEX/CI_NODE_TOTAL that cover the run once, and merges them into HTML and JUnit', async () => {
    const config = parseYaml(await readFile(join(EXAMPLES, 'gitlab-ci.yml'), 'utf8')) as Record<string, GitlabJob>;
    const shard = config.wireprobe!;
    expect(shard.parallel).toBe(4);
    const command = shard.script.find((line) => wireprobeArgs(line))!;
    const forShard = (n: number): string[] => wireprobeArgs(command, { CI_NODE_INDEX: String(n), CI_NODE_TOTAL: '4' })!;
    for (const n of [1, 2, 3, 4]) {
      expect(shard.artifacts!.paths.some((p) => flagValue(forShard(n), '--blob')!.startsWith(p))).toBe(true);
    }
    const report = config['wireprobe-report']!;
    expect(report.needs?.map((n) => n.job)).toEqual(['wireprobe']);
    const mergeArgs = report.script.map((line) => wireprobeArgs(line)).find((a) => a?.[0] === 'merge')!;
    expect(report.artifacts!.reports!.junit).toBe(flagValue(mergeArgs, '--junit'));
    expect(report.artifacts!.paths).toEqual(expect.arrayContaining([flagValue(mergeArgs, '--html'), flagValue(mergeArgs, '--junit')]));
    await checkShards('gitlab', [1, 2, 3, 4].map(forShard), mergeArgs);
  });
});
