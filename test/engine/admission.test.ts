import { describe, expect, it } from 'vitest';
import { Admission, LAG_MS, type LagSource, LoopLag } from '../../src/engine/admission.js';

/** A lag source the test sets by hand. */
function lagOf(lagMs: number, samples = 1): { -readonly [K in keyof LagSource]: LagSource[K] } {
  return { lagMs, samples };
}

describe('admission of runs', () => {
  it('starts runs up to the floor whatever the lag', () => {
    const admission = new Admission(4, lagOf(10 * LAG_MS));
    for (let i = 0; i < 4; i++) expect(admission.tryEnter()).toBe(true);
    expect(admission.tryEnter()).toBe(false);
    expect(admission.inFlight).toBe(4);
    admission.leave();
    expect(admission.tryEnter()).toBe(true);
  });

  it('beyond the floor, one more run per sample while the loop keeps up', () => {
    const lag = lagOf(LAG_MS - 1, 1);
    const admission = new Admission(2, lag);
    expect([admission.tryEnter(), admission.tryEnter()]).toEqual([true, true]);
    expect(admission.tryEnter()).toBe(true);
    // The same sample: it has not yet seen what that run costs.
    expect(admission.tryEnter()).toBe(false);
    lag.samples = 2;
    expect(admission.tryEnter()).toBe(true);
    lag.samples = 3;
    lag.lagMs = LAG_MS + 1;
    expect(admission.tryEnter()).toBe(false);
    expect(admission.inFlight).toBe(4);
  });

  it('a waiting run starts once the loop catches up, and gives up when interrupted', async () => {
    const lag = lagOf(LAG_MS + 1);
    const admission = new Admission(1, lag);
    expect(admission.tryEnter()).toBe(true);
    const waiting = admission.enter();
    lag.lagMs = 0;
    lag.samples = 2;
    expect(await waiting).toBe(true);
    expect(admission.inFlight).toBe(2);

    lag.lagMs = LAG_MS + 1;
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
