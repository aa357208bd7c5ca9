import { describe, expect, it } from 'vitest';
import { createLfRewriter } from '../../src/faults/lf.js';

async function rewrite(chunks: readonly string[]): Promise<string> {
  const t = createLfRewriter();
  const out: Buffer[] = [];
  t.on('data', (d: Buffer) => out.push(d));
  const ended = new Promise((resolve) => t.on('end', resolve));
  for (const c of chunks) t.write(Buffer.from(c, 'latin1'));
  t.end();
  await ended;
  return Buffer.concat(out).toString('latin1');
}

describe('lf rewriter', () => {
  it.each([
    [['250-a\r\n250 b\r\n'], '250-a\n250 b\n'],
    [['250 a\r', '\n354 go\r\n'], '250 a\n354 go\n'],
    [['a\rb\r\r\n'], 'a\rb\r\n'],
    [['ends with CR\r'], 'ends with CR\r'],
  ])('turns %j into %j', async (chunks, want) => {
    expect(await rewrite(chunks)).toBe(want);
  });
});
