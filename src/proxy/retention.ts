/**
 * Which of its sessions the proxy keeps: every open one, and the newest `keep` finished ones (newest by
 * when they finished). An older finished session is dropped, sockets, Session and transcript with it,
 * and only counted, so a long `serve` holds what the user asked to keep and no more.
 *
 *   accept ──► add ──► open ──► finished ──► kept while among the newest `keep` finished ──► counted
 */

import { Fifo } from '../util/fifo.js';

/** What is left of the sessions no longer kept. */
export interface DroppedSessions {
  /** Finished sessions dropped. */
  readonly sessions: number;
  /** Among them, those in which a fault fired. */
  readonly faultFired: number;
}

/** The kept sessions, by their index; `E` is the proxy's own record of one. */
export class Retention<E> {
  readonly #keep: number;
  readonly #faultFired: (entry: E) => boolean;
  readonly #onDrop: (entry: E) => void;
  /** By session index; a Map iterates in insertion order, which is accept order. */
  readonly #entries = new Map<number, E>();
  /** Indexes of the kept finished sessions, oldest finish first; unused when every session is kept. */
  readonly #finished = new Fifo<number>();
  #dropped = { sessions: 0, faultFired: 0 };

  /**
   * `keep`: finished sessions kept (Infinity: all); `faultFired` reads an entry for the counts; `onDrop`
   * lets the owner forget what it holds of an entry dropped.
   */
  constructor(keep: number, faultFired: (entry: E) => boolean, onDrop: (entry: E) => void = () => undefined) {
    if (!(keep >= 0)) throw new Error(`keep must be 0 or more, got ${keep}`);
    this.#keep = keep;
    this.#faultFired = faultFired;
    this.#onDrop = onDrop;
  }

  /** A new session, open. */
  add(index: number, entry: E): void {
    this.#entries.set(index, entry);
  }

  /**
   * The session is over (its transcript complete): it is kept among the newest finished, or dropped.
   * `record`: what to keep of it from now on, in its entry's place.
   */
  finished(index: number, record?: E): void {
    if (record !== undefined && this.#entries.has(index)) this.#entries.set(index, record);
    if (this.#keep === Number.POSITIVE_INFINITY) return;
    this.#finished.push(index);
    while (this.#finished.size > this.#keep) this.#drop(this.#finished.shift()!);
  }

  /** The kept sessions, open and finished, in accept order. */
  entries(): IterableIterator<E> {
    return this.#entries.values();
  }

  get dropped(): DroppedSessions {
    return { ...this.#dropped };
  }

  #drop(index: number): void {
    const entry = this.#entries.get(index);
    if (entry === undefined) return;
    this.#entries.delete(index);
    this.#dropped.sessions++;
    if (this.#faultFired(entry)) this.#dropped.faultFired++;
    this.#onDrop(entry);
  }
}
