/**
 * Partial writes: where the raw client cuts what it sends, so a check can deliver one command or one
 * end-of-data sequence over several TCP writes and see whether the server reassembles them.
 */

/** Splits `bytes` into pieces of `split` octets, or at the given offsets. */
export function cut(bytes: Buffer, split: number | readonly number[] | undefined): Buffer[] {
  if (split === undefined || bytes.length === 0) return [bytes];
  const offsets =
    typeof split === 'number'
      ? Array.from({ length: Math.ceil(bytes.length / Math.max(1, split)) - 1 }, (_, i) => (i + 1) * Math.max(1, split))
      : [...split].filter((n) => n > 0 && n < bytes.length).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let at = 0;
  for (const offset of offsets) {
    if (offset <= at) continue;
    pieces.push(bytes.subarray(at, offset));
    at = offset;
  }
  pieces.push(bytes.subarray(at));
  return pieces;
}
