import { Fifo } from '../util/fifo.js';

/**
 * Steps waiting for their replies, oldest first (RFC 2920 pipelining; FTP commands sent ahead), a run
 * of the same step kept as one entry. A client that pipelines without reading has as many steps waiting
 * as its commands fill the socket buffers on the way: a million NOOPs took 50 MB as a string each.
 * Pure: no sockets, no timers.
 */
export class StepQueue {
  readonly #runs = new Fifo<{ readonly step: string; count: number }>();
  #size = 0;

  constructor(...steps: readonly string[]) {
    for (const step of steps) this.push(step);
  }

  /** Steps waiting. */
  get size(): number {
    return this.#size;
  }

  /** The oldest step waiting, if any. */
  get oldest(): string | undefined {
    return this.#runs.first?.step;
  }

  push(step: string): void {
    const last = this.#runs.last;
    if (last?.step === step) last.count++;
    else this.#runs.push({ step, count: 1 });
    this.#size++;
  }

  /** Takes the oldest step off, if any: constant time, however many runs wait behind it. */
  shift(): string | undefined {
    const run = this.#runs.first;
    if (run === undefined) return undefined;
    this.#size--;
    if (--run.count === 0) this.#runs.shift();
    return run.step;
  }

  /**
   * Takes the oldest `step` off, wherever it waits; false if none does. Linear in the runs waiting:
   * for a step a fault answered in the server's place, not for every reply.
   */
  remove(step: string): boolean {
    const run = this.#runs.find((r) => r.step === step);
    if (run === undefined) return false;
    this.#size--;
    if (--run.count === 0) this.#runs.remove(run);
    return true;
  }
}
