#!/usr/bin/env node
/**
 * The `wireprobe` command. Runs the build in dist/ when it is current (bin/freshness.js), else the
 * TypeScript sources through tsx: `npm ci --ignore-scripts` (no build) and a developer editing src/
 * both run what src/ says, and a build or an installed package (dist/ only) starts without loading a
 * TypeScript compiler (about 100 MB of resident memory less). Before either, it sets the V8 flags
 * the command runs with (bin/v8-flags.js: `serve ftp`'s, none for the others).
 */
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { distIsCurrent } from './freshness.js';
import { v8FlagsFor } from './v8-flags.js';

const nodeOptions = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(' ')];
for (const flag of v8FlagsFor(process.argv.slice(2), nodeOptions)) setFlagsFromString(flag);

if (distIsCurrent(fileURLToPath(new URL('..', import.meta.url)))) {
  const { cli } = await import('../dist/src/cli.js');
  await cli();
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { cli } = await import('../src/cli.ts');
  await cli();
}
