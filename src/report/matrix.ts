/**
 * The client x scenario matrix: one row per scenario, one column per client, each cell the outcome and
 * its verdict. The console draws it; the JSON report carries it for tools.
 */
import type { Result, Verdict } from '../engine/types.js';
import { columnOf } from '../engine/run-common.js';
import { formatOutcome } from './outcome.js';

export interface MatrixCell {
  /** `kind@phase`, `reply 552@body`, `delivered`, or `-` when the run had no outcome. */
  readonly outcome: string;
  readonly verdict: Verdict;
}

export interface Matrix {
  /** Column order: clients in the order they first appear. */
  readonly clients: readonly string[];
  readonly rows: readonly { readonly scenario: string; readonly cells: Readonly<Record<string, MatrixCell>> }[];
}

/** The scenario part of a result id (`smtp/resets/reset-after-rcpt` of `.../nodemailer`). */
export function scenarioOf(result: Result): string {
  return result.id.slice(0, result.id.length - columnOf(result.client, result.mode, result.server).length - 1);
}

/** Arranges results as a matrix; a client with no result for a scenario has no cell there. */
export function buildMatrix(results: readonly Result[]): Matrix {
  const clients = [...new Set(results.map((r) => columnOf(r.client, r.mode, r.server)))];
  const rows = new Map<string, Record<string, MatrixCell>>();
  for (const r of results) {
    const scenario = scenarioOf(r);
    const cells = rows.get(scenario) ?? {};
    cells[columnOf(r.client, r.mode, r.server)] = { outcome: r.verdict === 'n/a' ? 'n/a' : formatOutcome(r.outcome), verdict: r.verdict };
    rows.set(scenario, cells);
  }
  return { clients, rows: [...rows].map(([scenario, cells]) => ({ scenario, cells })) };
}
