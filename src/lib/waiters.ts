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
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        const got = this.#arrived - from;
        reject(new WireprobeError(`waited ${timeout} ms for ${count} ${this.#noun}${count === 1 ? '' : 's'}, ${got} arrived`, 'EWAITTIMEOUT'));
      }, timeout);
      const waiter: Waiter<T> = { target, resolve, reject, timer };
      this.#waiters.add(waiter);
    });
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

  /** The server closed: every waiter rejects with ECLOSED, and so does every wait from now on. */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(this.#closedError());
    }
    this.#waiters.clear();
  }

  #closedError(): WireprobeError<'ECLOSED'> {
    return new WireprobeError(`the server closed while waiting for a ${this.#noun}`, 'ECLOSED');
  }
}
