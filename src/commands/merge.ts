/**
 * `wireprobe merge a.json b.json ... [--json F] [--blob F] [--junit F] [--html F]`: one run's reports
 * from the reports of its shards (`run --shard i/n --blob F`), as if it had run on one machine.
 *
 *   read each ─► refuse: incomplete, other versions, shards missing or twice, cells twice or missing
 *             ─► note: no transcripts (a JSON report, not a blob), other environments
 *             ─► results in the whole run's order (src/report/merge-order.ts) ─► console + reports
 *
 * Reports without shard info are whole runs: they merge when no cell is in two of them (an SMTP and
 * an FTP matrix into one report).
 */
import type { Result } from '../engine/types.js';
import { createConsoleReporter } from '../report/console.js';
import { writeHtml } from '../report/html.js';
import { writeJsonReport } from '../report/json.js';
import { writeJunitReport } from '../report/junit.js';
import type { LoadedReport, ShardInfo } from '../report/merge-read.js';
import { mergeOrder } from '../report/merge-order.js';
import { joinProvenance, type Provenance, provenanceChanges } from '../report/provenance.js';
import { summarize } from '../report/summary.js';
import { writeTranscripts } from '../report/transcripts.js';
import { quote } from '../util/terminal.js';
import { loadReport } from './diff.js';
import { type CliIo, onlyFor, type Values } from './options.js';
import { checkOutput, type ReportJob, writeReports } from './output.js';
import { UsageError } from '../util/usage-error.js';

/** The merged run: its results in order, its version and provenance, and what the user should know. */
export interface Merged {
  readonly results: readonly Result[];
  readonly version: string;
  readonly provenance?: Provenance;
  /** One line each: reports without transcripts, environments that differ. */
  readonly notes: readonly string[];
}

const name = (r: LoadedReport): string => quote(r.file);
const shardText = (s: ShardInfo): string => `${s.index}/${s.count}`;

/** Merges reports read back, or fails with one line saying why (UsageError). */
export function mergeReports(reports: readonly LoadedReport[]): Merged {
  const first = reports[0];
  if (!first) throw new UsageError('merge needs reports: "wireprobe merge shard-1.json shard-2.json --html report.html"');
  const cut = reports.find((r) => r.incomplete);
  if (cut) throw new UsageError(`${name(cut)} is incomplete (${cut.incomplete}): run that part again before merging`);
  const other = reports.find((r) => r.version !== first.version);
  if (other) throw new UsageError(`reports of different wireprobe versions: ${name(first)} ${first.version}, ${name(other)} ${other.version}`);
  const ordered = checkShards(reports);
  checkCells(ordered);
  const notes: string[] = [];
  const bare = reports.filter((r) => !r.blob);
  if (bare.length > 0)
    notes.push(
      `${bare.map(name).join(', ')} ${bare.length === 1 ? 'is a JSON report, not a blob' : 'are JSON reports, not blobs'}: the merged HTML and JUnit lack titles and transcripts (write shards with --blob FILE)`,
    );
  // Compared with the first in shard order, whose environment the merged provenance keeps.
  const [lead, ...rest] = ordered;
  for (const r of rest) {
    const changes = provenanceChanges(lead!.provenance, r.provenance);
    if (changes.length > 0) notes.push(`${name(r)} ran in another environment than ${name(lead!)}: ${changes.join('; ')}`);
  }
  const hints = ordered.flatMap((r) => (r.order ? [r.order] : []));
  const provenance = joinProvenance(
    ordered.flatMap((r) => (r.provenance ? [r.provenance] : [])),
    hints[0],
  );
  return {
    results: mergeOrder(
      ordered.map((r) => r.results),
      hints,
    ),
    version: first.version,
    ...(provenance ? { provenance } : {}),
    notes,
  };
}

/** Shards all of one run, each once, none missing; returns the reports in shard order (whole runs as given). */
function checkShards(reports: readonly LoadedReport[]): LoadedReport[] {
  const sharded = reports.filter((r) => r.shard);
  if (sharded.length === 0) return [...reports];
  const whole = reports.find((r) => !r.shard);
  if (whole) throw new UsageError(`${name(sharded[0]!)} is shard ${shardText(sharded[0]!.shard!)} of a run, but ${name(whole)} is a whole run`);
  const { count, cells } = sharded[0]!.shard!;
  const odd = sharded.find((r) => r.shard!.count !== count || r.shard!.cells !== cells);
  if (odd)
    throw new UsageError(
      `${name(sharded[0]!)} and ${name(odd)} are shards of different runs (${count} shards of ${cells} cells, ${odd.shard!.count} shards of ${odd.shard!.cells} cells)`,
    );
  const byIndex = new Map<number, LoadedReport>();
  for (const r of sharded) {
    const twice = byIndex.get(r.shard!.index);
    if (twice) throw new UsageError(`shard ${shardText(r.shard!)} given twice: ${name(twice)} and ${name(r)}`);
    byIndex.set(r.shard!.index, r);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length > 0)
    throw new UsageError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing: merge needs all ${count} shards`);
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, r]) => r);
}

/** No cell in two reports; shards hold exactly the cells their run planned. */
function checkCells(reports: readonly LoadedReport[]): void {
  const seen = new Map<string, LoadedReport>();
  for (const r of reports) {
    for (const result of r.results) {
      const before = seen.get(result.id);
      if (before) throw new UsageError(`cell ${quote(result.id)} is in both ${name(before)} and ${name(r)}: merge takes each cell once`);
      seen.set(result.id, r);
    }
  }
  const planned = reports[0]?.shard?.cells;
  if (planned !== undefined && seen.size !== planned)
    throw new UsageError(
      seen.size < planned
        ? `${planned - seen.size} of ${planned} cells missing: the shards hold ${seen.size} (a shard's report lost results?)`
        : `the shards hold ${seen.size} cells but their run planned ${planned}`,
    );
}

/** `wireprobe merge FILE... [--json F] [--blob F] [--junit F] [--html F] [--transcripts DIR]`. */
export async function mergeArgs(values: Values, positionals: readonly string[], io: CliIo): Promise<number> {
  onlyFor('merge', values, ['json', 'blob', 'junit', 'html', 'transcripts', 'fail-on-deviation', 'no-color', 'verbose']);
  const outputs = [
    ['json', values.json],
    ['blob', values.blob],
    ['junit', values.junit],
    ['html', values.html],
  ] as const;
  for (const [flag, file] of outputs) if (file) await checkOutput(flag, file, 'file');
  if (values.transcripts) await checkOutput('transcripts', values.transcripts, 'dir');
  const reports = [];
  for (const file of positionals.slice(1)) reports.push(await loadReport(file));
  const merged = mergeReports(reports);
  for (const note of merged.notes) io.stderr.write(`wireprobe: note: ${note}\n`);
  const { results, version, provenance } = merged;
  const color = io.stdout.isTTY === true && !values['no-color'] && io.env.NO_COLOR === undefined;
  createConsoleReporter(io.stdout, { color, live: false, verbose: values.verbose === true }).end(results);
  const extras = provenance ? { provenance } : {};
  const jobs: ReportJob[] = [];
  if (values.json) jobs.push({ flag: 'json', path: values.json, write: () => writeJsonReport(values.json!, results, version, undefined, extras) });
  if (values.blob)
    jobs.push({ flag: 'blob', path: values.blob, write: () => writeJsonReport(values.blob!, results, version, undefined, { ...extras, blob: true }) });
  if (values.junit) jobs.push({ flag: 'junit', path: values.junit, write: () => writeJunitReport(values.junit!, results, undefined, provenance) });
  if (values.html)
    jobs.push({ flag: 'html', path: values.html, write: () => writeHtml(values.html!, results, { version, generatedAt: new Date(), ...extras }) });
  if (values.transcripts)
    jobs.push({ flag: 'transcripts', path: values.transcripts, write: async () => void (await writeTranscripts(values.transcripts!, results)) });
  if (!(await writeReports(jobs, io.stdout, io.stderr))) return 2;
  const s = summarize(results);
  return values['fail-on-deviation'] === true && s.conformant + s.na < s.total ? 1 : 0;
}
