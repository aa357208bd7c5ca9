/**
 * When another run may start. `--concurrency N` is the most runs in flight; up to `floor` of them (the
 * 4 every expectation was measured at) a run starts as soon as one ends, and more only while the runner
 * keeps up: the runs allowed at once grow by one per sample (SAMPLE_MS) in which the mean delay of its
 * event loop, where every run's mock server and proxy live, stayed under LAG_MS, and fall back to the
 * floor after a sample in which it did not, so a busy moment is seen before more runs add to it.
 *
 * Measured on 2 cores beside `stress-ng --cpu 2`, ftp/resets, ftp/tls and ftp/modes with every client:
 * 16 runs at once delayed the loop by up to 200 ms on average over a second (0.9 s at worst), and lftp's
 * no-progress timers fired in 7 cells that pass on an idle machine; 4 at once, 8 ms on average, every
 * cell as on an idle machine. The default run at 16 on an idle machine: under 20 ms in 9 samples of 10.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

/** The mean event-loop delay (beyond the sampling resolution) from which no run starts beyond the floor. */
export const LAG_MS = 20;

/** How long each sample of the event loop's delay lasts. */
const SAMPLE_MS = 500;

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

  /** The last sample's mean delay beyond the resolution, in ms (0 before the first sample). */
  get lagMs(): number {
    return this.#lagMs;
  }

  /** Samples taken so far. */
  get samples(): number {
    return this.#samples;
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.#timer);
    this.#histogram.disable();
  }
}

/**
 * Runs in flight, and whether one more may start (see the header): the runs allowed at once (the
 * ceiling) start at the floor, grow by one for each sample in which the loop kept up while runs waited,
 * up to the width, and fall back to the floor after a sample in which it did not.
 */
export class Admission {
  readonly #floor: number;
  readonly #width: number;
  readonly #lag: LagSource | undefined;
  #inFlight = 0;
  #ceiling: number;
  /** The sample the ceiling last followed. */
  #seen: number;

  /** `lag` may be left out when `width` is not above `floor`: nothing then asks it. */
  constructor(floor: number, width: number, lag?: LagSource) {
    this.#width = Math.max(1, width);
    this.#floor = Math.min(this.#width, Math.max(1, floor));
    this.#ceiling = this.#floor;
    this.#lag = this.#width > this.#floor ? lag : undefined;
    this.#seen = this.#lag?.samples ?? 0;
  }

  /** Runs in flight now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Runs allowed in flight now: between the floor and the width. */
  get ceiling(): number {
    this.#follow();
    return this.#ceiling;
  }

  /** Whether a run may start now; if so it is counted in flight (until `leave`). */
  tryEnter(): boolean {
    this.#follow();
    if (this.#inFlight >= this.#ceiling) return false;
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

  /** A new sample: one more run allowed if the loop kept up while runs waited, back to the floor if it did not. */
  #follow(): void {
    if (!this.#lag) return;
    const { samples, lagMs } = this.#lag;
    if (samples === this.#seen) return;
    this.#seen = samples;
    if (lagMs >= LAG_MS) this.#ceiling = this.#floor;
    else if (this.#inFlight >= this.#ceiling) this.#ceiling = Math.min(this.#width, this.#ceiling + 1);
  }
}
