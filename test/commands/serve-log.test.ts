/** `serve`'s line logger: lines written together, never later than LOG_BATCH_MS, all of them by flush(). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { batched } from '../../src/commands/serve.js';

/** A stream that records each write. */
function recorder(): { writes: string[]; out: NodeJS.WritableStream } {
  const writes: string[] = [];
  return { writes, out: { write: (text: string) => writes.push(text) > 0 } as unknown as NodeJS.WritableStream };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('serve: batched log', () => {
  it('writes the lines logged within 20 ms in one write, in order', () => {
    const { writes, out } = recorder();
    const log = batched(out);
    log('one');
    log('two');
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(20);
    expect(writes).toEqual(['one\ntwo\n']);
    log('three');
    vi.advanceTimersByTime(20);
    expect(writes).toEqual(['one\ntwo\n', 'three\n']);
  });

  it('writes at once when 512 lines wait, and flush() writes what waits', () => {
    const { writes, out } = recorder();
    const log = batched(out);
    for (let i = 0; i < 513; i++) log(`line ${i}`);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.split('\n')).toHaveLength(513); // 512 lines and the empty string after the last LF
    log.flush();
    expect(writes).toEqual([writes[0], 'line 512\n']);
    vi.advanceTimersByTime(20);
    expect(writes).toHaveLength(2);
  });

  it('escapes control characters and cuts a line over 2000 characters', () => {
    const { writes, out } = recorder();
    const log = batched(out);
    log('a\x1bb');
    log('x'.repeat(2001));
    log.flush();
    expect(writes).toEqual([`a\\x1bb\n${'x'.repeat(2000)}… (2001 chars)\n`]);
  });

  it('writes a printable line of up to 2000 characters as it is, and escapes DEL and C1 controls', () => {
    const { writes, out } = recorder();
    const log = batched(out);
    const longest = `+ 1.0ms #1 S  ${'y'.repeat(1986)}`;
    log(longest);
    log('del\x7f c1\x9b');
    log('caf\u00e9');
    log.flush();
    expect(longest).toHaveLength(2000);
    expect(writes).toEqual([`${longest}\ndel\\x7f c1\\x9b\ncaf\u00e9\n`]);
  });
});
