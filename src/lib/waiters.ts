/**
 * Waiting for the Nth item (message, upload) to arrive from now, with a deadline. Items are counted as
 * they arrive, so a waiter needs no look at the list (which `keep` or a clear may shorten).
 */
import { WireprobeError } from '../util/errors.js';

interface Waiter<T> {
  readonly target: number;
  resolve(item: T): void;
  reject(error: WireprobeError): void;
  readonly timer: NodeJS.Timeout;
  /** The wait's promise, to mark its ECLOSED rejection handled (see close). */
  readonly promise: Promise<T>;
}

/** Waiters for items counted by `arrived`. */
export class Waiters<T> {
  #arrived = 0;
  #waiters = new Set<Waiter<T>>();
  #closed = false;
  readonly #noun: string;

  /** `noun`: what arrives, for the one-line timeout message (`message`, `upload`). */
  constructor(noun: string) {
    this.#noun = noun;
  }

  /** Resolves with the `count`th item arriving from now; rejects with EWAITTIMEOUT after `timeout` ms, ECLOSED once closed. */
  wait(options: { readonly timeout?: number; readonly count?: number } = {}): Promise<T> {
    const timeout = options.timeout ?? 10_000;
    const count = options.count ?? 1;
    if (!(Number.isSafeInteger(count) && count >= 1)) return Promise.reject(new WireprobeError(`count must be a whole number from 1, got ${count}`, 'EUSAGE'));
    if (!(Number.isFinite(timeout) && timeout >= 0)) return Promise.reject(new WireprobeError(`timeout must be a number of ms, got ${timeout}`, 'EUSAGE'));
    if (this.#closed) return Promise.reject(this.#closedError());
    const target = this.#arrived + count;
    const from = this.#arrived;
    let settle: Pick<Waiter<T>, 'resolve' | 'reject'> | undefined;
    const promise = new Promise<T>((resolve, reject) => {
      settle = { resolve, reject };
    });
    const timer = setTimeout(() => {
      this.#waiters.delete(waiter);
      const got = this.#arrived - from;
      waiter.reject(new WireprobeError(`waited ${timeout} ms for ${count} ${this.#noun}${count === 1 ? '' : 's'}, ${got} arrived`, 'EWAITTIMEOUT'));
    }, timeout);
    const waiter: Waiter<T> = { target, ...settle!, timer, promise };
    this.#waiters.add(waiter);
    return promise;
  }

  /** An item arrived: the waiters it completes resolve with it. */
  arrived(item: T): void {
    this.#arrived++;
    for (const waiter of this.#waiters) {
      if (waiter.target !== this.#arrived) continue;
      clearTimeout(waiter.timer);
      this.#waiters.delete(waiter);
      waiter.resolve(item);
    }
  }

  /**
   * The server closed: every waiter rejects with ECLOSED, and so does every wait from now on. A wait
   * still pending here is mostly one its test no longer awaits (it failed first, and the fixture or its
   * `finally` closed the server): its rejection is marked handled, so it adds no unhandled-rejection
   * error to the test's own; whoever does await it still gets ECLOSED.
   */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.promise.catch(() => undefined);
      waiter.reject(this.#closedError());
    }
    this.#waiters.clear();
  }

  #closedError(): WireprobeError<'ECLOSED'> {
    return new WireprobeError(`the server closed while waiting for ${/^[aeiou]/.test(this.#noun) ? 'an' : 'a'} ${this.#noun}`, 'ECLOSED');
  }
}
