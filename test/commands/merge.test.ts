/**
 * `wireprobe merge` through `main()`: a small run (SMTP and FTP, in-process clients, the mocks) is run
 * once whole; its blob is cut into shards here, and the merged reports must equal the whole run's,
 * cell by cell, generation time aside. Then each refusal, with its one line.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcess as cli } from '../helpers/in-process.js';
import type { JsonReport } from '../../src/report/json.js';
import { ranIn } from '../../src/report/provenance.js';

let dir = '';
let blob: JsonReport;
const whole = { html: '', junit: '', json: '' };
const path = (name: string): string => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-merge-'));
  const run = await cli([
    'run',
    '--suite',
    'smtp/framing,ftp/modes',
    '--client',
    'nodemailer,nodemailer-pool,basic-ftp',
    '--blob',
    path('whole.blob.json'),
    '--json',
    path('whole.json'),
    '--html',
    path('whole.html'),
    '--junit',
    path('whole.xml'),
  ]);
  expect(run.stderr).toBe('');
  blob = JSON.parse(await readFile(path('whole.blob.json'), 'utf8')) as JsonReport;
  whole.html = await readFile(path('whole.html'), 'utf8');
  whole.junit = await readFile(path('whole.xml'), 'utf8');
  whole.json = await readFile(path('whole.json'), 'utf8');
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes the whole run's blob cut into `count` shards, result i going to shard `pick(i)` (0-based); returns the paths. */
async function shards(name: string, count: number, pick: (i: number) => number, over: Partial<JsonReport> = {}): Promise<string[]> {
  const files: string[] = [];
  for (let k = 0; k < count; k += 1) {
    const file = path(`${name}-${k + 1}.json`);
    const results = blob.results.filter((_, i) => pick(i) === k);
    // A shard lists the clients and servers it ran, as `run` does.
    const provenance = ranIn(blob.provenance!, results);
    const part = { ...blob, shard: { index: k + 1, count, cells: blob.results.length }, provenance, results, ...over };
    await writeFile(file, JSON.stringify(part));
    files.push(file);
  }
  return files;
}

/** The page's data records (one per result, in order) and the page without them and its generation time. */
function htmlParts(html: string): { records: unknown[]; rest: string } {
  const data = /<script type="application\/json" id="wireprobe-data">(.*?)<\/script>/s.exec(html)?.[1] ?? '[]';
  const rest = html.replace(data, '').replace(/<time[^>]*>[^<]*<\/time>/g, '<time>');
  return { records: JSON.parse(data) as unknown[], rest };
}

/** Each testcase of a JUnit report with its time left out, and the document without them. */
function junitParts(xml: string): { cases: string[]; rest: string } {
  const untimed = xml.replace(/ (time|timestamp)="[^"]*"/g, '');
  const cases = untimed.match(/<testcase[\s\S]*?<\/testcase>|<testcase[^>]*\/>/g) ?? [];
  return { cases, rest: cases.reduce((text, c) => text.replace(c, ''), untimed) };
}

describe('wireprobe merge', () => {
  it('rebuilds HTML and JUnit equal to the unsharded run, cell by cell, from shards in any order', async () => {
    expect(blob.results.length).toBeGreaterThan(20);
    const cuts: [string, number, (i: number) => number][] = [
      ['two', 2, (i) => ((i * 7) % 3 === 0 ? 0 : 1)],
      ['three', 3, (i) => (i < 5 ? 2 : i % 3)],
      ['by-client', 3, (i) => ['basic-ftp', 'nodemailer-pool', 'nodemailer'].indexOf(blob.results[i]!.client)],
    ];
    for (const [name, count, pick] of cuts) {
      const files = await shards(name, count, pick);
      const out = { html: path(`${name}.html`), junit: path(`${name}.xml`), json: path(`${name}.json`) };
      const merged = await cli(['merge', ...files.reverse(), '--html', out.html, '--junit', out.junit, '--json', out.json]);
      expect(merged.stderr).toBe('');
      expect(merged.code).toBe(0);
      expect(merged.stdout).toContain(`html written to ${out.html}`);

      const [a, b] = [htmlParts(whole.html), htmlParts(await readFile(out.html, 'utf8'))];
      expect(b.records.length).toBe(a.records.length);
      for (const [i, record] of a.records.entries()) expect(b.records[i], `HTML record ${i}`).toEqual(record);
      expect(b.rest).toBe(a.rest);

      const [x, y] = [junitParts(whole.junit), junitParts(await readFile(out.junit, 'utf8'))];
      expect(y.cases.length).toBe(x.cases.length);
      for (const [i, testcase] of x.cases.entries()) expect(y.cases[i], `JUnit testcase ${i}`).toBe(testcase);
      expect(y.rest).toBe(x.rest);

      // The merged JSON is the whole run's: no shard left in it.
      expect(await readFile(out.json, 'utf8')).toBe(whole.json);
    }
  });

  it("merges the blobs of real `--shard` runs into the whole run's rows, columns and testcases, in order", async () => {
    const run = ['run', '--suite', 'smtp/framing,ftp/modes', '--client', 'nodemailer,nodemailer-pool,basic-ftp'];
    for (const shard of ['1/2', '2/2']) {
      const { code } = await cli([...run, '--shard', shard, '--blob', path(`real-${shard[0]}.json`)]);
      expect(code).toBe(0);
    }
    const out = { html: path('real.html'), junit: path('real.xml') };
    const merged = await cli(['merge', path('real-2.json'), path('real-1.json'), '--html', out.html, '--junit', out.junit]);
    expect([merged.code, merged.stderr]).toEqual([0, '']);
    const cells = (html: string): string[] => [...html.matchAll(/<(?:td|th|tr)[^>]*?(?:data-id|data-scenario|data-column)="([^"]*)"/g)].map((m) => m[1]!);
    expect(cells(whole.html).length).toBeGreaterThan(blob.results.length);
    expect(cells(await readFile(out.html, 'utf8'))).toEqual(cells(whole.html));
    const testcases = (xml: string): string[] => [...xml.matchAll(/<testcase classname="([^"]*)" name="([^"]*)"/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(testcases(whole.junit)).toHaveLength(blob.results.length);
    expect(testcases(await readFile(out.junit, 'utf8'))).toEqual(testcases(whole.junit));
  }, 180_000);

  it('shows provenance in every report the whole run wrote', () => {
    expect(JSON.parse(whole.json).provenance).toMatchObject({ node: process.version, clients: { nodemailer: expect.stringMatching(/^nodemailer /) } });
    expect(whole.html).toContain('<dl id="provenance">');
    expect(whole.junit).toMatch(/<property name="client.basic-ftp" value="basic-ftp [\d.]+"\/>/);
  });

  it('merges JSON reports too, saying their HTML and JUnit lack transcripts, and says when environments differ', async () => {
    const bare = { ...blob, results: blob.results.map(({ title: _t, transcript: _x, ...rest }) => rest) };
    const [first] = await shards('bare', 1, () => 0, bare);
    const provenance = { ...blob.provenance!, node: 'v0.0.1' };
    const [other] = await shards('other-env', 1, () => 0, { provenance });
    for (const [file, note] of [
      [first!, /note: ".*bare-1.json" is a JSON report, not a blob: the merged HTML and JUnit lack titles and transcripts/],
      [other!, null],
    ] as const) {
      const merged = await cli(['merge', file]);
      expect(merged.code).toBe(0);
      if (note) expect(merged.stderr).toMatch(note);
      else expect(merged.stderr).toBe('');
    }
    const [one, two] = await shards('env', 2, (i) => i % 2);
    const changed = JSON.parse(await readFile(two!, 'utf8')) as JsonReport;
    await writeFile(two!, JSON.stringify({ ...changed, provenance }));
    const merged = await cli(['merge', two!, one!]);
    expect(merged.code).toBe(0);
    expect(merged.stderr).toMatch(/^wireprobe: note: ".*env-2.json" ran in another environment than ".*env-1.json": node: "v[\d.]+" vs "v0.0.1"\n$/);
  });

  it('refuses, in one line and exit code 2: missing shards, a shard twice, cells twice or missing, other versions, an interrupted shard', async () => {
    const [s1, s2] = await shards('ok', 2, (i) => i % 2);
    const [, v2] = await shards('version', 2, (i) => i % 2, { version: '0.0.0-other' });
    const [, c2] = await shards('cut', 2, (i) => i % 2, { incomplete: true, reason: 'interrupted by SIGINT' });
    const [lossy1, lossy2] = await shards('lossy', 2, (i) => (i === 0 ? -1 : i % 2));
    const [over1, over2] = await shards('overlap', 2, (i) => i % 2);
    const overlapping = JSON.parse(await readFile(over2!, 'utf8')) as JsonReport;
    await writeFile(over2!, JSON.stringify({ ...overlapping, results: [...overlapping.results, blob.results[0]] }));
    const [, three] = await shards('three', 3, (i) => i % 3);
    await writeFile(path('not-json.json'), '<html>');
    const cases: [string[], RegExp][] = [
      [[s1!], /^wireprobe: shard 2\/2 missing: merge needs all 2 shards$/],
      [[s1!, s1!], /^wireprobe: shard 1\/2 given twice: ".*ok-1.json" and ".*ok-1.json"$/],
      [[s1!, v2!], /^wireprobe: reports of different wireprobe versions: ".*ok-1.json" [\d.]+, ".*version-2.json" 0.0.0-other$/],
      [[s1!, c2!], /^wireprobe: ".*cut-2.json" is incomplete \(interrupted by SIGINT\): run that part again before merging$/],
      [[lossy1!, lossy2!], /^wireprobe: 1 of \d+ cells missing: the shards hold \d+/],
      [[over1!, over2!], /^wireprobe: cell ".*" is in both ".*overlap-1.json" and ".*overlap-2.json": merge takes each cell once$/],
      [[s1!, three!], /^wireprobe: ".*ok-1.json" and ".*three-2.json" are shards of different runs \(2 shards of \d+ cells, 3 shards of \d+ cells\)$/],
      [[s1!, path('whole.blob.json')], /^wireprobe: ".*ok-1.json" is shard 1\/2 of a run, but ".*whole.blob.json" is a whole run$/],
      [[path('not-json.json')], /^wireprobe: ".*not-json.json" is not a wireprobe JSON report: not JSON$/],
      [[path('absent.json')], /^wireprobe: cannot read report ".*absent.json": no such file$/],
      [[], /^wireprobe: merge needs reports: "wireprobe merge shard-1.json shard-2.json --html report.html"$/],
      [[s1!, s2!, '--concurrency', '2'], /^wireprobe: option --concurrency does not apply to "merge"$/],
    ];
    for (const [args, line] of cases) {
      const { code, stdout, stderr } = await cli(['merge', ...args]);
      expect({ args, code, stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(stderr.endsWith('\n') && stderr.split('\n').length === 2, stderr).toBe(true);
      expect(stderr.trimEnd()).toMatch(line);
    }
  });
});
