/**
 * A first-in first-out queue whose `shift` takes constant time at any length.
 *
 * An array used as a queue does not: past about 16,000 elements V8 keeps its backing store in the
 * large-object space, where `shift()` moves every element left (measured on Node 20: 200,000 shifts
 * from a 200,000-element array took 1.7 s, 10,000 from a 10,000-element one 2 ms; a push and a shift
 * on an array holding a million, 104 µs each time). A peer decides how long some of our queues get
 * (commands pipelined, sessions kept), so they must not pay that.
 */
export class Fifo<T> {
  /** Items from `#head` on; those before it are taken and wait to be dropped in one go. */
  #items: T[] = [];
  #head = 0;

  /** Items waiting. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** The oldest item, if any. */
  get first(): T | undefined {
    return this.size > 0 ? this.#items[this.#head] : undefined;
  }

  /** The newest item, if any. */
  get last(): T | undefined {
    return this.size > 0 ? this.#items[this.#items.length - 1] : undefined;
  }

  /** The item `index` places from the oldest (0: the oldest), if that many wait. Constant time. */
  at(index: number): T | undefined {
    return index >= 0 && index < this.size ? this.#items[this.#head + index] : undefined;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** Takes the oldest item off, if any. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.#items[this.#head]!;
    this.#items[this.#head] = undefined as T; // let it go now, not at the next compaction
    this.#head++;
    this.#compact();
    return item;
  }

  /** Takes every item off; returns them, oldest first. */
  clear(): T[] {
    const taken = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return taken;
  }

  /** The oldest item that passes `test`. Linear. */
  find(test: (item: T) => boolean): T | undefined {
    for (let i = this.#head; i < this.#items.length; i++) if (test(this.#items[i]!)) return this.#items[i];
    return undefined;
  }

  /** Takes `item` (the oldest occurrence) off wherever it waits; false if it does not. Linear. */
  remove(item: T): boolean {
    const i = this.#items.indexOf(item, this.#head);
    if (i === -1) return false;
    if (i === this.#head) this.shift();
    else this.#items.splice(i, 1);
    return true;
  }

  /** The items, oldest first. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.#head; i < this.#items.length; i++) yield this.#items[i]!;
  }

  /**
   * Drops the taken items once they are half the array, or all of them once none wait: each shift
   * costs constant time on average, and the array holds at most twice the items waiting (plus 1,024).
   */
  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
