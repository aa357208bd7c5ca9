import { describe, expect, it } from 'vitest';
import { makeMessage, randomContent } from '../../src/engine/message.js';

describe('test messages', () => {
  it.each([300, 301, 302, 1000, 65_536, 1_048_576])('are exactly %i octets, CRLF lines, ending in CRLF', (bytes) => {
    for (const shape of ['plain', 'dots'] as const) {
      const { data } = makeMessage('suite/scenario', bytes, shape);
      const text = data.toString('latin1');
      expect(data.length).toBe(bytes);
      expect(text.endsWith('\r\n')).toBe(true);
      expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
      expect(Math.max(...text.split('\r\n').map((l) => l.length))).toBeLessThan(998);
    }
  });

  it('puts lines that need dot-stuffing, a lone dot among them, in a dots message only', () => {
    expect(makeMessage('s/x', 4096, 'dots').data.toString('latin1')).toMatch(/\r\n\.\r\n[\s\S]*\r\n\.leading/);
    expect(makeMessage('s/x', 4096).data.toString('latin1')).not.toMatch(/\r\n\./);
  });

  it('builds a message past 512 MiB, where a string stops (a scenario may ask for up to 4 GiB)', () => {
    const bytes = 513 * 1024 * 1024 + 7;
    const { data } = makeMessage('s/huge', bytes);
    expect(data.length).toBe(bytes);
    expect(data.subarray(-80).toString('latin1')).toMatch(/\r\n[^\r\n]*\r\n$/);
    expect(data.subarray(bytes / 2, bytes / 2 + 200).toString('latin1')).toContain('The quick brown fox');
  });

  it('fills random content a piece at a time, every piece of it (the random source stops at 2 GiB - 1 a call)', () => {
    const data = randomContent(2500, 1000);
    expect(data.length).toBe(2500);
    // Zero-filled first, so a piece left out would read as 1000 (or 500) zeros.
    for (const [start, end] of [
      [0, 1000],
      [1000, 2000],
      [2000, 2500],
    ] as const)
      expect(data.subarray(start, end).some((b) => b !== 0)).toBe(true);
    expect(randomContent(0)).toHaveLength(0);
  });
});
