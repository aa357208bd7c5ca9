/**
 * Steps waiting for their replies, oldest first (RFC 2920 pipelining; FTP commands sent ahead), a run
 * of the same step kept as one entry. A client that pipelines without reading has as many steps waiting
 * as its commands fill the socket buffers on the way: a million NOOPs took 50 MB as a string each.
 * Pure: no sockets, no timers.
 */
export class StepQueue {
  readonly #runs: { readonly step: string; count: number }[] = [];
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
    return this.#runs[0]?.step;
  }

  push(step: string): void {
    const last = this.#runs.at(-1);
    if (last?.step === step) last.count++;
    else this.#runs.push({ step, count: 1 });
    this.#size++;
  }

  /** Takes the oldest step off, if any. */
  shift(): string | undefined {
    const step = this.oldest;
    if (step !== undefined) this.#take(0);
    return step;
  }

  /** Takes the oldest `step` off, wherever it waits; false if none does. */
  remove(step: string): boolean {
    const i = this.#runs.findIndex((run) => run.step === step);
    if (i !== -1) this.#take(i);
    return i !== -1;
  }

  /** The oldest step waiting that passes `test`. */
  find(test: (step: string) => boolean): string | undefined {
    return this.#runs.find((run) => test(run.step))?.step;
  }

  #take(i: number): void {
    this.#size--;
    if (--this.#runs[i]!.count === 0) this.#runs.splice(i, 1);
  }
}
