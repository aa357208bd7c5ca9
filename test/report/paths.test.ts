/**
 * Report paths: the pre-check does what the run will do (creates and removes a file there), so /proc
 * and its kin are refused before anything runs; a report that still fails after the run is named and
 * the other reports are kept.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkOutput } from '../../src/commands/output.js';
import { runCommand } from '../../src/commands/run.js';
import { selectClients } from '../../src/commands/select.js';
import { UsageError } from '../../src/util/usage-error.js';
import { SUITES } from '../../suites/index.js';
import { writeJsonReport } from '../../src/report/json.js';
import { makeDirs } from '../../src/util/dirs.js';

class Sink extends Writable {
  text = '';
  /** Called with each chunk before it is kept. */
  onChunk: (text: string) => void = () => undefined;
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.onChunk(chunk.toString());
    this.text += chunk.toString();
    done();
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-paths-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('checkOutput', () => {
  it.each([
    ['json', '/proc/x.json', 'file', 'bad --json "/proc/x.json": cannot create files in /proc (ENOENT)'],
    ['json', '/proc/sub/x.json', 'file', 'bad --json "/proc/sub/x.json": cannot create anything in /proc (ENOENT)'],
    ['transcripts', '/proc/xdir', 'dir', 'bad --transcripts "/proc/xdir": cannot create anything in /proc (ENOENT)'],
  ] as const)('refuses --%s %s before anything runs', async (flag, path, kind, message) => {
    const error = await checkOutput(flag, path, kind).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(message);
  });

  it('accepts a new file, a folder still to be made and an existing file, and leaves nothing behind', async () => {
    await checkOutput('json', join(dir, 'out.json'), 'file');
    await checkOutput('json', join(dir, 'a', 'b', 'out.json'), 'file');
    await checkOutput('transcripts', join(dir, 'transcripts'), 'dir');
    writeFileSync(join(dir, 'kept.json'), 'old');
    await checkOutput('json', join(dir, 'kept.json'), 'file');
    expect(await readdir(dir)).toEqual(['kept.json']);
    expect(await readFile(join(dir, 'kept.json'), 'utf8')).toBe('old');
  });
});

describe('a report that fails after the run', () => {
  it('is named on stderr with exit 2, and the other reports are still written', async () => {
    const resets = SUITES.find((s) => s.name === 'smtp/resets')!;
    const suite = { ...resets, scenarios: resets.scenarios.slice(0, 1) };
    const lost = join(dir, 'lost');
    const json = join(lost, 'out.json');
    const junit = join(dir, 'out.xml');
    const out = new Sink();
    const err = new Sink();
    // The check passed (the folder existed); by the time the summary is printed, a file stands in its place.
    out.onChunk = (text) => {
      if (/\d+ scenarios:/.test(text)) {
        rmSync(lost, { recursive: true, force: true });
        writeFileSync(lost, 'not a folder');
      }
    };
    await mkdir(lost);
    const code = await runCommand({
      suites: [suite],
      clients: selectClients(['nodemailer']),
      servers: [],
      concurrency: 1,
      json,
      junit,
      failOnDeviation: false,
      version: 'test',
      out,
      err,
      color: false,
      live: false,
    });
    expect(code).toBe(2);
    expect(err.text).toMatch(
      new RegExp(`^wireprobe: cannot write --json "${json.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}": (ENOTDIR|EEXIST); the other reports are kept\n$`),
    );
    expect(out.text).toContain(`junit written to ${junit}\n`);
    expect(existsSync(junit)).toBe(true);
    expect(out.text).not.toContain('json written');
  });
});

describe('makeDirs', () => {
  it('fails at once with ENOENT where Node recursive mkdir spins forever (/proc), and makes nested folders elsewhere', async () => {
    await expect(makeDirs('/proc/xdir/a')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(writeJsonReport('/proc/sub/x.json', [], 'test')).rejects.toMatchObject({ code: 'ENOENT' });
    await makeDirs(join(dir, 'a', 'b', 'c'));
    await makeDirs(join(dir, 'a', 'b', 'c'));
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['c']);
  });
});
