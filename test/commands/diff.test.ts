/**
 * `wireprobe diff` and `run --baseline FILE --fail-on-change` through `main()`: reports written from
 * fixture results for diff, a small real run (in-process client, the mock) for the baseline.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcess as cli } from '../helpers/in-process.js';
import type { Result } from '../../src/engine/types.js';
import { type JsonReport, toJsonReport } from '../../src/report/json.js';
import type { Provenance } from '../../src/report/provenance.js';
import { resetCell } from '../helpers/located.js';

const cell = (scenario: string, over: Partial<Result> = {}): Result => resetCell(scenario, 'curl', over);

const provenance = (curl: string): Provenance => ({
  wireprobe: '1.0.0',
  node: 'v20.20.0',
  openssl: '3.0.19',
  os: 'Linux 6.1 x64',
  clients: { curl },
  servers: {},
});

let dir = '';
const path = (name: string): string => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-diff-'));
  const before = [cell('a'), cell('b'), cell('gone')];
  const after = [cell('a', { durationMs: 99 }), cell('b', { outcome: { kind: 'delivered', phase: 'quit', bytesSent: 5 }, verdict: 'deviates' }), cell('new')];
  await writeFile(path('before.json'), JSON.stringify(toJsonReport(before, '1.0.0', undefined, { provenance: provenance('curl 7.88.1') })));
  await writeFile(
    path('after.json'),
    JSON.stringify(toJsonReport(after, '1.0.1', undefined, { provenance: { ...provenance('curl 8.5.0'), wireprobe: '1.0.1' } })),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('wireprobe diff', () => {
  it('lists the changed and lone cells and how the environments differ, writes JSON and HTML, and exits 1', async () => {
    const json = path('diff.json');
    const html = path('diff.html');
    const { code, stdout, stderr } = await cli(['diff', path('before.json'), path('after.json'), '--json', json, '--html', html]);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('environments differ: wireprobe: "1.0.0" vs "1.0.1"; client curl: "curl 7.88.1" vs "curl 8.5.0"');
    expect(lines[1]).toMatch(/^changed {2}smtp\/resets\/b\/curl +reset@rcpt conformant -> delivered@quit deviates$/);
    expect(lines[2]).toMatch(/^only in .*before.json {2}smtp\/resets\/gone\/curl +reset@rcpt conformant$/);
    expect(lines[3]).toMatch(/^only in .*after.json {2}smtp\/resets\/new\/curl +reset@rcpt conformant$/);
    expect(lines[4]).toMatch(/^3 of 4 cells differ: 1 changed, 1 only in .*before.json, 1 only in .*after.json$/);
    const report = JSON.parse(await readFile(json, 'utf8'));
    expect(report).toMatchObject({
      tool: 'wireprobe',
      before: { version: '1.0.0', provenance: { clients: { curl: 'curl 7.88.1' } } },
      after: { version: '1.0.1' },
      summary: { cells: 4, changed: 1, onlyBefore: 1, onlyAfter: 1 },
      changed: [
        { id: 'smtp/resets/b/curl', before: { outcome: 'reset@rcpt', verdict: 'conformant' }, after: { outcome: 'delivered@quit', verdict: 'deviates' } },
      ],
      onlyBefore: [{ id: 'smtp/resets/gone/curl' }],
      onlyAfter: [{ id: 'smtp/resets/new/curl' }],
    });
    const page = await readFile(html, 'utf8');
    expect(page).toContain('<table id="changed">');
    expect(page).toContain('3 of 4 cells differ.');
  });

  it('exits 0 when no cell differs', async () => {
    const { code, stdout } = await cli(['diff', path('before.json'), path('before.json')]);
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'no cell differs (3 cells)\n' });
  });

  it.each([
    [['diff'], /^wireprobe: diff needs two reports: "wireprobe diff before.json after.json" \(got none\)$/],
    [['diff', 'a.json'], /^wireprobe: diff needs two reports: .* \(got "a.json"\)$/],
    [['diff', 'a.json', 'b.json', 'c.json'], /^wireprobe: diff needs two reports: .* \(got "a.json" "b.json" "c.json"\)$/],
    [['diff', 'missing.json', 'b.json'], /^wireprobe: cannot read report "missing.json": no such file$/],
    [['diff', 'a.json', 'b.json', '--junit', 'x.xml'], /^wireprobe: option --junit does not apply to "diff"$/],
  ])('refuses %j in one line with exit code 2', async (args, line) => {
    const { code, stdout, stderr } = await cli(args);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr.trimEnd()).toMatch(line);
    expect(stderr.trimEnd().includes('\n')).toBe(false);
  });
});

describe('run --baseline FILE --fail-on-change', () => {
  const run = ['run', '--suite', 'smtp/framing', '--client', 'nodemailer'];

  it('exits 0 when every cell matches the baseline and 1, printing the diff, when one does not', async () => {
    const first = await cli([...run, '--json', path('base.json')]);
    expect(first.code).toBe(0);
    const base = JSON.parse(await readFile(path('base.json'), 'utf8')) as JsonReport;
    expect(base.results.length).toBeGreaterThan(1);

    const same = await cli([...run, '--baseline', path('base.json'), '--fail-on-change']);
    expect(same.stdout).toContain(`baseline ${path('base.json')}:\nno cell differs (${base.results.length} cells)\n`);
    expect(same.code).toBe(0);

    const [changed, ...rest] = base.results;
    const flipped = { ...changed!, verdict: changed!.verdict === 'deviates' ? 'conformant' : 'deviates' };
    const other = { ...rest[0]!, id: 'smtp/framing/not-run-here/nodemailer' };
    await writeFile(path('flipped.json'), JSON.stringify({ ...base, results: [flipped, ...rest, other] }));
    const differs = await cli([...run, '--baseline', path('flipped.json'), '--fail-on-change']);
    expect(differs.stdout).toMatch(new RegExp(`changed {2}${changed!.id} +\\S+ ${flipped.verdict} -> \\S+ ${changed!.verdict}\\n`));
    expect(differs.stdout).toContain(`1 of ${base.results.length} cells differ: 1 changed\n`);
    expect(differs.stdout).toContain('(1 cell(s) of the baseline not run here are not compared)');
    expect(differs.code).toBe(1);

    const shown = await cli([...run, '--baseline', path('flipped.json')]);
    expect(shown.stdout).toContain('1 changed');
    expect(shown.code).toBe(0);
  }, 120_000);

  it.each([
    [['--fail-on-change'], /^wireprobe: --fail-on-change needs --baseline FILE: the report to compare with$/],
    [['--baseline', 'nowhere.json'], /^wireprobe: bad --baseline "nowhere.json": cannot read report "nowhere.json": no such file$/],
  ])('refuses %j before running anything', async (flags, line) => {
    const { code, stdout, stderr } = await cli([...run, ...flags]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr.trimEnd()).toMatch(line);
  });
});
