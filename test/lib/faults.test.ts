/** Fault inputs and waits as the library takes them. Pure: no sockets. */
import { describe, expect, it } from 'vitest';
import { fault } from '../../src/lib/faults.js';
import { Waiters } from '../../src/lib/waiters.js';
import type { Fault } from '../../src/faults/types.js';

describe('fault', () => {
  it('parses the CLI syntax and checks the object form the same way', () => {
    const parsed = fault('reset after DATA +64KiB');
    expect(parsed).toEqual({ kind: 'reset', at: { after: 'DATA', bytes: 65536 } });
    expect(fault(parsed)).toEqual(parsed);
  });

  it.each([
    ['a typo', 'reset aftre DATA'],
    ['an unknown kind', { kind: 'explode', at: 'connect' } as unknown as Fault],
    ['no object at all', null as unknown as Fault],
  ])('throws a FaultSyntaxError for %s', (_, input) => {
    expect(() => fault(input)).toThrow(expect.objectContaining({ code: 'EFAULTSYNTAX' }));
  });
});

describe('Waiters', () => {
  it('resolves with the countth item from now, and rejects with EWAITTIMEOUT in one line', async () => {
    const waiters = new Waiters<string>('message');
    waiters.arrived('before');
    const second = waiters.wait({ count: 2 });
    waiters.arrived('a');
    waiters.arrived('b');
    expect(await second).toBe('b');
    const error = await waiters.wait({ timeout: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EWAITTIMEOUT', message: 'waited 1 ms for 1 message, 0 arrived' });
  });

  it('rejects waiters with ECLOSED when the server closes', async () => {
    const waiters = new Waiters<string>('upload');
    const waiting = waiters.wait();
    waiters.close();
    await expect(waiting).rejects.toMatchObject({ code: 'ECLOSED' });
  });

  it('leaves no unhandled rejection when it closes under a wait nobody awaits (a test that failed before awaiting it)', async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', listener);
    try {
      const waiters = new Waiters<string>('upload');
      const abandoned = waiters.wait({ timeout: 60_000 });
      waiters.close();
      // Node reports a rejection nothing handled once the microtasks have run: by the next macrotask.
      await new Promise((done) => setImmediate(done));
      expect(unhandled).toEqual([]);
      await expect(abandoned).rejects.toMatchObject({ code: 'ECLOSED', message: 'the server closed while waiting for an upload' });
    } finally {
      process.off('unhandledRejection', listener);
    }
  });
});
