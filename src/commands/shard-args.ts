/**
 * `--shard i/n`, `--durations FILE` and `--only-failed REPORT` of `run` and `matrix`: the cells this
 * machine runs (src/engine/shard.ts), read and checked before anything starts, each bad value one line.
 * A durations file is any JSON report of an earlier run (its results' `durationMs`), a merged one too.
 */
import type { CellSelection, ShardSpec } from '../engine/shard.js';
import { quote } from '../util/terminal.js';
import type { Values } from './options.js';
import { type LoadedReport, readReport as readReportFile } from '../report/merge-read.js';
import { UsageError } from '../util/usage-error.js';

/** The flags this file reads, for `onlyFor`. */
export const SHARDING = ['shard', 'durations', 'only-failed'] as const;

/** The most shards: far more CI runners than anyone fans out to, small enough to catch a typo. */
export const MAX_SHARDS = 1000;

/** Verdicts `--only-failed` reruns: a deviation, a fault that never fired, wireprobe's own error. */
const FAILED = new Set(['deviates', 'unfired', 'error']);

/** `i/n` with 1 <= i <= n <= MAX_SHARDS. */
export function parseShard(text: string): ShardSpec {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || index < 1 || count < 1 || index > count || count > MAX_SHARDS) {
    throw new UsageError(`bad --shard ${quote(text)}: expected i/n with 1 <= i <= n <= ${MAX_SHARDS}, e.g. --shard 2/4`);
  }
  return { index, count };
}

/** The report (JSON or blob) that `flag` names, read as `merge` and `diff` read one; anything else is one line. */
async function readReport(flag: string, file: string): Promise<LoadedReport> {
  const report = await readReportFile(file);
  if (typeof report === 'string') throw new UsageError(`bad --${flag} ${quote(file)}: ${report}`);
  return report;
}

/**
 * The cell selection the flags ask for, or undefined (all cells), and the lines to tell the user
 * once the run's other checks passed (shards balanced by deadlines, nothing to rerun). `version` is
 * this wireprobe's: `--only-failed` refuses a report of another (its cell ids and verdicts may mean
 * other things).
 */
export async function cellSelection(values: Values, version: string): Promise<{ cells: CellSelection; notes: string[] } | undefined> {
  const notes: string[] = [];
  const note = (line: string): void => void notes.push(line);
  const shardText = values.shard;
  const durationsFile = values.durations;
  const onlyFailed = values['only-failed'];
  if (shardText === undefined && durationsFile === undefined && onlyFailed === undefined) return undefined;
  const shard = shardText === undefined ? undefined : parseShard(shardText);
  if (durationsFile !== undefined && !shard) throw new UsageError(`--durations ${quote(durationsFile)} needs --shard i/n: it only balances shards`);
  let durations: Map<string, number> | undefined;
  if (durationsFile !== undefined) {
    const { results } = await readReport('durations', durationsFile);
    // An n/a cell did not run there (0 ms): it counts as unrecorded, not as free.
    durations = new Map(results.filter((r) => r.verdict !== 'n/a' && Number.isFinite(r.durationMs) && r.durationMs >= 0).map((r) => [r.id, r.durationMs]));
  } else if (shard) {
    note(
      `--shard ${shard.index}/${shard.count} balances by each scenario's deadline; pass every shard the same --durations FILE (an earlier JSON report) to balance by recorded durations`,
    );
  }
  let only: Set<string> | undefined;
  if (onlyFailed !== undefined) {
    const report = await readReport('only-failed', onlyFailed);
    if (report.version !== version) {
      throw new UsageError(
        `bad --only-failed ${quote(onlyFailed)}: written by wireprobe ${quote(report.version)}, this is ${version}; rerun the whole run with this version`,
      );
    }
    only = new Set(report.results.filter((r) => FAILED.has(r.verdict)).map((r) => r.id));
    if (only.size === 0) note(`--only-failed ${quote(onlyFailed)}: no cell deviated, was unfired or errored there; nothing to rerun`);
  }
  return { cells: { ...(shard ? { shard } : {}), ...(durations ? { durations } : {}), ...(only ? { only } : {}) }, notes };
}
