/**
 * `wireprobe diff before.json after.json` and `run --baseline FILE`: the cells whose outcome or verdict
 * changed between two runs, and whether their environments differ (src/report/diff-results.ts).
 * Exit code of `diff`: 0 no cell differs, 1 some do (as diff(1)), 2 bad input.
 */
import type { Result } from '../engine/types.js';
import { writeDiffHtml } from '../report/diff-html.js';
import { type RunDiff, diffResults, differs, formatDiff } from '../report/diff-results.js';
import { writeJsonFile } from '../report/file.js';
import { type LoadedReport, readReport } from '../report/merge-read.js';
import { type Provenance, provenanceChanges } from '../report/provenance.js';
import { quote } from '../util/terminal.js';
import { VERSION } from './help.js';
import { type CliIo, onlyFor, type Values } from './options.js';
import { checkOutput, type ReportJob, writeReports } from './output.js';
import { UsageError } from '../util/usage-error.js';

/** Reads a report for a command, or fails with its one line (`flag`: the option that named it). */
export async function loadReport(file: string, flag?: string): Promise<LoadedReport> {
  const report = await readReport(file);
  if (typeof report === 'string') throw new UsageError(flag ? `bad --${flag} ${quote(file)}: ${report}` : report);
  return report;
}

/** `--baseline FILE`: read before the run, so a bad file fails at once. */
export async function loadBaseline(file: string): Promise<LoadedReport> {
  const report = await loadReport(file, 'baseline');
  if (report.incomplete) throw new UsageError(`bad --baseline ${quote(file)}: it is incomplete (${report.incomplete})`);
  return report;
}

/**
 * After a run: prints how its cells differ from `baseline` and returns whether any does. Cells of the
 * baseline this run did not run (another shard's, a suite not selected) are counted, not a change.
 */
export function checkBaseline(baseline: LoadedReport, results: readonly Result[], provenance: Provenance, out: NodeJS.WritableStream): boolean {
  const diff = diffResults(baseline.results, results, provenanceChanges(baseline.provenance, provenance));
  const lone = diff.onlyBefore.length;
  const shown: RunDiff = { ...diff, onlyBefore: [], cells: diff.cells - lone };
  out.write(`baseline ${baseline.file}:\n${formatDiff(shown, { before: 'the baseline', after: 'this run' })}`);
  if (lone > 0) out.write(`(${lone} cell(s) of the baseline not run here are not compared)\n`);
  return differs(diff, true);
}

/** The diff as JSON: both runs' versions and provenance, the counts, then the cells. */
export function toJsonDiff(diff: RunDiff, before: LoadedReport, after: LoadedReport) {
  const side = (r: LoadedReport) => ({ file: r.file, version: r.version, ...(r.provenance ? { provenance: r.provenance } : {}) });
  return {
    tool: 'wireprobe',
    version: VERSION,
    before: side(before),
    after: side(after),
    environment: diff.environment,
    summary: { cells: diff.cells, changed: diff.changed.length, onlyBefore: diff.onlyBefore.length, onlyAfter: diff.onlyAfter.length },
    changed: diff.changed,
    onlyBefore: diff.onlyBefore,
    onlyAfter: diff.onlyAfter,
  };
}

/** `wireprobe diff BEFORE AFTER [--json F] [--html F]`. */
export async function diffArgs(values: Values, positionals: readonly string[], io: CliIo): Promise<number> {
  onlyFor('diff', values, ['json', 'html']);
  const files = positionals.slice(1);
  if (files.length !== 2) {
    const got = files.length === 0 ? 'none' : files.map((f) => quote(f)).join(' ');
    throw new UsageError(`diff needs two reports: "wireprobe diff before.json after.json" (got ${got})`);
  }
  if (values.json) await checkOutput('json', values.json, 'file');
  if (values.html) await checkOutput('html', values.html, 'file');
  // One after the other: the first bad file is the one named.
  const before = await loadReport(files[0]!);
  const after = await loadReport(files[1]!);
  const diff = diffResults(before.results, after.results, provenanceChanges(before.provenance, after.provenance));
  io.stdout.write(formatDiff(diff, { before: before.file, after: after.file }));
  const jobs: ReportJob[] = [];
  if (values.json) jobs.push({ flag: 'json', path: values.json, write: () => writeJsonFile(values.json!, toJsonDiff(diff, before, after)) });
  if (values.html)
    jobs.push({ flag: 'html', path: values.html, write: () => writeDiffHtml(values.html!, diff, { before: before, after: after, generatedAt: new Date() }) });
  if (!(await writeReports(jobs, io.stdout, io.stderr))) return 2;
  return differs(diff) ? 1 : 0;
}
