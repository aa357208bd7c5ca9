/**
 * Content made on demand reads the same whole, as a stream from any offset, hashed, and written to a
 * file: a property of every kind (given, repeated, random, joined), for any size and offset.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Content, contentOf, joined, randomContent, repeated } from '../../src/util/content.js';

async function streamed(content: Content, start = 0): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of content.stream(start)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Any content of up to a few 64 KiB chunks, of every kind, joined. */
const anyContent: fc.Arbitrary<Content> = fc.letrec<{ content: Content }>((tie) => ({
  content: fc.oneof(
    { depthSize: 'small' },
    fc.uint8Array({ maxLength: 300 }).map((a) => contentOf(Buffer.from(a))),
    fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 90 }), fc.nat(3000)).map(([unit, times]) => repeated(Buffer.from(unit), times)),
    fc.nat(200_000).map((n) => randomContent(n)),
    fc.array(tie('content'), { maxLength: 4 }).map((parts) => joined(parts)),
  ),
})).content;

describe('Content', () => {
  it('streams from any offset what bytes() holds there, and hashes as bytes() does', async () => {
    await fc.assert(
      fc.asyncProperty(anyContent, fc.nat(), async (content, offset) => {
        const whole = content.bytes();
        expect(whole.length).toBe(content.size);
        const start = content.size === 0 ? 0 : offset % (content.size + 1);
        expect((await streamed(content, start)).equals(whole.subarray(start))).toBe(true);
        expect((await content.digest()).sha256).toBe(sha(whole));
      }),
      { numRuns: 150 },
    );
  });

  it('hashes a content of many pieces as bytes() does, giving the event loop turns while it does', async () => {
    const content = joined([randomContent(5 * 1024 * 1024 + 3), repeated(Buffer.from('line\r\n'), 300_000)]);
    let turns = 0;
    const ticking = setInterval(() => void turns++, 0);
    try {
      const digest = await content.digest();
      expect(digest).toEqual({ bytes: content.size, sha256: sha(content.bytes()) });
      expect(turns).toBeGreaterThan(0);
      expect(await content.digest()).toBe(digest);
    } finally {
      clearInterval(ticking);
    }
  });

  it('makes the same random octets again on every read, and other octets for another content', async () => {
    const a = randomContent(3 * 64 * 1024 + 7);
    const first = a.bytes();
    expect((await streamed(a)).equals(first)).toBe(true);
    expect((await streamed(a, 100_001)).equals(first.subarray(100_001))).toBe(true);
    expect(randomContent(first.length).bytes().equals(first)).toBe(false);
    // Random-looking: no 64-octet run repeats at the 16-octet block boundaries of counter mode.
    const blocks = new Set<string>();
    for (let at = 0; at + 64 <= first.length; at += 64) blocks.add(first.subarray(at, at + 64).toString('hex'));
    expect(blocks.size).toBe(Math.floor(first.length / 64));
  });

  it('lays out a message of headers, repeated lines and a tail, and a trailer after it', () => {
    const message = joined([contentOf(Buffer.from('Subject: x\r\n\r\n')), repeated(Buffer.from('line\r\n'), 3), contentOf(Buffer.from('end\r\n'))]);
    expect(message.bytes().toString()).toBe('Subject: x\r\n\r\nline\r\nline\r\nline\r\nend\r\n');
    expect(message.followedBy(Buffer.from('\r\n')).bytes().toString()).toBe('Subject: x\r\n\r\nline\r\nline\r\nline\r\nend\r\n\r\n');
  });

  it('stops writing a file when its signal aborts, and rejects: no content made for a run that is over', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-test-content-'));
    try {
      const path = join(dir, 'big');
      const controller = new AbortController();
      const writing = randomContent(4 * 1024 ** 3).writeTo(path, { signal: controller.signal });
      setImmediate(() => controller.abort());
      await expect(writing).rejects.toMatchObject({ name: 'AbortError' });
      expect((await stat(path)).size).toBeLessThan(4 * 1024 ** 3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes itself to a file of its size and SHA-256, readable by its owner only, async and sync', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-test-content-'));
    try {
      const content = randomContent(2 * 1024 * 1024 + 3);
      for (const [name, write] of [
        ['async', (p: string) => content.writeTo(p)],
        ['sync', async (p: string) => content.writeToSync(p)],
      ] as const) {
        const path = join(dir, name);
        await write(path);
        expect(sha(await readFile(path))).toBe((await content.digest()).sha256);
        expect((await stat(path)).mode & 0o777).toBe(0o600);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
