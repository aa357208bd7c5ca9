/**
 * Where the exim-relay client finds Exim: the binary it is given, else `exim4` on PATH (apt's
 * exim4-daemon-light), else where scripts/install/mta.sh unpacks it; missing, the client is `n/a`
 * with the install hint, never a crash.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEximRelayClient, eximBinary } from '../../src/clients/exim-relay.js';
import { unavailable } from '../../src/engine/run.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A directory holding an executable `exim4` (never run), put first on PATH for this test. */
async function fakeEximOnPath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wireprobe-exim-path-'));
  const exim = join(dir, 'exim4');
  await writeFile(exim, '#!/bin/sh\nexit 1\n');
  await chmod(exim, 0o755);
  const before = process.env.PATH;
  process.env.PATH = `${dir}${delimiter}${before ?? ''}`;
  cleanups.push(async () => {
    if (before === undefined) delete process.env.PATH;
    else process.env.PATH = before;
    await rm(dir, { recursive: true, force: true });
  });
  return exim;
}

describe('exim-relay finds Exim', () => {
  it('takes the binary it is given, only when it is there', async () => {
    expect(await eximBinary(process.execPath)).toBe(process.execPath);
    expect(await eximBinary('/nonexistent/wireprobe/exim4')).toBeUndefined();
  });

  it('finds exim4 on PATH first (an apt install), by its absolute path', async () => {
    const exim = await fakeEximOnPath();
    expect(await eximBinary()).toBe(exim);
    expect(await unavailable(createEximRelayClient())).toBeUndefined();
  });

  it('is n/a with the install hint when the binary is missing', async () => {
    const missing = createEximRelayClient({ binary: '/nonexistent/wireprobe/exim4' });
    expect(await unavailable(missing)).toBe(
      '/nonexistent/wireprobe/exim4 not found: apt-get install exim4-daemon-light, or beside postfix (the packages conflict) scripts/install/mta.sh, which unpacks it; needs root',
    );
  });
});
