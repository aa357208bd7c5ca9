/**
 * The scenario content runs hold in memory at once, bounded. Content is made as it is read
 * (../util/content.ts), and a mailbox is compared with it a piece at a time (../util/stored-copies.ts),
 * so most runs hold none of it whole. A run whose client is given it whole does, for as long as it runs:
 * a client module's (`job.message` and `job.data` are whole Buffers, every message of its sends, every
 * parallel transfer's file), nodemailer's and the clients that read it whole in their own processes
 * (`holdsContent`). Those wait for room, in the order they ask; a run larger than the whole budget runs once no other run
 * holds any of it. The budget is a quarter of the machine's memory, at least 512 MiB.
 */
import os from 'node:os';
import type { RunOf } from './identity.js';

/** The default budget: a quarter of the machine's memory, at least 512 MiB. */
export function defaultBudget(): number {
  return Math.max(512 * 1024 * 1024, Math.floor(os.totalmem() / 4));
}

/**
 * The octets of content a run holds whole: its message per send, or its file per parallel transfer, for a
 * client that is given them whole; else none.
 */
export function weightOf({ scenario, client }: Pick<RunOf, 'scenario' | 'client'>): number {
  if (scenario.messageBytes > (client.holdsContent ?? 0)) return 0;
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
