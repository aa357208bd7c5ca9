/**
 * Steps waiting for their replies, oldest first (RFC 2920 pipelining; FTP commands sent ahead), a run
 * of the same step kept as one entry. A client that pipelines without reading has as many steps waiting
 * as its commands fill the socket buffers on the way: a million NOOPs took 50 MB as a string each.
 * Pure: no sockets, no timers.
 */
export class StepQueue {
  /** Runs from `#head` on; those before it are taken and wait to be dropped in one go. */
  #runs: { readonly step: string; count: number }[] = [];
  #head = 0;
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
    return this.#runs[this.#head]?.step;
  }

  push(step: string): void {
    const last = this.#runs.at(-1);
    if (last?.step === step) last.count++;
    else this.#runs.push({ step, count: 1 });
    this.#size++;
  }

  /** Takes the oldest step off, if any: constant time, however many runs wait behind it. */
  shift(): string | undefined {
    const run = this.#runs[this.#head];
    if (run === undefined) return undefined;
    this.#size--;
    if (--run.count === 0) this.#advance();
    return run.step;
  }

  /**
   * Takes the oldest `step` off, wherever it waits; false if none does. Linear in the runs before it:
   * for a step a fault answered in the server's place, not for every reply.
   */
  remove(step: string): boolean {
    for (let i = this.#head; i < this.#runs.length; i++) {
      const run = this.#runs[i]!;
      if (run.step !== step) continue;
      this.#size--;
      if (--run.count > 0) return true;
      if (i === this.#head) this.#advance();
      else this.#runs.splice(i, 1);
      return true;
    }
    return false;
  }

  /**
   * Past an emptied oldest run. Taken runs are dropped once they are half the array (each shift costs
   * constant time on average; the array holds at most twice the runs waiting), or all of them once none wait.
   */
  #advance(): void {
    this.#head++;
    if (this.#head === this.#runs.length) {
      this.#runs = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#runs.length) {
      this.#runs = this.#runs.slice(this.#head);
      this.#head = 0;
    }
  }
}
