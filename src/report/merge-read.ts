/**
 * Reading a JSON report or blob (src/report/json.ts) back into Results, for `merge`, `diff` and
 * `--baseline`. A report's results lack titles and transcripts (a blob's carry them); the rows and
 * columns are rebuilt from each result's id, client, mode, family, TLS variant and server as the runner made them.
 * Problems are returned as one line for the command to raise, never thrown from here.
 */
import { readFile } from 'node:fs/promises';
import { columnOf } from '../engine/identity.js';
import type { Result } from '../engine/types.js';
import type { JsonReport, JsonResult, JsonShard } from './json.js';
import type { RunOrder } from './merge-order.js';
import type { Provenance } from './provenance.js';

/** A sharded run's part, as `run --shard i/n` writes it: `index` of `count` (1-based), `cells` in the whole run. */
export type ShardInfo = JsonShard;

/** A report read back. */
export interface LoadedReport {
  /** The path it was read from, as given. */
  readonly file: string;
  /** wireprobe's version that wrote it. */
  readonly version: string;
  readonly provenance?: Provenance;
  /** Absent: a whole run. */
  readonly shard?: ShardInfo;
  /** Why it holds fewer results than planned (an interrupted run). */
  readonly incomplete?: string;
  /** Every result carries its title and transcript (written with --blob). */
  readonly blob: boolean;
  /** A blob's run order (src/report/merge-order.ts). */
  readonly order?: RunOrder;
  readonly results: readonly Result[];
}

/** Reads `file`; a string is the one line saying why it is not a report. */
export async function readReport(file: string): Promise<LoadedReport | string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return `cannot read report ${JSON.stringify(file)}: ${code === 'ENOENT' ? 'no such file' : (code ?? (error as Error).message)}`;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `${JSON.stringify(file)} is not a wireprobe JSON report: not JSON`;
  }
  return parseReport(file, value);
}

/** Checks and converts a parsed JSON value; a string says what is wrong. */
export function parseReport(file: string, value: unknown): LoadedReport | string {
  const not = (why: string): string => `${JSON.stringify(file)} is not a wireprobe JSON report: ${why}`;
  const report = value as Partial<Omit<JsonReport, 'shard'>> & { shard?: unknown };
  if (typeof report !== 'object' || report === null || report.tool !== 'wireprobe') return not('no "tool": "wireprobe"');
  if (typeof report.version !== 'string') return not('no version');
  if (!Array.isArray(report.results)) return not('no results');
  const bad = report.results.findIndex((r) => !isResult(r));
  if (bad >= 0) return not(`result ${bad + 1} lacks an id, client, server, protocol or verdict`);
  const shard = report.shard === undefined ? undefined : shardOf(report.shard);
  if (shard === null) return not('its "shard" is not {index, count, cells} with 1 <= index <= count');
  const results = report.results.map(fromJson);
  return {
    file,
    version: report.version,
    ...(report.provenance ? { provenance: report.provenance } : {}),
    ...(shard ? { shard } : {}),
    ...(report.incomplete ? { incomplete: report.reason ?? 'incomplete' } : {}),
    ...(isOrder(report.order) ? { order: report.order } : {}),
    blob: report.results.every((r) => Array.isArray(r.transcript) && typeof r.title === 'string'),
    results,
  };
}

function isResult(r: unknown): r is JsonResult {
  const x = r as Partial<JsonResult> | null;
  return (
    typeof x === 'object' &&
    x !== null &&
    [x.id, x.client, x.server, x.protocol, x.verdict].every((field) => typeof field === 'string') &&
    (x.outcome === null || typeof x.outcome === 'object')
  );
}

function isOrder(value: unknown): value is RunOrder {
  const o = value as Partial<RunOrder> | null | undefined;
  const names = (list: unknown): boolean => Array.isArray(list) && list.every((item) => typeof item === 'string');
  return typeof o === 'object' && o !== null && names(o.scenarios) && names(o.servers) && names(o.clients);
}

function shardOf(value: unknown): ShardInfo | null {
  const s = value as Partial<ShardInfo> | null;
  const whole = (n: unknown): n is number => Number.isInteger(n);
  if (typeof s !== 'object' || s === null || !whole(s.index) || !whole(s.count) || !whole(s.cells)) return null;
  return s.index >= 1 && s.index <= s.count && s.cells >= 0 ? { index: s.index, count: s.count, cells: s.cells } : null;
}

/** A result as the runner made it; a report's (not a blob's) has its scenario id for a title and no transcript. */
function fromJson(r: JsonResult): Result {
  const column = columnOf(r.client, r.mode, r.server, r.family, r.tls);
  const scenarioId = r.id.endsWith(`/${column}`) ? r.id.slice(0, r.id.length - column.length - 1) : r.id;
  return {
    id: r.id,
    scenarioId,
    column,
    suite: r.suite,
    protocol: r.protocol,
    client: r.client,
    ...(r.mode ? { mode: r.mode } : {}),
    ...(r.family ? { family: r.family } : {}),
    ...(r.tls ? { tls: r.tls } : {}),
    server: r.server,
    ...(r.serverConfig ? { serverConfig: r.serverConfig } : {}),
    title: r.title ?? scenarioId,
    fault: r.fault ?? null,
    faultFired: r.faultFired === true,
    outcome: r.outcome ?? null,
    sink: r.sink ?? null,
    ...(r.messages ? { messages: r.messages } : {}),
    ...(r.ftp ? { ftp: r.ftp } : {}),
    expected: r.expected,
    verdict: r.verdict,
    reason: r.reason,
    durationMs: r.durationMs,
    transcript: r.transcript ?? [],
  };
}
