/**
 * The scenario content runs hold in memory at once, bounded. A run holds its message (every message of
 * its sends) or its files (every parallel transfer's) while it runs: a 1 GiB upload scenario takes about
 * 1.2 GB of wireprobe's memory per run, and its runs (two modes, several clients) would otherwise start
 * together. Runs wait for room instead, in the order they ask; a run larger than the whole budget runs
 * once no other run holds any of it. The budget is a quarter of the machine's memory, at least 512 MiB:
 * at the default concurrency the built-in suites never wait on it (16 shared runs of 32 MiB at most; the
 * 50 MiB ones run apart, 4 at a time).
 */
import os from 'node:os';
import type { Scenario } from './types.js';

/** The default budget: a quarter of the machine's memory, at least 512 MiB. */
export function defaultBudget(): number {
  return Math.max(512 * 1024 * 1024, Math.floor(os.totalmem() / 4));
}

/** The octets of content a run of `scenario` holds: its message per send, or its file per parallel transfer. */
export function weightOf(scenario: Scenario): number {
  const copies = scenario.protocol === 'ftp' ? (scenario.ftp.parallel ?? 1) : (scenario.sends?.count ?? 1);
  return scenario.messageBytes * copies;
}

export class MemoryBudget {
  readonly #total: number;
  #held = 0;
  readonly #waiting: { readonly bytes: number; readonly grant: () => void }[] = [];

  constructor(total = defaultBudget()) {
    this.#total = total;
  }

  /**
   * Resolves with the release once `bytes` fit beside what runs hold (or, larger than the budget, once
   * nothing is held), after every run that asked before; undefined if `signal` aborts first.
   */
  async take(bytes: number, signal?: AbortSignal): Promise<(() => void) | undefined> {
    if (signal?.aborted) return undefined;
    if (this.#waiting.length === 0 && this.#fits(bytes)) this.#held += bytes;
    else if (!(await this.#wait(bytes, signal))) return undefined;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held -= bytes;
      this.#grant();
    };
  }

  /** Waits its turn for `bytes`: true once they are held for it, false if `signal` aborted first. */
  #wait(bytes: number, signal: AbortSignal | undefined): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const onAbort = (): void => {
        const i = this.#waiting.indexOf(entry);
        if (i === -1) return; // granted already
        this.#waiting.splice(i, 1);
        resolve(false);
        this.#grant(); // a smaller run behind it may fit now
      };
      const entry = {
        bytes,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(true);
        },
      };
      this.#waiting.push(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #fits(bytes: number): boolean {
    return this.#held === 0 || this.#held + bytes <= this.#total;
  }

  /** Lets waiting runs go, oldest first, while they fit: their bytes are held for them from now. */
  #grant(): void {
    while (this.#waiting.length > 0 && this.#fits(this.#waiting[0]!.bytes)) {
      const next = this.#waiting.shift()!;
      this.#held += next.bytes;
      next.grant();
    }
  }
}
