import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { selectClients } from '../../src/commands/select.js';
import { identity, type RunOf } from '../../src/engine/identity.js';
import { expectedDurations, isRealServer, partition, type ShardCell, selectCells } from '../../src/engine/shard.js';
import { SUITES } from '../../suites/index.js';

/** Cells with unique ids on a few mock and real servers. */
const cellsArb = fc
  .uniqueArray(
    fc.record({
      id: fc.string({ minLength: 1, maxLength: 12 }),
      server: fc.constantFrom('mock-smtp', 'mock-ftp', 'postfix', 'exim', 'vsftpd', 'proftpd'),
      expectedMs: fc.integer({ min: 1, max: 60_000 }),
    }),
    { selector: (c) => c.id, maxLength: 80 },
  )
  .map((cells) => cells as ShardCell[]);

/** Shard index (0-based) per cell id. */
const shardOfEach = (shards: readonly (readonly string[])[]): Map<string, number> => new Map(shards.flatMap((ids, k) => ids.map((id) => [id, k] as const)));

describe('partition', () => {
  it('puts every cell in exactly one shard, whatever the cells and the shard count', () => {
    fc.assert(
      fc.property(cellsArb, fc.integer({ min: 1, max: 12 }), (cells, count) => {
        const shards = partition(cells, count);
        expect(shards).toHaveLength(count);
        const all = shards.flat();
        expect(all).toHaveLength(cells.length);
        expect(new Set(all)).toEqual(new Set(cells.map((c) => c.id)));
      }),
    );
  });

  it('gives the same shard to each cell whatever order the cells come in', () => {
    fc.assert(
      fc.property(
        cellsArb.chain((cells) => fc.tuple(fc.constant(cells), fc.shuffledSubarray(cells, { minLength: cells.length, maxLength: cells.length }))),
        fc.integer({ min: 1, max: 8 }),
        ([cells, shuffled], count) => {
          expect(shardOfEach(partition(shuffled, count))).toEqual(shardOfEach(partition(cells, count)));
        },
      ),
    );
  });

  it('keeps each real server in one shard and splits the mocks cell by cell', () => {
    fc.assert(
      fc.property(cellsArb, fc.integer({ min: 1, max: 8 }), (cells, count) => {
        const at = shardOfEach(partition(cells, count));
        for (const server of new Set(cells.map((c) => c.server).filter(isRealServer))) {
          expect(new Set(cells.filter((c) => c.server === server).map((c) => at.get(c.id))).size).toBe(1);
        }
      }),
    );
  });

  it('loads no shard beyond the average by more than the heaviest group', () => {
    fc.assert(
      fc.property(cellsArb, fc.integer({ min: 1, max: 8 }), (cells, count) => {
        const weight = new Map(cells.map((c) => [c.id, c.expectedMs]));
        const loads = partition(cells, count).map((ids) => ids.reduce((sum, id) => sum + weight.get(id)!, 0));
        const groups = new Map<string, number>();
        for (const c of cells) {
          const key = isRealServer(c.server) ? c.server : `cell ${c.id}`;
          groups.set(key, (groups.get(key) ?? 0) + c.expectedMs);
        }
        const total = cells.reduce((sum, c) => sum + c.expectedMs, 0);
        expect(Math.max(...loads)).toBeLessThanOrEqual(total / count + Math.max(0, ...groups.values()));
      }),
    );
  });

  it('balances equal mock cells to within one cell', () => {
    const cells = Array.from({ length: 10 }, (_, i) => ({ id: `s/${i}/nodemailer`, server: 'mock-smtp', expectedMs: 20_000 }));
    expect(partition(cells, 3).map((ids) => ids.length)).toEqual([4, 3, 3]);
  });

  it('keeps the input order within a shard', () => {
    const cells = ['a', 'b', 'c', 'd'].map((id) => ({ id, server: 'mock-ftp', expectedMs: 5 }));
    expect(partition(cells, 2)).toEqual([
      ['a', 'c'],
      ['b', 'd'],
    ]);
  });
});

describe('expectedDurations', () => {
  const cells = [
    { id: 'a', deadlineMs: 20_000 },
    { id: 'b', deadlineMs: 20_000 },
    { id: 'c', deadlineMs: 40_000 },
  ];

  it('uses the deadlines when nothing is recorded', () => {
    expect(expectedDurations(cells)).toEqual([20_000, 20_000, 40_000]);
  });

  it('uses recorded durations, and scales the deadline of a cell the file lacks like the recorded ones', () => {
    expect(expectedDurations(cells, new Map([['a', 200]]))).toEqual([200, 200, 400]);
  });

  it('counts a cell recorded at 0 ms as 1 ms, so it still weighs', () => {
    expect(expectedDurations(cells, new Map([['a', 0]]))).toEqual([1, 1, 1]);
  });
});

describe('selectCells', () => {
  const resets = SUITES.find((s) => s.name === 'smtp/resets')!;
  const clients = selectClients(['nodemailer', 'swaks']);
  const runs: RunOf[] = resets.scenarios.flatMap((scenario) =>
    ['mock-smtp', 'postfix'].flatMap((server) => clients.map((client) => ({ scenario, client, server }))),
  );
  const id = (run: RunOf): string => identity(run).id;

  it('splits the runs into shards that together hold each once, postfix in one of them', () => {
    const shards = [1, 2, 3].map((index) => selectCells(runs, { shard: { index, count: 3 } }));
    expect(shards.map((s) => s.cells)).toEqual([runs.length, runs.length, runs.length]);
    const ids = shards.flatMap((s) => s.runs.map(id));
    expect(ids.sort()).toEqual(runs.map(id).sort());
    expect(shards.filter((s) => s.runs.some((r) => r.server === 'postfix'))).toHaveLength(1);
  });

  it('keeps only the ids asked for, in input order, before sharding', () => {
    const only = new Set([id(runs[3]!), id(runs[0]!)]);
    const picked = selectCells(runs, { only });
    expect(picked.runs.map(id)).toEqual([id(runs[0]!), id(runs[3]!)]);
    expect(picked.cells).toBe(2);
    const halves = [1, 2].map((index) => selectCells(runs, { only, shard: { index, count: 2 } }));
    expect(halves.map((h) => h.cells)).toEqual([2, 2]);
    expect(halves.flatMap((h) => h.runs.map(id)).sort()).toEqual([...only].sort());
  });
});

describe('the partition, pinned', () => {
  // Postfix (25 s) first; the 20 s mock cells by code unit (B < a < Ä, whatever the locale sorts), each
  // to the lightest shard, ties to the lowest index; the 5 s cell last, to the lightest.
  it('gives these cells these shards on every machine and locale', () => {
    const cells: ShardCell[] = [
      { id: 'smtp/resets/a/nodemailer', server: 'mock-smtp', expectedMs: 20_000 },
      { id: 'smtp/resets/Ä/nodemailer', server: 'mock-smtp', expectedMs: 20_000 },
      { id: 'smtp/resets/b/nodemailer', server: 'mock-smtp', expectedMs: 5_000 },
      { id: 'smtp/resets/a/swaks@postfix', server: 'postfix', expectedMs: 20_000 },
      { id: 'smtp/resets/b/swaks@postfix', server: 'postfix', expectedMs: 5_000 },
      { id: 'smtp/resets/B/nodemailer', server: 'mock-smtp', expectedMs: 20_000 },
    ];
    expect(partition(cells, 3)).toEqual([
      ['smtp/resets/a/swaks@postfix', 'smtp/resets/b/swaks@postfix'],
      ['smtp/resets/Ä/nodemailer', 'smtp/resets/B/nodemailer'],
      ['smtp/resets/a/nodemailer', 'smtp/resets/b/nodemailer'],
    ]);
  });
});
