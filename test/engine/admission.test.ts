import { describe, expect, it } from 'vitest';
import { Admission, LAG_MS, type LagSource, LoopLag } from '../../src/engine/admission.js';

/** A lag source the test sets by hand. */
function lagOf(lagMs: number, samples = 0): { -readonly [K in keyof LagSource]: LagSource[K] } {
  return { lagMs, samples };
}

/** Starts runs until one is refused; returns how many started. */
function fill(admission: Admission): number {
  let started = 0;
  while (admission.tryEnter()) started++;
  return started;
}

describe('admission of runs', () => {
  it('starts runs up to the floor whatever the lag, and one for each that ends', () => {
    const lag = lagOf(10 * LAG_MS);
    const admission = new Admission(4, 16, lag);
    expect(fill(admission)).toBe(4);
    lag.samples++;
    expect(admission.tryEnter()).toBe(false);
    admission.leave();
    expect(admission.tryEnter()).toBe(true);
    expect(admission.inFlight).toBe(4);
  });

  it('allows one more run for each sample in which the loop kept up, up to the width', () => {
    const lag = lagOf(LAG_MS - 1);
    const admission = new Admission(2, 4, lag);
    expect(fill(admission)).toBe(2);
    lag.samples++;
    expect(fill(admission)).toBe(1);
    lag.samples++;
    expect(fill(admission)).toBe(1);
    lag.samples++;
    expect(fill(admission)).toBe(0);
    expect(admission.ceiling).toBe(4);
    // At steady state a run that ends is replaced at once, whatever the samples.
    admission.leave();
    admission.leave();
    expect(fill(admission)).toBe(2);
  });

  it('falls back to the floor after a sample in which the loop lagged', () => {
    const lag = lagOf(0);
    const admission = new Admission(2, 8, lag);
    fill(admission);
    for (let i = 0; i < 3; i++) {
      lag.samples++;
      fill(admission);
    }
    expect(admission.inFlight).toBe(5);
    lag.lagMs = LAG_MS;
    lag.samples++;
    expect(admission.ceiling).toBe(2);
    for (let i = 0; i < 4; i++) admission.leave();
    expect(fill(admission)).toBe(1);
  });

  it('without a lag source, never goes beyond the floor', () => {
    const admission = new Admission(2, 8);
    expect(fill(admission)).toBe(2);
    expect(admission.ceiling).toBe(2);
  });

  it('does not grow while no run waits', () => {
    const lag = lagOf(0);
    const admission = new Admission(2, 8, lag);
    expect(admission.tryEnter()).toBe(true);
    for (let i = 0; i < 5; i++) {
      lag.samples++;
      expect(admission.ceiling).toBe(2);
    }
  });

  it('a waiting run starts once the loop catches up, and gives up when interrupted', async () => {
    const lag = lagOf(LAG_MS + 1);
    const admission = new Admission(1, 4, lag);
    expect(admission.tryEnter()).toBe(true);
    const waiting = admission.enter();
    lag.lagMs = 0;
    lag.samples++;
    expect(await waiting).toBe(true);
    expect(admission.inFlight).toBe(2);

    lag.lagMs = LAG_MS + 1;
    lag.samples++;
    const stop = new AbortController();
    const held = admission.enter(stop.signal);
    stop.abort();
    expect(await held).toBe(false);
    expect(admission.inFlight).toBe(2);
  });

  it("measures the runner's event loop: a blocked loop shows as lag", async () => {
    const lag = new LoopLag();
    try {
      const seen: number[] = [];
      const start = lag.samples;
      while (lag.samples < start + 3) {
        // The loop blocked 300 ms in every sample.
        const until = Date.now() + 300;
        while (Date.now() < until);
        await new Promise((resolve) => setTimeout(resolve, 20));
        seen.push(lag.lagMs);
      }
      expect(Math.max(...seen)).toBeGreaterThan(5);
    } finally {
      lag.stop();
    }
  });
});
