/**
 * bin/wireprobe.js chooses between dist/ and src/ through tsx. Each test lays out a small package
 * (the real bin, a stub cli() in src/ and in dist/, mtimes set explicitly) and runs the bin in a child
 * process; the stub says which one ran. The package sits under node_modules/.cache so the bin finds
 * tsx the way an installed one does, by walking up to a node_modules folder.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..', '..');
const EARLIER = new Date('2026-01-01T00:00:00Z');
const BUILT = new Date('2026-02-01T00:00:00Z');
const LATER = new Date('2026-03-01T00:00:00Z');

let root: string;

/** Writes `text` at `path` under the package, with `mtime` for the file and its folder. */
async function put(path: string, text: string, mtime: Date): Promise<void> {
  const file = join(root, path);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
  await utimes(file, mtime, mtime);
  await utimes(dirname(file), mtime, mtime);
}

async function source(path: string, mtime: Date): Promise<void> {
  // Type annotations: only tsx runs this.
  await put(path, "export async function cli(): Promise<void> {\n  const from: string = 'src';\n  console.log(from);\n}\n", mtime);
}

async function build(): Promise<void> {
  await put('dist/src/cli.js', "export async function cli() {\n  console.log('dist');\n}\n", BUILT);
  await put('dist/.built', `${BUILT.toISOString()}\n`, BUILT);
}

/** What the bin printed: `dist` or `src`. */
async function ran(): Promise<string> {
  const child = spawn(process.execPath, [join(root, 'bin', 'wireprobe.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  expect(code).toBe(0);
  return out.trim();
}

beforeEach(async () => {
  const cache = join(REPO, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  root = await mkdtemp(join(cache, 'wireprobe-bin-'));
  await mkdir(join(root, 'bin'));
  for (const file of ['wireprobe.js', 'freshness.js']) await copyFile(join(REPO, 'bin', file), join(root, 'bin', file));
  await put('package.json', '{ "type": "module" }\n', EARLIER);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

it('runs dist/ when no source is newer than its build', async () => {
  await source('src/cli.ts', EARLIER);
  await put('servers/smtp.ts', 'export {};\n', EARLIER);
  await build();
  expect(await ran()).toBe('dist');
});

it('runs src/ through tsx when a source was saved after the build', async () => {
  await source('src/cli.ts', EARLIER);
  await put('servers/smtp.ts', 'export {};\n', LATER);
  await build();
  expect(await ran()).toBe('src');
});

it('runs src/ through tsx when a source was removed after the build (its folder changed)', async () => {
  await source('src/cli.ts', EARLIER);
  await put('suites/smtp/old.ts', 'export {};\n', EARLIER);
  await build();
  await rm(join(root, 'suites/smtp/old.ts'));
  await utimes(join(root, 'suites/smtp'), LATER, LATER);
  expect(await ran()).toBe('src');
});

it('runs src/ through tsx when there is no build (npm ci --ignore-scripts)', async () => {
  await source('src/cli.ts', EARLIER);
  expect(await ran()).toBe('src');
});

it('runs src/ through tsx when dist/ has no stamp (a build that did not finish)', async () => {
  await source('src/cli.ts', EARLIER);
  await put('dist/src/cli.js', "export async function cli() {\n  console.log('dist');\n}\n", BUILT);
  expect(await ran()).toBe('src');
});

it('runs dist/ in an installed package, which ships no sources', async () => {
  await build();
  expect(await ran()).toBe('dist');
});
