import { describe, expect, it } from 'vitest';
import type { Result } from '../../src/engine/types.js';
import { mergeOrder, ranks } from '../../src/report/merge-order.js';
import { located } from '../helpers/located.js';

/** A result of `scenario` with `client` (FTP: in `mode`) on `server`; only identity matters here. */
function cell(scenario: string, client: string, server: string, mode?: 'passive' | 'active'): Result {
  const column = `${client}${mode ? `/${mode}` : ''}${server.startsWith('mock') ? '' : `@${server}`}`;
  return located({
    id: `ftp/x/${scenario}/${column}`,
    suite: 'ftp/x',
    protocol: 'ftp',
    client,
    ...(mode ? { mode } : {}),
    server,
    title: scenario,
    fault: null,
    faultFired: false,
    outcome: null,
    sink: null,
    expected: '',
    verdict: 'n/a',
    reason: '',
    durationMs: 0,
    transcript: [],
  });
}

/** The whole run's order: scenario, then server, then client, then mode, as the runner lists runs. */
const WHOLE: Result[] = ['a', 'b', 'c', 'd'].flatMap((scenario) =>
  ['mock-ftp', 'vsftpd'].flatMap((server) =>
    ['basic-ftp', 'curl'].flatMap((client) => (['passive', 'active'] as const).map((mode) => cell(scenario, client, server, mode))),
  ),
);

const ids = (results: readonly Result[]): string[] => results.map((r) => r.id);

describe('mergeOrder', () => {
  it('puts shards back in the whole run order whichever cells each shard holds', () => {
    const picks = [(i: number) => i % 2 === 0, (i: number) => i % 3 === 0, (i: number) => i < 10 || i % 5 === 1, (i: number) => (i * 7) % 4 === 1];
    for (const inFirst of picks) {
      const first = WHOLE.filter((_, i) => inFirst(i));
      const second = WHOLE.filter((_, i) => !inFirst(i));
      expect(ids(mergeOrder([second, first]))).toEqual(ids(WHOLE));
    }
  });

  it('keeps real servers grouped in one shard in their place (a shard per server)', () => {
    const parts = ['mock-ftp', 'vsftpd'].map((server) => WHOLE.filter((r) => r.server === server));
    expect(ids(mergeOrder(parts))).toEqual(ids(WHOLE));
  });

  it("follows a blob's run order where the shards alone cannot tell (each client in one shard only)", () => {
    const byClient = ['curl', 'basic-ftp'].map((client) => WHOLE.filter((r) => r.client === client));
    const order = { scenarios: ['a', 'b', 'c', 'd'].map((s) => `ftp/x/${s}`), servers: ['mock-ftp', 'vsftpd'], clients: ['basic-ftp', 'curl'] };
    expect(ids(mergeOrder(byClient))).not.toEqual(ids(WHOLE));
    expect(ids(mergeOrder(byClient, [order]))).toEqual(ids(WHOLE));
  });

  it('keeps one whole run as it is', () => {
    expect(ids(mergeOrder([WHOLE]))).toEqual(ids(WHOLE));
  });
});

describe('ranks', () => {
  it('orders items so each sequence holds, ties by first seen', () => {
    expect([
      ...ranks([
        ['a', 'c'],
        ['b', 'c'],
        ['a', 'b'],
      ]).keys(),
    ]).toEqual(['a', 'b', 'c']);
    expect([...ranks([['x'], ['y']]).keys()]).toEqual(['x', 'y']);
  });

  it('still ranks every item when sequences disagree', () => {
    const order = ranks([
      ['a', 'b'],
      ['b', 'a'],
      ['c', 'a'],
    ]);
    expect([...order.keys()].sort()).toEqual(['a', 'b', 'c']);
  });
});
