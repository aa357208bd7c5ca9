#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so `npx wireprobe` works right after `npm ci`
// on a fresh clone, with no build step.
import { register } from 'tsx/esm/api';

register();
const { cli } = await import('../src/cli.ts');
await cli();
