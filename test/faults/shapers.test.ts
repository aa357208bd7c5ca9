/**
 * The shaping Transforms (throttle, slice, coalesce) on fake time: what has come out, and when.
 * Transform internals use process.nextTick (not faked), so each step flushes ticks after the timers.
 */
import type { Transform } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCoalescer } from '../../src/faults/coalesce.js';
import { heldOctets } from '../../src/faults/held.js';
import { createSlicer } from '../../src/faults/slice.js';
import { createThrottle } from '../../src/faults/throttle.js';

/** Lets pending nextTick and promise callbacks (stream plumbing) run; fake timers do not move. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => process.nextTick(resolve));
}

/** Advances fake time by `ms`, then lets the stream plumbing run. */
async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await settle();
}

/** Collects what a Transform emits: every chunk, and whether it ended. */
function drain(stream: Transform): { chunks: Buffer[]; bytes: () => number; all: () => Buffer; ended: () => boolean } {
  const chunks: Buffer[] = [];
  let ended = false;
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => {
    ended = true;
  });
  return {
    chunks,
    bytes: () => chunks.reduce((n, c) => n + c.length, 0),
    all: () => Buffer.concat(chunks),
    ended: () => ended,
  };
}

/** `n` bytes that differ from one position to the next, so reordering or loss shows. */
function pattern(n: number, seed = 0): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) % 251));
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('createThrottle', () => {
  it('lets the first tick of bytes through at once, then about the rate per second', async () => {
    const throttle = createThrottle(1000);
    const out = drain(throttle);
    const input = pattern(3000);
    throttle.write(input);
    await settle();
    expect(out.bytes()).toBe(50);

    await advance(1000);
    expect(out.bytes()).toBeGreaterThanOrEqual(950);
    expect(out.bytes()).toBeLessThanOrEqual(1000 + 50);

    await advance(2000);
    expect(out.bytes()).toBe(3000);
    expect(out.all().equals(input)).toBe(true);
    throttle.destroy();
  });

  it.each([
    { rate: 1000, size: 2500, step: 10 },
    { rate: 1000, size: 2500, step: 137 },
    { rate: 400, size: 1000, step: 50 },
    { rate: 64 * 1024, size: 100_000, step: 25 },
    { rate: 10, size: 25, step: 100 },
  ])('never releases more than rate times elapsed plus one tick ($rate B/s, $size bytes, every $step ms)', async ({ rate, size, step }) => {
    const tick = Math.max(1, Math.floor(rate / 20));
    const throttle = createThrottle(rate);
    const out = drain(throttle);
    const input = pattern(size);
    throttle.write(input);
    await settle();
    let elapsed = 0;
    while (out.bytes() < size) {
      expect(out.bytes(), `at ${elapsed} ms`).toBeLessThanOrEqual((rate * elapsed) / 1000 + tick);
      expect(elapsed, 'took far too long').toBeLessThan((size / rate) * 1000 * 2 + 1000);
      await advance(step);
      elapsed += step;
    }
    expect(out.bytes()).toBeLessThanOrEqual((rate * elapsed) / 1000 + tick);
    expect(out.all().equals(input)).toBe(true);
    throttle.destroy();
  });

  it('keeps the rate across several writes and passes every byte in order', async () => {
    const throttle = createThrottle(1000);
    const out = drain(throttle);
    const parts = [pattern(120, 1), pattern(7, 2), pattern(400, 3), pattern(73, 4)];
    for (const part of parts) throttle.write(part);
    await settle();
    expect(out.bytes()).toBe(50);
    await advance(300);
    expect(out.bytes()).toBeLessThanOrEqual(300 + 50);
    expect(out.bytes()).toBeGreaterThanOrEqual(250);
    await advance(1000);
    expect(out.all().equals(Buffer.concat(parts))).toBe(true);
  });

  it('ends after the last byte when ended with data still pending', async () => {
    const throttle = createThrottle(1000);
    const out = drain(throttle);
    throttle.end(pattern(200));
    await settle();
    expect(out.ended()).toBe(false);
    await advance(200);
    expect(out.bytes()).toBe(200);
    expect(out.ended()).toBe(true);
  });

  it('clears its timer and emits nothing more when destroyed with data pending', async () => {
    const throttle = createThrottle(1000);
    const out = drain(throttle);
    throttle.write(pattern(1000));
    await settle();
    expect(out.bytes()).toBe(50);
    expect(vi.getTimerCount()).toBe(1);
    throttle.destroy();
    await settle();
    expect(vi.getTimerCount()).toBe(0);
    await advance(5000);
    expect(out.bytes()).toBe(50);
  });
});

describe('createSlicer', () => {
  it.each([
    { size: 1, length: 10 },
    { size: 4, length: 10 },
    { size: 5, length: 10 },
    { size: 10, length: 10 },
    { size: 64, length: 10 },
    { size: 7, length: 100 },
  ])('writes $length bytes as pieces of at most $size that concatenate to the input', async ({ size, length }) => {
    const slicer = createSlicer(size);
    const out = drain(slicer);
    const input = pattern(length);
    slicer.write(input);
    await advance(length + 5);
    expect(out.chunks).toHaveLength(Math.ceil(length / size));
    for (const chunk of out.chunks) expect(chunk.length).toBeLessThanOrEqual(size);
    expect(out.all().equals(input)).toBe(true);
    slicer.destroy();
  });

  it('releases one piece per gap', async () => {
    const slicer = createSlicer(3, 10);
    const out = drain(slicer);
    slicer.write(Buffer.from('250 OK\r\n', 'latin1'));
    await settle();
    expect(out.chunks.map(String)).toEqual(['250']);
    await advance(9);
    expect(out.chunks).toHaveLength(1);
    await advance(1);
    expect(out.chunks.map(String)).toEqual(['250', ' OK']);
    await advance(10);
    expect(out.chunks.map(String)).toEqual(['250', ' OK', '\r\n']);
    slicer.destroy();
  });

  it('holds nothing once the last piece of what it was given is out', async () => {
    const slicer = createSlicer(3, 10);
    const out = drain(slicer);
    slicer.write(Buffer.from('220 ok\r\n', 'latin1'));
    await advance(20);
    expect(out.all().toString('latin1')).toBe('220 ok\r\n');
    expect(slicer.writableLength + slicer.readableLength).toBe(0);
    slicer.destroy();
  });

  it('keeps the gap between the last piece of one write and the first of the next', async () => {
    const slicer = createSlicer(3, 10);
    const out = drain(slicer);
    slicer.write(Buffer.from('abc', 'latin1'));
    await settle();
    slicer.write(Buffer.from('def', 'latin1'));
    await settle();
    expect(out.chunks.map(String)).toEqual(['abc']);
    await advance(9);
    expect(out.chunks.map(String)).toEqual(['abc']);
    await advance(1);
    expect(out.chunks.map(String)).toEqual(['abc', 'def']);
    slicer.destroy();
  });

  it('slices each of several writes on its own and keeps their order', async () => {
    const slicer = createSlicer(4, 1);
    const out = drain(slicer);
    const parts = [Buffer.from('220 mx ESMTP\r\n'), Buffer.from('250-a\r\n'), Buffer.from('250 b\r\n')];
    for (const part of parts) slicer.write(part);
    await advance(50);
    for (const chunk of out.chunks) expect(chunk.length).toBeLessThanOrEqual(4);
    expect(out.all().toString()).toBe('220 mx ESMTP\r\n250-a\r\n250 b\r\n');
    expect(out.chunks).toHaveLength(4 + 2 + 2);
    slicer.destroy();
  });

  it('ends once every piece is out', async () => {
    const slicer = createSlicer(2, 5);
    const out = drain(slicer);
    slicer.end(Buffer.from('abcdef'));
    await settle();
    expect(out.ended()).toBe(false);
    await advance(20);
    expect(out.all().toString()).toBe('abcdef');
    expect(out.ended()).toBe(true);
  });

  it('clears its timer and emits nothing more when destroyed mid-chunk', async () => {
    const slicer = createSlicer(2, 10);
    const out = drain(slicer);
    slicer.write(Buffer.from('abcdef'));
    await settle();
    expect(out.all().toString()).toBe('ab');
    slicer.destroy();
    await settle();
    expect(vi.getTimerCount()).toBe(0);
    await advance(100);
    expect(out.all().toString()).toBe('ab');
  });
});

describe('createCoalescer', () => {
  it('counts what it holds in its window as held, though its stream buffers are empty', async () => {
    const coalescer = createCoalescer(50);
    const out = drain(coalescer);
    coalescer.write(Buffer.from('250 OK\r\n'));
    await advance(10);
    expect(coalescer.writableLength + coalescer.readableLength).toBe(0);
    expect(heldOctets(coalescer)).toBe(8);
    await advance(40);
    expect(out.chunks.map(String)).toEqual(['250 OK\r\n']);
    expect(heldOctets(coalescer)).toBe(0);
    coalescer.destroy();
  });

  it('releases three writes within the window as one chunk after ms', async () => {
    const coalescer = createCoalescer(50);
    const out = drain(coalescer);
    coalescer.write(Buffer.from('250-mx\r\n'));
    await advance(10);
    coalescer.write(Buffer.from('250-PIPELINING\r\n'));
    await advance(10);
    coalescer.write(Buffer.from('250 OK\r\n'));
    await advance(29);
    expect(out.chunks).toHaveLength(0);
    await advance(1);
    expect(out.chunks.map(String)).toEqual(['250-mx\r\n250-PIPELINING\r\n250 OK\r\n']);
    coalescer.destroy();
  });

  it('starts a new window for what arrives after a release', async () => {
    const coalescer = createCoalescer(20);
    const out = drain(coalescer);
    coalescer.write(Buffer.from('a'));
    coalescer.write(Buffer.from('b'));
    await advance(20);
    coalescer.write(Buffer.from('c'));
    await advance(5);
    coalescer.write(Buffer.from('d'));
    await advance(14);
    expect(out.chunks.map(String)).toEqual(['ab']);
    await advance(1);
    expect(out.chunks.map(String)).toEqual(['ab', 'cd']);
    coalescer.destroy();
  });

  it('flushes what it holds when ended, without waiting for the window', async () => {
    const coalescer = createCoalescer(1000);
    const out = drain(coalescer);
    coalescer.write(Buffer.from('221 '));
    coalescer.end(Buffer.from('Bye\r\n'));
    await settle();
    expect(out.chunks.map(String)).toEqual(['221 Bye\r\n']);
    expect(out.ended()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears its timer and emits nothing when destroyed while holding data', async () => {
    const coalescer = createCoalescer(50);
    const out = drain(coalescer);
    coalescer.write(Buffer.from('held'));
    await settle();
    expect(vi.getTimerCount()).toBe(1);
    coalescer.destroy();
    await settle();
    expect(vi.getTimerCount()).toBe(0);
    await advance(100);
    expect(out.chunks).toHaveLength(0);
  });
});
