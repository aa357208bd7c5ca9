import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startProxy } from '../../src/proxy/proxy.js';
import { Retention } from '../../src/proxy/retention.js';
import { socketPair } from '../../src/util/socket-pair.js';
import { connectRaw } from '../helpers/raw-client.js';
import { startScriptedSmtp } from '../helpers/scripted-smtp.js';

describe('Retention', () => {
  const fired = (name: string) => name.endsWith('!');

  it('keeps every open session and the newest finished ones, in accept order, and counts the rest', () => {
    const kept = new Retention<string>(2, fired);
    for (const [i, name] of ['a!', 'b', 'c', 'd', 'e'].entries()) kept.add(i + 1, name);
    kept.finished(2);
    kept.finished(1);
    kept.finished(4);
    expect([...kept.entries()]).toEqual(['a!', 'c', 'd', 'e']);
    expect(kept.dropped).toEqual({ sessions: 1, faultFired: 0 });
    kept.finished(5);
    expect([...kept.entries()]).toEqual(['c', 'd', 'e']);
    expect(kept.dropped).toEqual({ sessions: 2, faultFired: 1 });
  });

  it('keeps all by default (Infinity) and none finished with 0', () => {
    const all = new Retention<string>(Number.POSITIVE_INFINITY, fired);
    const none = new Retention<string>(0, fired);
    for (const kept of [all, none]) {
      kept.add(1, 'a');
      kept.add(2, 'b!');
      kept.finished(1);
      kept.finished(2);
    }
    expect([...all.entries()]).toEqual(['a', 'b!']);
    expect(all.dropped).toEqual({ sessions: 0, faultFired: 0 });
    expect([...none.entries()]).toEqual([]);
    expect(none.dropped).toEqual({ sessions: 2, faultFired: 1 });
  });

  it('keeps the record given when a session finishes in place of its entry, in accept order', () => {
    const kept = new Retention<string>(Number.POSITIVE_INFINITY, fired);
    for (const [i, name] of ['a', 'b', 'c'].entries()) kept.add(i + 1, name);
    kept.finished(2, 'b done');
    kept.finished(4, 'never added'); // not kept: nothing to replace
    expect([...kept.entries()]).toEqual(['a', 'b done', 'c']);
  });

  it('refuses a negative keep', () => {
    expect(() => new Retention(-1, fired)).toThrow(/keep/);
  });
});

describe('a proxy with keep', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('drops finished sessions beyond the newest `keep` to counts and keeps the open one', async () => {
    const server = await startScriptedSmtp();
    cleanups.push(() => server.close());
    // The first session's fault fires: the dropped counts say so.
    const proxy = await startProxy({
      upstream: { host: '127.0.0.1', port: server.port },
      keep: 1,
      faults: [{ kind: 'close', at: { after: 'greeting' }, connection: 1 }],
    });
    cleanups.push(() => proxy.close());
    for (let i = 0; i < 3; i++) {
      const client = await connectRaw(proxy.port);
      await client.until((text) => text.includes('220 '));
      if (i > 0) client.send('QUIT\r\n');
      expect(await client.ended).toBe('fin');
      await proxy.idle();
    }
    const open = await connectRaw(proxy.port);
    await open.until((text) => text.includes('220 '));
    expect(proxy.sessions().map((s) => s.index)).toEqual([3, 4]);
    expect(proxy.dropped()).toEqual({ sessions: 2, faultFired: 1 });
    open.send('QUIT\r\n');
    expect(await open.ended).toBe('fin');
    await proxy.idle();
    expect(proxy.sessions().map((s) => s.index)).toEqual([4]);
    expect(proxy.dropped()).toEqual({ sessions: 3, faultFired: 1 });
  });

  it('names the newest kept session by the port the server saw, a port used again included, and forgets a dropped one', async () => {
    let port = 40000;
    // The proxy reaches its server through an in-process link whose port is chosen here: a port used
    // again, as TCP's ephemeral ports are after some 28,000 connections.
    const proxy = await startProxy({
      upstream: { host: '127.0.0.1', port: 25 },
      keep: 2,
      connectUpstream: (client) => {
        const pair = socketPair({ address: client.remoteAddress ?? '127.0.0.1', port }, { address: '127.0.0.1', port: 25 });
        pair.server.write('220 x\r\n');
        pair.server.on('data', () => pair.server.end('221 bye\r\n'));
        return pair.client as unknown as Socket;
      },
    });
    cleanups.push(() => proxy.close());
    const session = async (): Promise<number | undefined> => {
      const client = await connectRaw(proxy.port);
      await client.until((text) => text.includes('220 '));
      const open = proxy.sessionFrom(port);
      client.send('QUIT\r\n');
      expect(await client.ended).toBe('fin');
      await proxy.idle();
      return open;
    };
    expect(await session()).toBe(1);
    expect(await session()).toBe(2); // the same port again: the newest session on it
    expect(proxy.sessionFrom(40000)).toBe(2);
    port = 40001;
    expect(await session()).toBe(3);
    expect(await session()).toBe(4);
    // Sessions 1 and 2 are no longer kept (keep 2): nor is their port.
    expect(proxy.sessions().map((s) => s.index)).toEqual([3, 4]);
    expect(proxy.sessionFrom(40000)).toBeUndefined();
    expect(proxy.sessionFrom(40001)).toBe(4);
  });
});
