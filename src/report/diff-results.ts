/**
 * Comparing two runs cell by cell (`wireprobe diff`, `run --baseline`): a cell (one id: scenario,
 * client, mode, server) changed when its outcome (kind, phase, reply code) or its verdict did; a cell
 * only one run has is listed apart. Durations, transcripts and reasons' wording are not compared.
 */
import { kindAt } from '../engine/outcome-format.js';
import type { Outcome, Result, Verdict } from '../engine/types.js';

/** A cell's outcome and verdict, as compared. */
export interface CellState {
  /** `kind@phase`, with the code for a reply (`reply 552@dot`); `-` for none. */
  readonly outcome: string;
  readonly verdict: Verdict;
}

export interface CellChange {
  readonly id: string;
  readonly before: CellState;
  readonly after: CellState;
}

/** A cell only one of the runs has. */
export interface LoneCell extends CellState {
  readonly id: string;
}

/** What differs between two runs. */
export interface RunDiff {
  /** Cells in either run. */
  readonly cells: number;
  /** In both, outcome or verdict changed; in the after run's order. */
  readonly changed: readonly CellChange[];
  /** Only in the before run (its order). */
  readonly onlyBefore: readonly LoneCell[];
  /** Only in the after run (its order). */
  readonly onlyAfter: readonly LoneCell[];
  /** How the environments differ (src/report/provenance.ts provenanceChanges); empty: the same, as far as known. */
  readonly environment: readonly string[];
}

/** The outcome as compared and shown: unlike formatOutcome it keeps the phase of `delivered`. */
export function outcomeKey(o: Outcome | null): string {
  return o === null ? '-' : kindAt(o);
}

const state = (r: Result): CellState => ({ outcome: outcomeKey(r.outcome), verdict: r.verdict });

/** Compares `before` and `after` cell by cell; `environment` is carried into the diff as given. */
export function diffResults(before: readonly Result[], after: readonly Result[], environment: readonly string[] = []): RunDiff {
  const old = new Map(before.map((r) => [r.id, r]));
  const ids = new Set(after.map((r) => r.id));
  const changed: CellChange[] = [];
  const onlyAfter: LoneCell[] = [];
  for (const r of after) {
    const was = old.get(r.id);
    if (!was) onlyAfter.push({ id: r.id, ...state(r) });
    else if (outcomeKey(was.outcome) !== outcomeKey(r.outcome) || was.verdict !== r.verdict) changed.push({ id: r.id, before: state(was), after: state(r) });
  }
  const onlyBefore = before.filter((r) => !ids.has(r.id)).map((r) => ({ id: r.id, ...state(r) }));
  return { cells: new Set([...old.keys(), ...ids]).size, changed, onlyBefore, onlyAfter, environment };
}

/** Whether any cell differs; `ignoreOnlyBefore`: cells the after run did not run are not a change (`--baseline`). */
export function differs(d: RunDiff, ignoreOnlyBefore = false): boolean {
  return d.changed.length > 0 || d.onlyAfter.length > 0 || (!ignoreOnlyBefore && d.onlyBefore.length > 0);
}

/**
 * The diff for the console: the environments' differences, a line per changed or lone cell, and a
 * last line with the counts. `before` and `after` name the runs (file names).
 */
export function formatDiff(d: RunDiff, names: { readonly before: string; readonly after: string }): string {
  const lines: string[] = [];
  if (d.environment.length > 0) lines.push(`environments differ: ${d.environment.join('; ')}`);
  const width = Math.max(0, ...[...d.changed, ...d.onlyBefore, ...d.onlyAfter].map((c) => c.id.length));
  const cell = (c: CellState): string => `${c.outcome} ${c.verdict}`;
  for (const c of d.changed) lines.push(`changed  ${c.id.padEnd(width)}  ${cell(c.before)} -> ${cell(c.after)}`);
  for (const c of d.onlyBefore) lines.push(`only in ${names.before}  ${c.id.padEnd(width)}  ${cell(c)}`);
  for (const c of d.onlyAfter) lines.push(`only in ${names.after}  ${c.id.padEnd(width)}  ${cell(c)}`);
  const differing = d.changed.length + d.onlyBefore.length + d.onlyAfter.length;
  const counts = [
    `${d.changed.length} changed`,
    ...(d.onlyBefore.length > 0 ? [`${d.onlyBefore.length} only in ${names.before}`] : []),
    ...(d.onlyAfter.length > 0 ? [`${d.onlyAfter.length} only in ${names.after}`] : []),
  ];
  lines.push(differing === 0 ? `no cell differs (${d.cells} cells)` : `${differing} of ${d.cells} cells differ: ${counts.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
