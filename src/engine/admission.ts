/**
 * When another run may start. `--concurrency N` is the most runs in flight; up to `floor` of them (the
 * 4 every expectation was measured at) a run starts as soon as one ends, above it only while the runner
 * keeps up: the mean delay of its event loop, where every run's mock server and proxy live, stayed under
 * LAG_MS over the last sample, and one more run at most per sample, so that a busy moment is seen before
 * the next run adds to it.
 *
 * Measured on 2 cores beside `stress-ng --cpu 2`, ftp/resets, ftp/tls and ftp/modes with every client:
 * 16 runs at once delayed the loop by up to 200 ms on average over a second (0.9 s at worst), and lftp's
 * no-progress timers fired in 7 cells that pass on an idle machine; 4 at once, 8 ms on average, every
 * cell as on an idle machine. On an idle machine the loop keeps up and 16 runs go at once.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

/** The mean event-loop delay (beyond the sampling resolution) above which no run starts beyond the floor. */
export const LAG_MS = 20;

/** How long each sample of the event loop's delay lasts. */
export const SAMPLE_MS = 500;

/** The event loop's delay, sampled: the mean of the last whole sample, in ms beyond the resolution. */
export interface LagSource {
  /** The last sample's mean delay, in ms. */
  readonly lagMs: number;
  /** The number of samples taken so far (a new one every SAMPLE_MS). */
  readonly samples: number;
}

const RESOLUTION_MS = 10;

/** The runner's own event loop, sampled every SAMPLE_MS until `stop`. */
export class LoopLag implements LagSource {
  readonly #histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  readonly #timer: NodeJS.Timeout;
  #lagMs = 0;
  #samples = 0;

  constructor() {
    this.#histogram.enable();
    this.#timer = setInterval(() => {
      const mean = this.#histogram.count > 0 ? this.#histogram.mean / 1e6 : RESOLUTION_MS;
      this.#lagMs = Math.max(0, mean - RESOLUTION_MS);
      this.#samples++;
      this.#histogram.reset();
    }, SAMPLE_MS);
    this.#timer.unref();
  }

  get lagMs(): number {
    return this.#lagMs;
  }

  get samples(): number {
    return this.#samples;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#histogram.disable();
  }
}

/** Runs in flight, and whether one more may start (see the header). */
export class Admission {
  readonly #floor: number;
  readonly #lag: LagSource;
  #inFlight = 0;
  /** The sample during which a run last started above the floor. */
  #lastAbove = -1;

  constructor(floor: number, lag: LagSource) {
    this.#floor = Math.max(1, floor);
    this.#lag = lag;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Whether a run may start now; if so it is counted in flight (until `leave`). */
  tryEnter(): boolean {
    if (this.#inFlight >= this.#floor) {
      if (this.#lag.lagMs > LAG_MS || this.#lag.samples === this.#lastAbove) return false;
      this.#lastAbove = this.#lag.samples;
    }
    this.#inFlight++;
    return true;
  }

  /** Waits until a run may start (counted in flight), or `signal` aborts (then false, not counted). */
  async enter(signal?: AbortSignal): Promise<boolean> {
    while (!signal?.aborted) {
      if (this.tryEnter()) return true;
      await delay(SAMPLE_MS / 5, undefined, signal ? { signal } : {}).catch(() => undefined);
    }
    return false;
  }

  /** A run ended. */
  leave(): void {
    this.#inFlight--;
  }
}
