import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inTempDir } from '../../src/clients/process.js';
import { withPrivateTmp } from '../helpers/private-tmp.js';

describe('inTempDir (where process clients keep scripts that hold passwords)', () => {
  it('gives a folder of mode 0700 and removes it afterwards', async () => {
    const { result: dir, left } = await withPrivateTmp(() =>
      inTempDir('wireprobe-test-', async (d) => {
        expect(statSync(d).mode & 0o777).toBe(0o700);
        await writeFile(join(d, 'script'), 'user "u" "secret"\n', { mode: 0o600 });
        expect(statSync(join(d, 'script')).mode & 0o777).toBe(0o600);
        return d;
      }),
    );
    expect(existsSync(dir)).toBe(false);
    expect(left).toEqual([]);
  });

  it('removes the folder synchronously when the signal aborts (a second Ctrl-C does not wait for the task)', async () => {
    const controller = new AbortController();
    const { left } = await withPrivateTmp(() =>
      inTempDir(
        'wireprobe-test-',
        async (d) => {
          await writeFile(join(d, 'script'), 'user "u" "secret"\n', { mode: 0o600 });
          controller.abort();
          // Gone before the task (a killed client) has even returned.
          expect(existsSync(d)).toBe(false);
        },
        controller.signal,
      ),
    );
    expect(left).toEqual([]);
  });
});
