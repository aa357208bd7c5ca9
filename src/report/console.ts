/**
 * The console reporter. While a run is live (a TTY) it keeps one progress line, rewritten in place,
 * with the time left once the run is long; in CI (not live) it prints nothing per result, only a
 * progress line with the time left every PROGRESS_EVERY_MS of a long run. At the end: an aligned table
 * in the order given, one line per non-conformant result with its reason, and the summary line.
 */
import type { Result, Verdict } from '../engine/types.js';
import { buildMatrix } from './matrix.js';
import { formatOutcome } from '../engine/outcome-format.js';
import { formatOverride, noteHeader, serverConfigNotes } from './server-config.js';
import { summarize } from './summary.js';
import { capped } from '../util/terminal.js';

export { formatOutcome } from '../engine/outcome-format.js';

/** How the console reporter writes. */
export interface ConsoleOptions {
  /** ANSI colours and the `✗` mark; when false the output is plain ASCII with no escape sequences. */
  readonly color: boolean;
  /** Rewrite one progress line per result (for a TTY); when false nothing is printed until `end`. */
  readonly live: boolean;
  /** Every n/a result on its own line; default false: one line per reason with its count. */
  readonly verbose?: boolean;
  /** A clock in ms for the time left; default performance.now. */
  readonly now?: () => number;
}

/** A live progress line shows the time left once the run has gone this long (short runs stay quiet). */
export const ETA_AFTER_MS = 10_000;
/** Not live (CI logs): one progress line per this much time, the first after as long. */
export const PROGRESS_EVERY_MS = 30_000;

/** The reporter's three calls, made by the runner in this order. */
export interface ConsoleReporter {
  /** The run is about to start `total` scenario runs. */
  start(total: number): void;
  /** One result is in. */
  result(r: Result): void;
  /** The run is over: print the table, the explanations and the summary. */
  end(results: readonly Result[]): void;
}

const ESC = '\u001b';
const CLEAR_LINE = `\r${ESC}[2K`;
const VERDICT_COLOR: Record<Verdict, number> = { conformant: 32, deviates: 31, unfired: 33, error: 31, 'n/a': 90 };

/** Creates a reporter writing to `out`; its progress counters belong to this reporter alone. */
export function createConsoleReporter(out: NodeJS.WritableStream, options: ConsoleOptions): ConsoleReporter {
  const paint = (code: number, text: string): string => (options.color ? `${ESC}[${code}m${text}${ESC}[0m` : text);
  const verdict = (v: Verdict): string => paint(VERDICT_COLOR[v], v);
  const progress = { total: 0, done: 0, width: 0, started: 0, printed: 0 };
  const now = options.now ?? (() => performance.now());

  /** Rewrites the progress line; without colour, pads over the old line instead of an escape sequence. */
  const rewrite = (line: string, visible: number): void => {
    if (options.color) out.write(`${CLEAR_LINE}${line}`);
    else out.write(`\r${line}${' '.repeat(Math.max(0, progress.width - visible))}`);
    progress.width = visible;
  };

  return {
    start(total) {
      progress.total = total;
      progress.done = 0;
      progress.started = now();
      progress.printed = progress.started;
    },
    result(r) {
      progress.done += 1;
      const at = now();
      const elapsed = at - progress.started;
      // The runs so far, at the concurrency they ran at, predict the rest.
      const left = formatDuration((elapsed / progress.done) * (progress.total - progress.done));
      if (!options.live) {
        if (at - progress.printed < PROGRESS_EVERY_MS || progress.done >= progress.total) return;
        progress.printed = at;
        out.write(`${progress.done}/${progress.total} done in ${formatDuration(elapsed)}, about ${left} left\n`);
        return;
      }
      const eta = elapsed >= ETA_AFTER_MS && progress.done < progress.total ? `, ~${left} left` : '';
      const counter = `[${progress.done}/${progress.total}${eta}] `;
      const head = counter + fit(r.id, columnsOf(out) - counter.length - r.verdict.length - 3);
      rewrite(`${head}  ${verdict(r.verdict)}`, head.length + 2 + r.verdict.length);
    },
    end(results) {
      if (options.live && progress.width > 0) {
        rewrite('', 0);
        out.write('\r');
      }
      out.write(renderEnd(results, options.color, verdict, paint, options.verbose === true));
    },
  };
}

function renderEnd(
  results: readonly Result[],
  color: boolean,
  verdict: (v: Verdict) => string,
  paint: (code: number, text: string) => string,
  verbose: boolean,
): string {
  // One table per protocol: SMTP and FTP clients never share a scenario.
  const byProtocol = (['smtp', 'ftp'] as const).map((p) => results.filter((r) => r.protocol === p)).filter((rs) => rs.length > 0);
  const lines = byProtocol.flatMap((rs, i) => [
    ...(i > 0 ? [''] : []),
    ...(buildMatrix(rs).clients.length > 1 ? renderMatrix(rs, paint) : renderList(rs, verdict)),
  ]);
  const failed = results.filter((r) => r.verdict !== 'conformant');
  if (failed.length > 0) lines.push('');
  const mark = color ? paint(31, '✗') : 'x';
  // Reasons quote clients and servers: escaped and cut before the terminal sees them.
  const reason = (r: Result): string => capped([r.reason], { maxLineChars: 500 })[0]!;
  for (const r of failed) if (r.verdict !== 'n/a' || verbose) lines.push(`${r.verdict === 'n/a' ? '-' : mark} ${r.id}: ${reason(r)}`);
  if (!verbose) {
    // n/a (a client without active mode, a server not installed) repeats one reason per scenario: one line per reason.
    const byReason = new Map<string, number>();
    for (const r of failed) if (r.verdict === 'n/a') byReason.set(reason(r), (byReason.get(reason(r)) ?? 0) + 1);
    for (const [text, n] of byReason) lines.push(`- n/a x${n}: ${text}`);
    if (byReason.size > 0) lines.push('  (each n/a is listed in the JSON report and with --verbose)');
  }
  const notes = serverConfigNotes(results);
  if (notes.length > 0) lines.push('');
  // The user's values come from their file: escaped and cut like reasons.
  for (const note of notes)
    lines.push(
      ...capped([`${noteHeader(note)}${note.overridden.length > 0 ? ':' : ''}`, ...note.overridden.map((o) => `  ${formatOverride(o)}`)], {
        maxLineChars: 500,
      }),
    );
  const s = summarize(results);
  const count = (n: number, code: number, text: string): string => (n > 0 ? paint(code, text) : text);
  if (lines.length > 0) lines.push('');
  lines.push(
    `${s.total} scenarios: ${count(s.conformant, 32, `${s.conformant} conformant`)}, ` +
      `${count(s.deviates, 31, `${s.deviates} deviate`)}, ${count(s.unfired, 33, `${s.unfired} unfired`)}, ` +
      `${count(s.error, 31, `${s.error} errors`)}${s.na > 0 ? `, ${s.na} n/a` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

/** One line per result: id, outcome, verdict. */
function renderList(results: readonly Result[], verdict: (v: Verdict) => string): string[] {
  const rows = results.map((r) => [r.id, formatOutcome(r.outcome), r.verdict] as const);
  const idWidth = Math.max(0, ...rows.map(([id]) => id.length));
  const outcomeWidth = Math.max(0, ...rows.map(([, o]) => o.length));
  return rows.map(([id, o, v]) => `${id.padEnd(idWidth)}  ${o.padEnd(outcomeWidth)}  ${verdict(v)}`);
}

/** Verdict marks in matrix cells, short enough to keep a column narrow. */
const CELL_MARK: Record<Verdict, string> = { conformant: 'ok', deviates: 'DEV', unfired: 'UNFIRED', error: 'ERR', 'n/a': '' };

/** A row per scenario, a column per client: `reset@rcpt ok`, `delivered DEV`, `n/a`. */
function renderMatrix(results: readonly Result[], paint: (code: number, text: string) => string): string[] {
  const { clients, rows } = buildMatrix(results);
  const text = (scenario: string, client: string): string => {
    const cell = rows.find((r) => r.scenario === scenario)?.cells[client];
    return cell ? `${cell.outcome} ${CELL_MARK[cell.verdict]}`.trim() : '';
  };
  const first = Math.max('scenario'.length, ...rows.map((r) => r.scenario.length));
  const widths = clients.map((c) => Math.max(c.length, ...rows.map((r) => text(r.scenario, c).length)));
  const header = ['scenario'.padEnd(first), ...clients.map((c, i) => c.padEnd(widths[i]!))].join('  ');
  const body = rows.map((row) =>
    [
      row.scenario.padEnd(first),
      ...clients.map((c, i) => {
        const cell = row.cells[c];
        const padded = text(row.scenario, c).padEnd(widths[i]!);
        return cell ? paint(VERDICT_COLOR[cell.verdict], padded) : padded;
      }),
    ]
      .join('  ')
      .trimEnd(),
  );
  return [header.trimEnd(), ...body];
}

/** A duration for people, whole seconds: `45s`, `2m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** What the run's last line names beside the counts. */
export interface FinalLine {
  readonly elapsedMs: number;
  /** The shard this machine ran, and the cells of all shards together. */
  readonly shard?: { readonly index: number; readonly count: number; readonly cells: number };
  /** The report files written. */
  readonly reports: readonly string[];
}

/**
 * The run's last line, whole on its own in a CI log: counts, the shard, the time taken and the report
 * paths, e.g. `wireprobe: 24 results (shard 2/4 of 96 cells) in 1m05s: 22 conformant, 2 deviate, 0
 * unfired, 0 errors; reports: out/a.json, out/a.html`.
 */
export function finalLine(results: readonly Result[], line: FinalLine): string {
  const s = summarize(results);
  const shard = line.shard ? ` (shard ${line.shard.index}/${line.shard.count} of ${line.shard.cells} cells)` : '';
  const counts = `${s.conformant} conformant, ${s.deviates} deviate, ${s.unfired} unfired, ${s.error} errors${s.na > 0 ? `, ${s.na} n/a` : ''}`;
  const reports = line.reports.length > 0 ? line.reports.join(', ') : 'none written';
  return `wireprobe: ${s.total} results${shard} in ${formatDuration(line.elapsedMs)}: ${counts}; reports: ${reports}\n`;
}

/** The terminal width when `out` is a TTY stream, else effectively unlimited. */
function columnsOf(out: NodeJS.WritableStream): number {
  const columns = (out as { columns?: unknown }).columns;
  return typeof columns === 'number' && columns > 0 ? columns : Number.POSITIVE_INFINITY;
}

/** Cuts an id to `width` characters, keeping its end (where the client name is), so the line never wraps. */
function fit(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 3 ? text.slice(0, Math.max(0, width)) : `...${text.slice(text.length - width + 3)}`;
}
