/** Medians and spreads of repeated measurements, and the MET/MISSED line every bench row prints. */

/** The middle value (mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The q-quantile (0..1) by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** `123 (101-140)`: median and range, for a row's figure. */
export function spread(values: readonly number[], digits = 0): string {
  const f = (v: number): string => v.toFixed(digits);
  return `${f(median(values))} (${f(Math.min(...values))}-${f(Math.max(...values))})`;
}

/**
 * Ratios of interleaved pairs: pair i is (ours[i], anchor[i]), measured back to back so a slow moment of
 * the machine hits both. Returns each pair's ratio; the row reports their median and range.
 */
export function pairRatios(ours: readonly number[], anchor: readonly number[]): number[] {
  return ours.map((v, i) => v / anchor[i]!);
}

/** One row of the bench table. */
export interface BenchRow {
  readonly what: string;
  /** wireprobe's figure, with its unit. */
  readonly ours: string;
  /** The anchor's figure, with its unit and what it is (`smtp-sink 4008 msgs/s`), or why it is missing. */
  readonly anchor: string;
  /** Our figure over the anchor's (median of pair ratios), when both ran. */
  readonly ratio?: readonly number[];
  /** The goal in words (`>= 0.8x`). */
  readonly goal: string;
  /** Whether the goal is met; undefined when it could not be measured. */
  readonly met?: boolean;
}

/** `MET` / `MISSED` / `NOT MEASURED`. */
export function verdict(met: boolean | undefined): string {
  return met === undefined ? 'NOT MEASURED' : met ? 'MET' : 'MISSED';
}
