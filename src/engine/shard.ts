/**
 * Which cells of a run one machine runs: `--shard i/n` (a partition every shard computes alike) and
 * `--only-failed` (the cells an earlier report flagged). Pure: the partition depends only on the cells'
 * ids, servers and expected durations (the scenario's deadline, or a duration recorded in an earlier
 * report), never on timing, concurrency, the order cells were found in, or what is installed, so every
 * CI runner computes the same shards and together they hold every cell exactly once.
 *
 *   cells ─► groups (a real server's cells together; a mock cell alone) ─► heaviest first, ties by key
 *         ─► each group to the lightest shard so far (ties: the lowest index) ─► shard i's cell ids
 */
import { identity, type RunOf } from './identity.js';
import { DEFAULT_TIMEOUTS } from './protocol-run.js';

/** Shard `index` (1-based) of `count`. */
export interface ShardSpec {
  readonly index: number;
  readonly count: number;
}

/** One cell as the partition sees it. */
export interface ShardCell {
  /** The result id (`suite/scenario/client[/mode][@server]`), unique in a run. */
  readonly id: string;
  readonly server: string;
  /** What the cell is expected to take, ms: the weight balanced across shards. */
  readonly expectedMs: number;
}

/** What a run keeps of all it could run; each part absent: no filter. */
export interface CellSelection {
  readonly shard?: ShardSpec;
  /** Recorded durations by cell id (an earlier JSON report's `durationMs`), to balance shards by. */
  readonly durations?: ReadonlyMap<string, number>;
  /** Only these cell ids (`--only-failed`: those that deviated, were unfired or errored). */
  readonly only?: ReadonlySet<string>;
}

/**
 * Mocks start per cell and cost nothing to split; a real server (Postfix, vsftpd...) is set up once per
 * machine, so all its cells go to one shard. Same convention as `columnOf`: mock names start with `mock`.
 */
export function isRealServer(server: string): boolean {
  return !server.startsWith('mock');
}

/**
 * Splits `cells` into `count` shards; shard k (0-based) holds the ids at [k], in input order. Greedy
 * longest-first onto the lightest shard: within the heaviest group of the optimum on any input.
 */
export function partition(cells: readonly ShardCell[], count: number, grouped: (server: string) => boolean = isRealServer): string[][] {
  const groups = new Map<string, { key: string; weight: number; ids: Set<string> }>();
  for (const cell of cells) {
    const key = grouped(cell.server) ? `server ${cell.server}` : `cell ${cell.id}`;
    const group = groups.get(key) ?? { key, weight: 0, ids: new Set<string>() };
    if (!group.ids.has(cell.id)) group.weight += cell.expectedMs;
    group.ids.add(cell.id);
    groups.set(key, group);
  }
  // Code-unit order, not localeCompare: the same on every machine whatever its locale.
  const order = [...groups.values()].sort((a, b) => b.weight - a.weight || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const load = new Array<number>(count).fill(0);
  const shardOf = new Map<string, number>();
  for (const group of order) {
    let lightest = 0;
    for (let k = 1; k < count; k++) if (load[k]! < load[lightest]!) lightest = k;
    load[lightest]! += group.weight;
    for (const id of group.ids) shardOf.set(id, lightest);
  }
  const shards = Array.from({ length: count }, () => [] as string[]);
  const placed = new Set<string>();
  for (const cell of cells) {
    if (placed.has(cell.id)) continue;
    placed.add(cell.id);
    shards[shardOf.get(cell.id)!]!.push(cell.id);
  }
  return shards;
}

/**
 * Each cell's expected duration, whole ms, at least 1: the recorded one, else its deadline scaled by
 * how the recorded cells of this run compare to their deadlines (a file from a smaller run still
 * balances the cells it lacks), else (no file) its deadline.
 */
export function expectedDurations(cells: readonly { readonly id: string; readonly deadlineMs: number }[], recorded?: ReadonlyMap<string, number>): number[] {
  let recordedMs = 0;
  let theirDeadlines = 0;
  for (const cell of cells) {
    const ms = recorded?.get(cell.id);
    if (ms === undefined) continue;
    recordedMs += ms;
    theirDeadlines += cell.deadlineMs;
  }
  const scale = theirDeadlines > 0 ? recordedMs / theirDeadlines : 1;
  return cells.map((cell) => Math.max(1, Math.round(recorded?.get(cell.id) ?? cell.deadlineMs * scale)));
}

/** What `selectCells` kept, and how many cells the shards were cut from (a shard's JSON records it for merge). */
export interface Selected {
  readonly runs: RunOf[];
  /** Cells of the whole run (after `only`): every shard's report says the same number. */
  readonly cells: number;
}

/** The runs of `runs` a selection keeps, in input order: `only` first, then the shard's part of the rest. */
export function selectCells(runs: readonly RunOf[], selection: CellSelection): Selected {
  const ids = runs.map((run) => identity(run).id);
  const kept = runs.map((run, i) => ({ run, id: ids[i]! })).filter(({ id }) => !selection.only || selection.only.has(id));
  const { shard } = selection;
  if (!shard) return { runs: kept.map((k) => k.run), cells: kept.length };
  const deadlines = kept.map(({ run, id }) => ({ id, deadlineMs: run.scenario.timeouts?.deadline ?? DEFAULT_TIMEOUTS.deadline }));
  const weights = expectedDurations(deadlines, selection.durations);
  const cells = kept.map(({ run, id }, i) => ({ id, server: identity(run).server, expectedMs: weights[i]! }));
  const mine = new Set(partition(cells, shard.count)[shard.index - 1]);
  return { runs: kept.filter(({ id }) => mine.has(id)).map((k) => k.run), cells: kept.length };
}
