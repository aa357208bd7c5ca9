/**
 * The throttle's pacing when its timers fire late, as they do on a loaded machine: the average rate
 * must stay the configured one. The throttle reads a clock that runs `lag` ms ahead of fake time;
 * raising `lag` just before a timer fires makes that timer exactly that much late, as the throttle sees it.
 */
import type { Transform } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createThrottle } from '../../src/faults/throttle.js';

/** Lets pending nextTick and promise callbacks (stream plumbing) run; fake timers do not move. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => process.nextTick(resolve));
}

/** A clock for the throttle that can be pushed ahead of the fake timers. */
function laggingClock(): { now: () => number; lateBy: (ms: number) => void } {
  let lag = 0;
  return {
    now: () => performance.now() + lag,
    lateBy: (ms) => {
      lag += ms;
    },
  };
}

interface Pacing {
  /** When, on the throttle's clock, the last byte came out, counted from the write. */
  readonly elapsed: number;
  /** The largest single release, in bytes. */
  readonly largest: number;
  /** Every byte, in order. */
  readonly output: Buffer;
}

/**
 * Writes `size` bytes into a throttle at `rate`, fires its timers one by one, each late by the next
 * value of `lateness` (cycled), and notes when the last byte came out.
 */
async function pace(rate: number, size: number, lateness: readonly number[], chunk = size): Promise<Pacing> {
  const clock = laggingClock();
  const throttle: Transform = createThrottle(rate, clock.now);
  const chunks: Buffer[] = [];
  let received = 0;
  let lastAt = 0;
  let largest = 0;
  throttle.on('data', (c: Buffer) => {
    chunks.push(c);
    received += c.length;
    largest = Math.max(largest, c.length);
    lastAt = clock.now();
  });
  const input = Buffer.alloc(size);
  for (let i = 0; i < size; i++) input[i] = (i * 31) % 251;
  const start = clock.now();
  for (let pos = 0; pos < size; pos += chunk) throttle.write(input.subarray(pos, pos + chunk));
  await settle();
  for (let fired = 0; received < size; fired++) {
    expect(fired, 'took far too many timers').toBeLessThan(100_000);
    clock.lateBy(lateness[fired % lateness.length] ?? 0);
    await vi.advanceTimersToNextTimerAsync();
    await settle();
  }
  throttle.destroy();
  const output = Buffer.concat(chunks);
  expect(output.equals(input)).toBe(true);
  return { elapsed: lastAt - start, largest, output };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('createThrottle under late timers', () => {
  it.each([
    { rate: 1000, size: 5000, lateness: [0], label: 'on time' },
    { rate: 1000, size: 5000, lateness: [20], label: 'each 20 ms late' },
    { rate: 1000, size: 5000, lateness: [49], label: 'each almost a tick late' },
    { rate: 1000, size: 5000, lateness: [130, 0, 7, 260, 45], label: 'late by several ticks, irregularly' },
    { rate: 24 * 1024 * 1024, size: 50 * 1024 * 1024, lateness: [15, 90, 3, 400], label: '50 MiB at 24 MiB/s' },
    { rate: 640 * 1024, size: 3 * 1024 * 1024, lateness: [35, 35, 200], label: '3 MiB at 640 KiB/s' },
  ])('sends N octets in N/R, within one tick plus the last lateness ($label)', async ({ rate, size, lateness }) => {
    const tick = 1000 / 20;
    const { elapsed } = await pace(rate, size, lateness);
    const ideal = (size / rate) * 1000;
    // The first tick's worth goes at once, so the last byte may come one tick before N/R; and it
    // cannot come before the timer that releases it, however late that one is.
    expect(elapsed).toBeGreaterThanOrEqual(ideal - tick - 1e-6);
    expect(elapsed).toBeLessThanOrEqual(ideal + tick + Math.max(...lateness));
  });

  it('keeps the rate when the bytes come in many small chunks', async () => {
    const rate = 64 * 1024;
    const size = 256 * 1024;
    const { elapsed } = await pace(rate, size, [30, 110], 1500);
    expect(elapsed).toBeGreaterThanOrEqual(((size - rate / 20) / rate) * 1000 - 1e-6);
    expect(elapsed).toBeLessThanOrEqual((size / rate) * 1000 + 50 + 110);
  });

  it('bounds the catch-up burst to one second of bytes, so a long pause is not made up', async () => {
    const rate = 1000;
    const { largest, elapsed } = await pace(rate, 10_000, [0, 3000]);
    expect(largest).toBeLessThanOrEqual(rate);
    // Every second pause of 3 s is made up only for its first second.
    expect(elapsed).toBeGreaterThan(10_000);
  });
});
