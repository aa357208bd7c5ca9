/**
 * Counts of verdicts over a run: the numbers every report ends with (console line, JSON `summary`).
 */
import type { Result, Verdict } from '../engine/types.js';

/** How many results a run produced, and how many of each verdict. */
export interface Summary {
  readonly total: number;
  readonly conformant: number;
  readonly deviates: number;
  readonly unfired: number;
  readonly error: number;
  /** Results that could not run here (client not installed) or do not apply. */
  readonly na: number;
}

/** Counts results by verdict; `total` is every result, so the five counts add up to it. */
export function summarize(results: readonly Result[]): Summary {
  const counts: Record<Verdict, number> = { conformant: 0, deviates: 0, unfired: 0, error: 0, 'n/a': 0 };
  for (const r of results) counts[r.verdict] += 1;
  const { 'n/a': na, ...rest } = counts;
  return { total: results.length, ...rest, na };
}
