/**
 * Compares the verdict tables of two or more `wireprobe run --json` reports, cell by cell: a cell is a
 * scenario with one client (FTP: in one mode) on one server, and its value the outcome's kind and phase
 * and the verdict. Prints every cell whose value is not the same in all reports (a cell missing from a
 * report counts as different), one line per report; exits 1 when any differs, so a load or concurrency
 * comparison can run in a loop.
 *
 *   node --import tsx scripts/verdict-diff.ts A.json B.json [C.json...]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { JsonReport, JsonResult } from '../src/report/json.js';

/** `smtp/resets/close-after-mail msmtp @mock-smtp`, with `/passive` or `/active` after an FTP client. */
export function cellId(r: JsonResult): string {
  return `${r.id} ${r.client}${r.mode ? `/${r.mode}` : ''} @${r.server}`;
}

/** `closed rcpt conformant`; `-` for a result without an outcome (`n/a`, `error`). */
export function cellValue(r: JsonResult): string {
  return r.outcome ? `${r.outcome.kind} ${r.outcome.phase} ${r.verdict}` : `- - ${r.verdict}`;
}

/** Each report's value per cell id; undefined where the report lacks the cell. */
export function verdictTables(reports: readonly Pick<JsonReport, 'results'>[]): Map<string, (string | undefined)[]> {
  const cells = new Map<string, (string | undefined)[]>();
  reports.forEach((report, i) => {
    for (const r of report.results) {
      const row = cells.get(cellId(r)) ?? new Array<string | undefined>(reports.length).fill(undefined);
      row[i] = cellValue(r);
      cells.set(cellId(r), row);
    }
  });
  return cells;
}

/** The cells whose value is not the same in every report, sorted by id. */
export function differing(cells: Map<string, (string | undefined)[]>): [string, (string | undefined)[]][] {
  return [...cells].filter(([, values]) => new Set(values).size > 1).sort(([a], [b]) => a.localeCompare(b));
}

/** Prints the cells that differ among the reports in `files`; the exit code says whether any did. */
function main(files: readonly string[]): number {
  if (files.length < 2) {
    console.error('usage: node --import tsx scripts/verdict-diff.ts A.json B.json [C.json...]');
    return 2;
  }
  const cells = verdictTables(files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as JsonReport));
  const diffs = differing(cells);
  for (const [id, values] of diffs) {
    console.log(id);
    for (const [i, v] of values.entries()) console.log(`  ${files[i]}: ${v ?? '(missing)'}`);
  }
  console.log(`${diffs.length} of ${cells.size} cells differ across ${files.length} reports`);
  return diffs.length ? 1 : 0;
}

// Run as a script, not when a test imports the functions above.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
