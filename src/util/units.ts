/**
 * Sizes and durations as people type them (`64KiB`, `1.5s`) and back. Pure; shared by the fault syntax
 * and the command line's size and duration flags.
 */
import { quote } from './terminal.js';

/** A unit suffix (lower case, `''` for none) to its multiplier. */
export type Units = Readonly<Record<string, number>>;
/** `k`, `m`, `g` and `KiB`, `MiB`, `GiB` are powers of 1024; `KB`, `MB`, `GB` powers of 1000. */
export const SIZE_UNITS: Units = Object.freeze({
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
});
/** A plain number is milliseconds. */
export const DURATION_UNITS: Units = Object.freeze({ '': 1, ms: 1, s: 1000, m: 60_000 });
/** What a size or a duration looks like, for "expected ..." messages. */
export const SIZE = 'a whole number of bytes such as 512, 2k, 64KiB or 1.5MiB';
export const DURATION = 'a whole number of milliseconds such as 500, 500ms, 1.5s or 2m';

/** A size or duration that is not one: one line naming the input, as FaultSyntaxError words it. */
export class UnitSyntaxError extends Error {
  readonly code = 'EUNITSYNTAX'; // what to test for, rather than the message (as undici's errors)
  override readonly name = 'UnitSyntaxError';
  /** `what`: `size` or `duration`. */
  constructor(
    readonly input: string,
    readonly what: string,
    expected: string,
  ) {
    super(`bad ${what} ${quote(input)}: expected ${expected}`);
  }
}

/** `1.5KiB` -> 1536, in exact decimal arithmetic; undefined unless a whole, safe, non-negative number. */
export function scaled(text: string, units: Units): number | undefined {
  const m = /^(\d+)(?:\.(\d+))?([a-z]*)$/i.exec(text);
  const unit = m?.[3]?.toLowerCase() ?? '';
  if (!m || !Object.hasOwn(units, unit)) return undefined;
  // Zeros that change nothing go first; then more than 50 digits is never a whole safe number (a whole
  // result keeps at most 30 decimals, as the largest unit holds 2^30), refused before big arithmetic.
  let frac = m[2] ?? '';
  while (frac.endsWith('0')) frac = frac.slice(0, -1); // not /0+$/: quadratic on 0000…01
  const digits = (m[1] + frac).replace(/^0+(?=\d)/, '');
  if (digits.length > 50) return undefined;
  const n = BigInt(digits) * BigInt(units[unit] ?? 1);
  const div = 10n ** BigInt(frac.length);
  const value = Number(n / div);
  return n % div === 0n && Number.isSafeInteger(value) ? value : undefined;
}

function measured(text: string, units: Units, what: string, expected: string): number {
  const n = scaled(text.trim(), units);
  if (n === undefined) throw new UnitSyntaxError(text, what, expected);
  return n;
}

/** Bytes in `512`, `2k`, `64KiB`, `1.5MiB`, `10MB`: units (any case) B, k, m, g, KiB, MiB, GiB (1024)
 *  and KB, MB, GB (1000). The result must be a whole number of bytes. */
export function parseSize(text: string): number {
  return measured(text, SIZE_UNITS, 'size', SIZE);
}

/** Milliseconds in `500ms`, `2s`, `1.5s`, `1m` or a plain `500`; must be a whole number of ms. */
export function parseDuration(text: string): number {
  return measured(text, DURATION_UNITS, 'duration', DURATION);
}

/** The largest unit that divides `n` exactly, first match wins. */
function inUnits(n: number, units: readonly (readonly [string, number])[], plain: string): string {
  const [name, size] = units.find(([, s]) => n > 0 && n % s === 0) ?? [plain, 1];
  return `${n / size}${name}`;
}

/** Bytes as `1GiB`, `64KiB`, `1536` (binary units only, so parseSize gives the same number back). */
export function formatSize(bytes: number): string {
  return inUnits(
    bytes,
    [
      ['GiB', 1024 ** 3],
      ['MiB', 1024 ** 2],
      ['KiB', 1024],
    ],
    '',
  );
}

/** Milliseconds as `2m`, `90s`, `1500ms` (so parseDuration gives the same number back). */
export function formatDuration(ms: number): string {
  return inUnits(
    ms,
    [
      ['m', 60_000],
      ['s', 1000],
    ],
    'ms',
  );
}
