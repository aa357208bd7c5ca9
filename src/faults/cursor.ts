/**
 * One parse of the fault syntax: the tokens and a position, with the readers every kind's arguments are
 * made of (src/faults/<kind>.ts `args`). Made per call, never shared. Errors go through `fail`, given by
 * the parser, so this file needs nothing from it.
 */
import { DURATION, DURATION_UNITS, scaled, SIZE, SIZE_UNITS } from '../util/units.js';
import type { Step } from './base.js';

/** `raw`: as typed, quotes included (what errors name); `value`: the word, or the unescaped text. */
export type Token = { readonly raw: string; readonly value: string; readonly quoted: boolean };

/** Throws the parser's error for `token` (as typed; null past the end). */
export type Fail = (token: string | null, problem: string) => never;

/** A whole number with no unit. */
export const int = (raw: string): number | undefined => (/^\d+$/.test(raw) ? scaled(raw, { '': 1 }) : undefined);
/** A size such as `64KiB`. */
export const size = (raw: string): number | undefined => scaled(raw, SIZE_UNITS);
/** A rate such as `2MiB/s`, in bytes per second. */
export const rate = (raw: string): number | undefined => (/\/s$/i.test(raw) ? size(raw.slice(0, -2)) : undefined);
export const positive = (n: number): boolean => n > 0;

export class Cursor {
  i = 0;
  constructor(
    readonly text: string,
    readonly toks: readonly Token[],
    private readonly failWith: Fail,
  ) {}
  fail(problem: string, at = this.i): never {
    return this.failWith(this.toks[at]?.raw ?? null, problem);
  }
  /** The token at `at` as a lower-case keyword; undefined for quoted text and past the end. */
  word(at = this.i): string | undefined {
    return this.toks[at]?.quoted ? undefined : this.toks[at]?.value.toLowerCase();
  }
  /** Consumes the current token if it is one of `choices`. */
  pick<T extends string>(choices: readonly T[]): T | undefined {
    const found = choices.find((c) => c === this.word());
    if (found !== undefined) this.i++;
    return found;
  }
  /** Consumes one of `choices`, or fails naming them. */
  choice<T extends string>(choices: readonly T[]): T {
    return this.pick(choices) ?? this.fail(`expected ${orList(choices.map(q))}`);
  }
  /** Consumes a word that `read` turns into a number accepted by `ok`, or fails with "expected ...". */
  value(expected: string, read: (raw: string) => number | undefined, ok = (n: number) => n >= 0): number {
    const n = this.word() === undefined ? undefined : read(this.toks[this.i]?.value ?? '');
    return n !== undefined && ok(n) ? (this.i++, n) : this.fail(`expected ${expected}`);
  }
  /** Consumes a duration such as `2s`, in ms. */
  duration(): number {
    return this.value(DURATION, (r) => scaled(r, DURATION_UNITS));
  }
  /** Consumes a size above 0 such as `64KiB`, in bytes. */
  size(): number {
    return this.value(SIZE, size, positive);
  }
  /** Consumes quoted text if the current token is one. */
  quotedText(): string | undefined {
    return this.toks[this.i]?.quoted ? this.toks[this.i++]?.value : undefined;
  }
  /** A step; `client`: one the client sends, so not the greeting. */
  step(client = false): Step {
    const w = this.word() ?? '';
    if (w === 'greeting' && client) this.fail('expected a client step (the server sends the greeting)');
    if (w === 'handshake' && !client) this.fail('"handshake" only follows "before" (the client\'s ClientHello arrived)');
    if (w === 'greeting' || w === 'dot' || w === 'handshake') return (this.i++, w);
    const expected = 'expected a step: greeting, dot or a command verb such as DATA';
    return /^[a-z]{3,8}$/.test(w) ? (this.i++, w.toUpperCase()) : this.fail(expected);
  }
}

/** `"word"`, for messages. */
export const q = (s: string): string => JSON.stringify(s);
/** `a, b or c`. */
export const orList = (xs: readonly string[]): string => (xs.length < 2 ? (xs[0] ?? 'end of input') : `${xs.slice(0, -1).join(', ')} or ${xs.at(-1)}`);
