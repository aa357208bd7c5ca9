/**
 * The order of a merged run's results: the order the whole run would have listed them in, so that the
 * merged HTML and JUnit reports equal the unsharded run's. The runner lists runs scenario by scenario,
 * within one server by server, within one column by column (client, then FTP mode); each shard keeps
 * that order for its part. Each of the three orders is rebuilt from what the shards show of it:
 *
 *   each shard's sequence of scenarios ─┐
 *   ... of servers within a scenario ───┼─► topological merge (ties: first seen) ─► ranks ─► sort
 *   ... of columns within a server ─────┘
 */
import { columnOf } from '../engine/identity.js';
import type { Result } from '../engine/types.js';

/** The results of `parts` (each in its run's order) as one list in the whole run's order. */
export function mergeOrder(parts: readonly (readonly Result[])[]): Result[] {
  const scenarios: string[][] = [];
  const servers: string[][] = [];
  const columns: string[][] = [];
  for (const part of parts) {
    scenarios.push(runsOf(part.map((r) => r.scenarioId)));
    for (const group of groups(part, (r) => r.scenarioId)) {
      servers.push(runsOf(group.map((r) => r.server)));
      for (const inner of groups(group, (r) => r.server)) columns.push(runsOf(inner.map(plainColumn)));
    }
  }
  const rank = { scenario: ranks(scenarios), server: ranks(servers), column: ranks(columns) };
  const key = (r: Result): [number, number, number] => [rank.scenario.get(r.scenarioId)!, rank.server.get(r.server)!, rank.column.get(plainColumn(r))!];
  // Array.prototype.sort is stable: results equal in all three keep the order they were given in.
  return parts.flat().sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
}

/** A result's column without its server: the client, for FTP with its mode. */
function plainColumn(r: Result): string {
  return columnOf(r.client, r.mode);
}

/** `a a b b a` → `a b a`: the sequence without repeats in a row. */
function runsOf(items: readonly string[]): string[] {
  return items.filter((item, i) => i === 0 || items[i - 1] !== item);
}

/** Consecutive results with the same key, as groups, in order. */
function groups(results: readonly Result[], key: (r: Result) => string): Result[][] {
  const out: Result[][] = [];
  for (const r of results) {
    const last = out.at(-1);
    if (last && key(last[0]!) === key(r)) last.push(r);
    else out.push([r]);
  }
  return out;
}

/**
 * A rank for every item of `sequences` such that each sequence's order holds where they agree: a
 * topological order of "comes before" (Kahn), choosing among the ready items the one seen first. An
 * item two sequences disagree about (a cycle) goes after the rest, in the order first seen.
 */
export function ranks(sequences: readonly (readonly string[])[]): Map<string, number> {
  const firstSeen = new Map<string, number>();
  const after = new Map<string, Set<string>>();
  const before = new Map<string, number>();
  for (const sequence of sequences) {
    for (const [i, item] of sequence.entries()) {
      if (!firstSeen.has(item)) firstSeen.set(item, firstSeen.size);
      before.set(item, before.get(item) ?? 0);
      const next = sequence[i + 1];
      if (next === undefined || next === item) continue;
      const edges = after.get(item) ?? new Set<string>();
      if (!edges.has(next)) {
        edges.add(next);
        before.set(next, (before.get(next) ?? 0) + 1);
      }
      after.set(item, edges);
    }
  }
  const order = new Map<string, number>();
  const ready = [...firstSeen.keys()].filter((item) => before.get(item) === 0);
  while (ready.length > 0) {
    ready.sort((a, b) => firstSeen.get(a)! - firstSeen.get(b)!);
    const item = ready.shift()!;
    order.set(item, order.size);
    for (const next of after.get(item) ?? []) {
      const left = before.get(next)! - 1;
      before.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  for (const item of firstSeen.keys()) if (!order.has(item)) order.set(item, order.size);
  return order;
}
