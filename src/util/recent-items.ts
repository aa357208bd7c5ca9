/**
 * The newest `limit` items of a stream, as a live read-only array: a mock's messages and uploads, kept
 * as the user asked (`keep`).
 *
 * An array trimmed with `shift()` costs O(length) per item past the limit once it holds more than about
 * 16,000 (./fifo.ts): 140 µs per message at a `keep` of 100,000, measured on Node 20, as much as the
 * message itself. The items live in a Fifo instead, and `view` reads them through a Proxy: an array to
 * every reader (`Array.isArray`, `length`, indexes, iteration, `map`, `JSON.stringify`, vitest's
 * matchers, `util.inspect`), always holding the newest items, as the array handed out before did.
 */

import { inspect } from 'node:util';
import { Fifo } from './fifo.js';

export class RecentItems<T> {
  readonly #items = new Fifo<T>();
  readonly #limit: number;
  /** The items, oldest first: a read-only array view of what the window holds whenever it is read. */
  readonly view: readonly T[];

  /** `limit`: the items kept, 0 or more (Infinity: all). */
  constructor(limit: number) {
    if (!(limit >= 0)) throw new RangeError(`limit must be 0 or more, got ${limit}`);
    this.#limit = limit;
    this.view = arrayView(this.#items);
  }

  /** Items held. */
  get size(): number {
    return this.#items.size;
  }

  /** Lets every item go; returns them, oldest first. */
  clear(): T[] {
    return this.#items.clear();
  }

  /** Adds `item` as the newest; returns the oldest if the limit lets it go. */
  push(item: T): T | undefined {
    this.#items.push(item);
    return this.#items.size > this.#limit ? this.#items.shift() : undefined;
  }
}

/** The position an array index key names (`"0"`, `"12"`), or -1 for any other key. */
function indexOf(key: string | symbol): number {
  if (typeof key !== 'string' || key === '') return -1;
  const index = Number(key);
  return Number.isSafeInteger(index) && index >= 0 && String(index) === key ? index : -1;
}

/**
 * A Proxy over an empty array (so `Array.isArray` and Array.prototype's methods work, each reading
 * `length` and indexes through the traps) that answers `length` and indexes from `items` and refuses
 * every write. `util.inspect` formats a Proxy's target, not the Proxy, so the target carries a custom
 * inspect that formats the items.
 */
function arrayView<T>(items: Fifo<T>): readonly T[] {
  const target: T[] = [];
  Object.defineProperty(target, inspect.custom, {
    value: (_depth: number, options: object, format: typeof inspect) => format([...items], options),
    configurable: true,
  });
  const refuse = (): boolean => false;
  return new Proxy(target, {
    get(target, key, receiver) {
      if (key === 'length') return items.size;
      const index = indexOf(key);
      return index === -1 ? Reflect.get(target, key, receiver) : items.at(index);
    },
    has(target, key) {
      const index = indexOf(key);
      return index === -1 ? Reflect.has(target, key) : index < items.size;
    },
    ownKeys() {
      return [...Array.from({ length: items.size }, (_, i) => String(i)), 'length'];
    },
    getOwnPropertyDescriptor(target, key) {
      // `length` is the target's own, not configurable: reported as such, with the items' count.
      if (key === 'length') return { value: items.size, writable: true, enumerable: false, configurable: false };
      const index = indexOf(key);
      if (index === -1) return Reflect.getOwnPropertyDescriptor(target, key);
      return index < items.size ? { value: items.at(index), writable: false, enumerable: true, configurable: true } : undefined;
    },
    set: refuse,
    defineProperty: refuse,
    deleteProperty: refuse,
    setPrototypeOf: refuse,
    preventExtensions: refuse,
  });
}
