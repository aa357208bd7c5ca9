/**
 * The client x scenario matrix: one row per scenario, one column per client, each cell the outcome and
 * its verdict. The console draws it; the JSON report carries it for tools.
 */
import { formatOutcome } from '../engine/outcome-format.js';
import type { Result, Verdict } from '../engine/types.js';

export interface MatrixCell {
  /** `kind@phase`, `reply 552@body`, `closed@greeting by the client`, `delivered`, or `-` when the run had no outcome. */
  readonly outcome: string;
  readonly verdict: Verdict;
}

export interface Matrix {
  /** Column order: clients in the order they first appear. */
  readonly clients: readonly string[];
  readonly rows: readonly { readonly scenario: string; readonly cells: Readonly<Record<string, MatrixCell>> }[];
}

/** The scenario a result belongs to (`smtp/resets/reset-after-rcpt`): its row. */
export function scenarioOf(result: Result): string {
  return result.scenarioId;
}

/** Arranges results as a matrix; a client with no result for a scenario has no cell there. */
export function buildMatrix(results: readonly Result[]): Matrix {
  const clients = [...new Set(results.map((r) => r.column))];
  const rows = new Map<string, Record<string, MatrixCell>>();
  for (const r of results) {
    const cells = rows.get(r.scenarioId) ?? {};
    cells[r.column] = { outcome: r.verdict === 'n/a' ? 'n/a' : formatOutcome(r.outcome), verdict: r.verdict };
    rows.set(r.scenarioId, cells);
  }
  return { clients, rows: [...rows].map(([scenario, cells]) => ({ scenario, cells })) };
}
