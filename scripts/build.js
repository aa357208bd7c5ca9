#!/usr/bin/env node
/**
 * `npm run build`: compiles src/, servers/ and suites/ to dist/ (ESM JavaScript and .d.ts, the same
 * layout, so relative imports between them stay valid), copies the files beside them that the code
 * reads at run time (the Python clients), and stamps dist/.built for bin/freshness.js.
 * `prepare` and `prepack` pass --unless-current: `npm pack` runs both, and a current dist/ is kept.
 *
 *   tsc -p tsconfig.build.json ──► dist.partial-PID/{src,servers,suites}/**.js + .d.ts
 *   non-.ts files under those  ──► copied beside them
 *   dist.partial-PID/.built    ──► mtime = when this build STARTED
 *   dist.partial-PID           ──► renamed to dist/ (the old one removed)
 *
 * Built aside and swapped in whole: a failed build leaves the previous dist/ as it was, nothing from a
 * deleted source lingers, and a wireprobe started during the build never reads a half-written file.
 * The stamp carries the start time: a source saved while tsc runs counts as newer than the build.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distIsCurrent, STAMP } from '../bin/freshness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
/** The folders compiled; tsconfig.build.json's `include` names the same. */
const SOURCES = ['src', 'servers', 'suites'];

if (process.argv.includes('--unless-current') && distIsCurrent(ROOT)) {
  console.error('wireprobe build: dist/ is current');
  process.exit(0);
}
const started = new Date();
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // `npm ci --omit=dev` has no compiler: the bin runs src/ through tsx then, so `prepare` goes on.
  console.error('wireprobe build: typescript (a dev dependency) is not installed; dist/ not built, the bin runs src/ through tsx');
  process.exit(0);
}
const staging = join(ROOT, `dist.partial-${process.pid}`);
rmSync(staging, { recursive: true, force: true });
const compiled = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', staging], { stdio: 'inherit' });
if (compiled.status !== 0) {
  rmSync(staging, { recursive: true, force: true });
  process.exit(compiled.status ?? 1);
}
for (const folder of SOURCES) {
  for (const entry of readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })) {
    // Sources are compiled and notes (a folder's README.md) are for readers of the repository: neither ships.
    if (!entry.isFile() || entry.name.endsWith('.ts') || entry.name.endsWith('.md')) continue;
    const from = join(entry.parentPath, entry.name);
    const to = join(staging, relative(ROOT, from));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
  }
}
const stamp = join(staging, relative('dist', STAMP));
writeFileSync(stamp, `${started.toISOString()}\n`);
utimesSync(stamp, started, started);
const old = join(ROOT, `dist.old-${process.pid}`);
rmSync(old, { recursive: true, force: true });
try {
  renameSync(DIST, old);
} catch (error) {
  if (error.code !== 'ENOENT') throw error;
}
renameSync(staging, DIST);
rmSync(old, { recursive: true, force: true });
