/**
 * `--shard`, `--durations` and `--only-failed` through the CLI's entry function `main`, in process, on a
 * small suite with the in-process clients against the mocks.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcess as cli } from '../helpers/in-process.js';
import { VERSION } from '../../src/commands/help.js';
import { parseShard } from '../../src/commands/shard-args.js';
import type { JsonReport } from '../../src/report/json.js';

const SMALL = ['run', '--suite', 'smtp/framing,smtp/restart'];
const readReport = async (file: string): Promise<JsonReport> => JSON.parse(await readFile(file, 'utf8')) as JsonReport;

let dir: string;
let whole: JsonReport;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-shard-'));
  const { code } = await cli([...SMALL, '--json', join(dir, 'whole.json')]);
  expect(code).toBe(0);
  whole = await readReport(join(dir, 'whole.json'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseShard', () => {
  it.each([
    ['1/1', { index: 1, count: 1 }],
    ['3/4', { index: 3, count: 4 }],
  ])('reads %s', (text, spec) => {
    expect(parseShard(text)).toEqual(spec);
  });
});

describe('bad --shard, --durations and --only-failed', () => {
  it.each([
    [['--shard', '0/4'], /^wireprobe: bad --shard "0\/4": expected i\/n with 1 <= i <= n/],
    [['--shard', '5/4'], /^wireprobe: bad --shard "5\/4"/],
    [['--shard', 'two'], /^wireprobe: bad --shard "two"/],
    [['--shard', '1/1001'], /^wireprobe: bad --shard "1\/1001"/],
    [
      ['--shard', '1/2', '--durations', '/nonexistent/d.json'],
      /^wireprobe: bad --durations "\/nonexistent\/d.json": cannot read report "\/nonexistent\/d.json": no such file\n$/,
    ],
    [['--durations', '/nonexistent/d.json'], /^wireprobe: --durations "\/nonexistent\/d.json" needs --shard i\/n/],
    [
      ['--only-failed', '/nonexistent/r.json'],
      /^wireprobe: bad --only-failed "\/nonexistent\/r.json": cannot read report "\/nonexistent\/r.json": no such file\n$/,
    ],
  ])('refuses %j with one line and exit 2, running nothing', async (flags, message) => {
    const { code, stdout, stderr } = await cli([...SMALL, ...flags]);
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('refuses a file that is not a wireprobe report', async () => {
    const file = join(dir, 'other.json');
    await writeFile(file, '{"tests": []}');
    const { code, stderr } = await cli([...SMALL, '--only-failed', file]);
    expect(code).toBe(2);
    expect(stderr).toBe(`wireprobe: bad --only-failed "${file}": "${file}" is not a wireprobe JSON report: no "tool": "wireprobe"\n`);
  });

  it('refuses --only-failed with a report of another wireprobe version', async () => {
    const file = join(dir, 'old.json');
    await writeFile(file, JSON.stringify({ ...whole, version: '0.0.1' }));
    const { code, stdout, stderr } = await cli([...SMALL, '--only-failed', file]);
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toBe(`wireprobe: bad --only-failed "${file}": written by wireprobe "0.0.1", this is ${VERSION}; rerun the whole run with this version\n`);
  });

  it('--shard is refused by commands that do not run cells', async () => {
    const { code, stderr } = await cli(['list', '--shard', '1/2']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--shard does not apply to "list"/);
  });
});

describe('shards of a run', () => {
  it('together hold every cell of the unsharded run exactly once, each report saying its shard', async () => {
    const parts: JsonReport[] = [];
    for (const index of [1, 2, 3]) {
      const file = join(dir, `shard-${index}.json`);
      const { code, stdout, stderr } = await cli([...SMALL, '--shard', `${index}/3`, '--json', file]);
      expect(code).toBe(0);
      expect(stderr).toBe(
        `wireprobe: --shard ${index}/3 balances by each scenario's deadline; pass every shard the same --durations FILE (an earlier JSON report) to balance by recorded durations\n`,
      );
      const part = await readReport(file);
      expect(part.shard).toEqual({ index, count: 3, cells: whole.results.length });
      expect(stdout.trimEnd().split('\n').at(-1)).toMatch(
        new RegExp(
          `^wireprobe: ${part.results.length} results \\(shard ${index}/3 of ${whole.results.length} cells\\) in \\d+s: .*; reports: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`,
        ),
      );
      parts.push(part);
    }
    const ids = parts.flatMap((p) => p.results.map((r) => r.id));
    expect(ids.sort()).toEqual(whole.results.map((r) => r.id).sort());
    expect(whole.shard).toBeUndefined();
  });

  it('balance by an earlier report with --durations, silently, and still cover the run', async () => {
    const durations = join(dir, 'whole.json');
    const ids: string[] = [];
    for (const index of [1, 2]) {
      const file = join(dir, `timed-${index}.json`);
      const { code, stderr } = await cli([...SMALL, '--shard', `${index}/2`, '--durations', durations, '--json', file]);
      expect([code, stderr]).toEqual([0, '']);
      ids.push(...(await readReport(file)).results.map((r) => r.id));
    }
    expect(ids.sort()).toEqual(whole.results.map((r) => r.id).sort());
  });
});

describe('--only-failed', () => {
  it('reruns only the cells that deviated, were unfired or errored in the report', async () => {
    const ran = whole.results.filter((r) => r.verdict === 'conformant');
    const failed = { ...ran[0]!, verdict: 'deviates' as const };
    const unfired = { ...ran[1]!, verdict: 'unfired' as const };
    const report = join(dir, 'failed.json');
    await writeFile(report, JSON.stringify({ ...whole, results: whole.results.map((r) => (r.id === failed.id ? failed : r.id === unfired.id ? unfired : r)) }));
    const rerun = join(dir, 'rerun.json');
    const { code } = await cli([...SMALL, '--only-failed', report, '--json', rerun]);
    expect(code).toBe(0);
    expect((await readReport(rerun)).results.map((r) => r.id).sort()).toEqual([failed.id, unfired.id].sort());
  });

  it('says there is nothing to rerun when nothing failed, and runs nothing', async () => {
    const report = join(dir, 'clean.json');
    await writeFile(report, JSON.stringify({ ...whole, results: whole.results.filter((r) => r.verdict === 'conformant') }));
    const { code, stdout, stderr } = await cli([...SMALL, '--only-failed', report]);
    expect(code).toBe(0);
    expect(stderr).toBe(`wireprobe: --only-failed "${report}": no cell deviated, was unfired or errored there; nothing to rerun\n`);
    expect(stdout).toMatch(/^wireprobe: 0 results in \d+s: .*; reports: none written$/m);
  });

  it('refuses a report whose failed cells are none of this run, with one line', async () => {
    const report = join(dir, 'elsewhere.json');
    const other = { ...whole.results[0]!, id: 'smtp/resets/elsewhere/nodemailer', verdict: 'error' as const };
    await writeFile(report, JSON.stringify({ ...whole, results: [other] }));
    const { code, stdout, stderr } = await cli([...SMALL, '--only-failed', report]);
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toMatch(/^wireprobe: --only-failed: none of the 1 cells that failed there is among this run's \d+; /);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
