/**
 * Shared fast-check arbitraries for the fuzz tests: byte streams biased toward what line protocols
 * care about (CR, LF, dots at line start, reply codes, NUL, 0xFF, lines longer than the framer keeps),
 * and the cut points that split a stream into chunks.
 */
import fc from 'fast-check';

/** Every property runs with this seed, so a failure reproduces the same way on every run. */
export const SEED = 20261204;

/** Bytes that steer a line framer: line ends, dot-stuffing, reply separators, NUL, 0xFF. */
const SPECIAL = [0x0d, 0x0a, 0x2e, 0x20, 0x2d, 0x00, 0xff, 0x7f, 0x09, 0x32, 0x35, 0x30, 0x7c, 0x2c];

/** One byte, often a special one. */
export const byte: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 255 }) },
);

/** Free bytes: up to `max` of them. */
export const bytes = (max = 64): fc.Arbitrary<Buffer> => fc.array(byte, { maxLength: max }).map((xs) => Buffer.from(xs));

/** A line longer than the framers keep in memory (src/protocol/lines.ts cuts at 4096). */
export const longLine: fc.Arbitrary<Buffer> = fc
  .tuple(fc.integer({ min: 4000, max: 4300 }), fc.constantFrom('\r\n', '\n', ''), fc.constantFrom('', '250-', '250 ', 'MAIL '))
  .map(([n, end, head]) => Buffer.from(`${head}${'x'.repeat(n)}${end}`, 'latin1'));

/** `text` as latin1 octets. */
export const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

/** Cut points inside a stream of `length` octets, sorted, as fractions made concrete by `cut`. */
export const cuts: fc.Arbitrary<number[]> = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

/** `data` split at the fractions `at` (duplicates and ends give no empty chunk). */
export function cut(data: Buffer, at: readonly number[]): Buffer[] {
  const points = [...new Set(at.map((f) => Math.floor(f * data.length)))].filter((p) => p > 0 && p < data.length);
  points.sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of [...points, data.length]) {
    chunks.push(data.subarray(from, p));
    from = p;
  }
  return chunks.filter((c) => c.length > 0);
}

/** Streams up to this long are also fed one octet at a time (longer ones only cut, to bound the run time). */
export const BYTEWISE_MAX = 1024;

/** `data` one octet at a time. */
export function bytewise(data: Buffer): Buffer[] {
  return [...data].map((b) => Buffer.from([b]));
}
