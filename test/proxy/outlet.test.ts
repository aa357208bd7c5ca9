/**
 * Outlet with a BufferFreer (FTP data links without a capture): a chunk relayed whole straight to the
 * socket is freed once the socket has written it, and the peer still reads every octet; through a
 * shaper, or without a freer, the chunk is left alone. Outlet.unread: how long the peer has left what
 * was relayed unread, never a shaper's own pace.
 */
import { once } from 'node:events';
import net from 'node:net';
import { PassThrough, Transform } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Outlet } from '../../src/proxy/outlet.js';
import { bufferFreer } from '../../src/util/free-buffers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A connected pair on loopback: `target` is the socket the outlet writes to, `peer` reads what it got. */
async function pair(): Promise<{ target: net.Socket; peer: net.Socket; source: net.Socket }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const target = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const [[peer]] = (await Promise.all([once(server, 'connection'), once(target, 'connect')])) as [[net.Socket], unknown];
  server.close();
  cleanups.push(() => {
    target.destroy();
    peer.destroy();
  });
  // The source a full outlet would pause: not read here.
  return { target, peer, source: new net.Socket() };
}

/** Resolves with the `n` octets `peer` reads. */
async function read(peer: net.Socket, n: number): Promise<Buffer> {
  const got: Buffer[] = [];
  let length = 0;
  for await (const chunk of peer) {
    got.push(chunk as Buffer);
    length += (chunk as Buffer).length;
    if (length >= n) break;
  }
  return Buffer.concat(got);
}

/** 64 KiB alone in its ArrayBuffer, as a socket read is. */
const chunk = (): Buffer => Buffer.from(new ArrayBuffer(64 * 1024)).fill(0x5a);

describe('Outlet.relay with a BufferFreer', () => {
  it('frees a chunk once the socket has written it; the peer reads every octet', async () => {
    const { target, peer, source } = await pair();
    const data = chunk();
    const outlet = new Outlet(target, bufferFreer());
    const received = read(peer, 64 * 1024);
    outlet.relay(data, source, () => true);
    expect(data.length).toBe(64 * 1024); // not before the write is done
    await outlet.flushed();
    expect(await received).toEqual(Buffer.alloc(64 * 1024, 0x5a));
    expect(data.buffer.byteLength).toBe(0);
  });

  it('leaves a chunk alone without a freer, and through a shaper (which keeps views of what it holds)', async () => {
    const { target, peer, source } = await pair();
    const plain = chunk();
    new Outlet(target, undefined).relay(plain, source, () => true);
    const shaped = chunk();
    const outlet = new Outlet(target, bufferFreer());
    outlet.shape(new PassThrough());
    const received = read(peer, 128 * 1024);
    outlet.relay(shaped, source, () => true);
    await outlet.flushed();
    expect((await received).length).toBe(128 * 1024);
    expect(plain.buffer.byteLength).toBe(64 * 1024);
    expect(shaped.buffer.byteLength).toBe(64 * 1024);
  });
});

describe('Outlet.unread', () => {
  /** Relays 64 KiB chunks until the outlet is full and pauses `source`: at most `max` of them. */
  function fill(outlet: Outlet, source: net.Socket, max: number): void {
    for (let i = 0; i < max && !source.isPaused(); i++) outlet.relay(chunk(), source, () => true);
  }

  /**
   * Relays 64 KiB chunks, a turn of the event loop apart, until `target` stays over its limit through a
   * turn: the kernel's buffers are full (a write the kernel takes whole drains in the same turn).
   */
  async function fillUp(outlet: Outlet, target: net.Socket, source: net.Socket): Promise<void> {
    for (let i = 0; i < 4096; i++) {
      outlet.relay(chunk(), source, () => true);
      source.resume();
      await new Promise(setImmediate);
      if (target.writableNeedDrain) return;
    }
    throw new Error('the socket never filled');
  }

  it('counts nothing while the peer reads what it is sent', async () => {
    const { target, peer, source } = await pair();
    const outlet = new Outlet(target);
    const received = read(peer, 8 * 64 * 1024);
    for (let i = 0; i < 8; i++) {
      outlet.relay(chunk(), source, () => true);
      source.resume();
      await new Promise(setImmediate);
    }
    await received;
    expect(outlet.unread(performance.now() + 5000)).toBeLessThan(1000);
    expect(outlet.longestUnread(performance.now() + 5000)).toBeLessThan(1000);
  });

  it('counts the time the peer left its socket full, in all: from the write that found it full to its drain', async () => {
    const { target, peer, source } = await pair();
    peer.pause(); // the peer reads nothing: its kernel buffers fill, then the socket's own
    const outlet = new Outlet(target);
    expect(outlet.unread(performance.now())).toBe(0);
    const before = performance.now();
    await fillUp(outlet, target, source);
    const after = performance.now();
    const unread = outlet.unread(after + 5000);
    expect(unread).toBeGreaterThan(5000);
    expect(unread).toBeLessThanOrEqual(after + 5000 - before);
    expect(outlet.unreadNow(after + 5000)).toBe(unread); // the stretch going on
    const drained = once(target, 'drain');
    peer.resume();
    await drained;
    const first = outlet.unread(performance.now());
    expect(outlet.unread(performance.now() + 5000)).toBe(first); // it reads: nothing more is counted
    expect(outlet.longestUnread(performance.now() + 5000)).toBe(first);
    expect(outlet.unreadNow(performance.now() + 5000)).toBe(0); // and no stretch goes on
    peer.pause();
    await fillUp(outlet, target, source);
    const now = performance.now();
    expect(outlet.unread(now + 1000)).toBeGreaterThan(first + 1000); // a second stop adds to the first
    expect(outlet.longestUnread(now + 1000)).toBeLessThan(first + 1000); // and is a stretch of its own
  });

  it("counts a full socket behind a shaper, and never the shaper's own pace", async () => {
    const { target, peer, source } = await pair();
    // A shaper that lets nothing through (a throttle at its slowest): the outlet fills, the socket never does.
    const slow = new Outlet(target);
    slow.shape(new Transform({ highWaterMark: 16 * 1024, transform: () => undefined }));
    fill(slow, source, 16);
    expect(source.isPaused()).toBe(true);
    expect(peer.isPaused()).toBe(false);
    expect(slow.unread(performance.now() + 5000)).toBe(0);
    // A shaper that lets everything through, to a peer that reads nothing: its socket fills as the shaper passes pieces on.
    const other = await pair();
    other.peer.pause();
    const passing = new Outlet(other.target);
    passing.shape(new PassThrough());
    const full = once(other.target, 'drain'); // never before the socket was full
    for (let i = 0; i < 4096 && !other.target.writableNeedDrain; i++) {
      fill(passing, other.source, 1);
      other.source.resume();
      await new Promise(setImmediate);
    }
    expect(other.target.writableNeedDrain).toBe(true);
    expect(passing.unread(performance.now() + 5000)).toBeGreaterThan(4900);
    other.peer.resume();
    await full;
  });
});
