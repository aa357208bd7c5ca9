/**
 * The order of a merged run's results: the order the whole run would have listed them in, so that the
 * merged HTML and JUnit reports equal the unsharded run's. The runner lists runs scenario by scenario,
 * within one server by server, within one client by client, within one FTP mode by mode; each shard
 * keeps that order for its part. A blob says the run's own order of scenarios, servers and clients
 * (RunOrder); what the shards show of each order is added, for reports that do not say it:
 *
 *   blobs' RunOrder + each shard's sequence of scenarios ──────┐
 *                   + ... of servers within a scenario ────────┤
 *                   + ... of clients within a server ──────────┼─► topological merge (ties: first seen)
 *   passive, active + ... of modes within a client ────────────┘     ─► ranks ─► stable sort
 */
import type { Result } from '../engine/types.js';

/** The order a run lists its cells in, as it chose them: every scenario, server and client it was given. */
export interface RunOrder {
  readonly scenarios: readonly string[];
  readonly servers: readonly string[];
  readonly clients: readonly string[];
}

/** The results of `parts` (each in its run's order) as one list in the whole run's order; `hints`: the blobs' RunOrder. */
export function mergeOrder(parts: readonly (readonly Result[])[], hints: readonly RunOrder[] = []): Result[] {
  const scenarios: string[][] = hints.map((h) => [...h.scenarios]);
  const servers: string[][] = hints.map((h) => [...h.servers]);
  const clients: string[][] = hints.map((h) => [...h.clients]);
  const modes: string[][] = [['passive', 'active']];
  for (const part of parts) {
    scenarios.push(runsOf(part.map((r) => r.scenarioId)));
    for (const group of groups(part, (r) => r.scenarioId)) {
      servers.push(runsOf(group.map((r) => r.server)));
      for (const inner of groups(group, (r) => r.server)) {
        clients.push(runsOf(inner.map((r) => r.client)));
        for (const own of groups(inner, (r) => r.client)) modes.push(runsOf(own.map((r) => r.mode ?? '')));
      }
    }
  }
  const rank = { scenario: ranks(scenarios), server: ranks(servers), client: ranks(clients), mode: ranks(modes) };
  const key = (r: Result): number[] => [rank.scenario.get(r.scenarioId)!, rank.server.get(r.server)!, rank.client.get(r.client)!, rank.mode.get(r.mode ?? '')!];
  // Array.prototype.sort is stable: results equal in every key keep the order they were given in.
  return parts.flat().sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x.reduce((found, value, i) => found || value - y[i]!, 0);
  });
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
