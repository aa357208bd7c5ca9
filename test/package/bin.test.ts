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

/**
 * What the bin printed (`dist` or `src` from the stubs above), run with `args`, and `node` before the
 * bin. It must print nothing on stderr: a V8 flag V8 does not know would be complained of there.
 */
async function ran(args: readonly string[] = [], node: readonly string[] = []): Promise<string> {
  const child = spawn(process.execPath, [...node, join(root, 'bin', 'wireprobe.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  expect(err).toBe('');
  expect(code).toBe(0);
  return out.trim();
}

beforeEach(async () => {
  const cache = join(REPO, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  root = await mkdtemp(join(cache, 'wireprobe-bin-'));
  await mkdir(join(root, 'bin'));
  for (const file of ['wireprobe.js', 'freshness.js', 'v8-flags.js']) await copyFile(join(REPO, 'bin', file), join(root, 'bin', file));
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

/**
 * A stub cli() that prints how V8 runs it: the young generation's size in MiB after allocating as a
 * busy server does (short-lived objects, a few kept: V8 grows it from 2 x 1 MiB as objects survive its
 * collections), and whether TurboFan optimises a function asked to be optimised.
 */
async function v8Stub(): Promise<void> {
  const stub = [
    "import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';",
    'export async function cli() {',
    '  const kept = [];',
    '  for (let round = 0; round < 40; round++) {',
    '    const batch = [];',
    '    for (let i = 0; i < 50000; i++) batch.push({ i });',
    '    kept.push(batch[round]);',
    '  }',
    "  const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 2 ** 20;",
    "  setFlagsFromString('--allow-natives-syntax');",
    "  const optimise = new Function('f', '%PrepareFunctionForOptimization(f); f(1, 2); f(2, 3); %OptimizeFunctionOnNextCall(f); f(3, 4); return %GetOptimizationStatus(f);');",
    '  const turbofan = (optimise((a, b) => a + b) & 16) !== 0;',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the stub's own template literal
    "  console.log(`${young} ${turbofan ? 'turbofan' : 'no-turbofan'}`);",
    '}',
  ];
  await put('dist/src/cli.js', `${stub.join('\n')}\n`, BUILT);
  await put('dist/.built', `${BUILT.toISOString()}\n`, BUILT);
}

it('runs serve ftp with its young generation at its starting size and no optimising compiler (bin/v8-flags.js), and only it', async () => {
  await v8Stub();
  expect(await ran(['serve', 'ftp', '--port', '0'])).toBe('2 no-turbofan');
  for (const other of [['serve', 'smtp'], ['run'], []]) {
    const [young, compiler] = (await ran(other)).split(' ');
    expect(Number(young)).toBeGreaterThan(2);
    expect(compiler).toBe('turbofan');
  }
});

it('leaves a V8 flag the user gave node to the user on serve ftp, whatever its spelling', async () => {
  await v8Stub();
  for (const node of [
    ['--semi-space-growth-factor=2', '--turbofan'],
    ['--max-semi-space-size=16', '--opt'],
  ]) {
    const [young, compiler] = (await ran(['serve', 'ftp'], node)).split(' ');
    expect(Number(young)).toBeGreaterThan(2);
    expect(compiler).toBe('turbofan');
  }
  expect(await ran(['serve', 'ftp'], ['--no_turbofan'])).toBe('2 no-turbofan');
});
