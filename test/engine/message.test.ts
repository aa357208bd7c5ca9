import { describe, expect, it } from 'vitest';
import { makeMessage, randomContent } from '../../src/engine/message.js';
import type { Content } from '../../src/util/content.js';

/** `length` octets of `content` from `start`, read as a client reads it. */
async function part(content: Content, start: number, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  for await (const chunk of content.stream(start)) {
    chunks.push(chunk as Buffer);
    got += (chunk as Buffer).length;
    if (got >= length) break;
  }
  return Buffer.concat(chunks).subarray(0, length);
}

describe('test messages', () => {
  it.each([300, 301, 302, 1000, 65_536, 1_048_576])('are exactly %i octets, CRLF lines, ending in CRLF', (bytes) => {
    for (const shape of ['plain', 'dots'] as const) {
      const data = makeMessage('suite/scenario', bytes, shape).bytes();
      const text = data.toString('latin1');
      expect(data.length).toBe(bytes);
      expect(text.endsWith('\r\n')).toBe(true);
      expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
      expect(Math.max(...text.split('\r\n').map((l) => l.length))).toBeLessThan(998);
    }
  });

  it('puts lines that need dot-stuffing, a lone dot among them, in a dots message only', () => {
    expect(makeMessage('s/x', 4096, 'dots').bytes().toString('latin1')).toMatch(/\r\n\.\r\n[\s\S]*\r\n\.leading/);
    expect(makeMessage('s/x', 4096).bytes().toString('latin1')).not.toMatch(/\r\n\./);
  });

  it('makes a message of 4 GiB without holding it: any part of it is read from where it starts', async () => {
    const bytes = 4 * 1024 ** 3;
    const message = makeMessage('s/huge', bytes);
    expect(message.size).toBe(bytes);
    expect((await part(message, bytes - 80, 80)).toString('latin1')).toMatch(/\r\n[^\r\n]*\r\n$/);
    expect((await part(message, bytes / 2, 200)).toString('latin1')).toContain('The quick brown fox');
  });

  it('makes random content of 4 GiB without holding it, and none of size 0', async () => {
    const bytes = 4 * 1024 ** 3;
    const content = randomContent(bytes);
    expect(content.size).toBe(bytes);
    const end = await part(content, bytes - 1000, 1000);
    expect(end).toHaveLength(1000);
    expect(end.some((b) => b !== 0)).toBe(true);
    expect((await part(content, bytes - 1000, 1000)).equals(end)).toBe(true);
    expect(randomContent(0).bytes()).toHaveLength(0);
  });
});
