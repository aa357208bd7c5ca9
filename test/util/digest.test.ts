import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestIfThere, sha256Of } from '../../src/util/digest.js';

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('digest', () => {
  it('hashes content of any size a piece at a time, as one update would (one update stops at 2 GiB)', () => {
    const data = randomBytes(10_007);
    for (const piece of [1, 7, 1000, 10_007, 1 << 30]) expect(sha256Of(data, piece)).toBe(sha(data));
    expect(sha256Of(Buffer.alloc(0))).toBe(sha(Buffer.alloc(0)));
  });

  it("streams a file's digest, or its first octets', and tells a missing file or a folder from an empty one", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-digest-'));
    try {
      const data = randomBytes(200_000);
      const file = join(dir, 'f.bin');
      await writeFile(file, data);
      expect(await digestIfThere(file)).toEqual({ bytes: data.length, sha256: sha(data) });
      expect(await digestIfThere(file, 1000)).toEqual({ bytes: 1000, sha256: sha(data.subarray(0, 1000)) });
      expect(await digestIfThere(file, 0)).toEqual({ bytes: 0, sha256: sha(Buffer.alloc(0)) });
      expect(await digestIfThere(join(dir, 'missing.bin'))).toBeUndefined();
      expect(await digestIfThere(dir)).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
