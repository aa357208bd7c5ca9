/**
 * socketPair: each side does for its owner what a connected loopback TCP socket does. Every case runs
 * the same steps on a real TCP connection (127.0.0.1, port 0) and on a pair, and expects the same
 * events on both sides of both: data, 'end', 'error' with its code, 'close', and where a case asks,
 * a turn of the event loop the owner waited for after data (`turn`), so an end that comes in a later
 * turn than the data before it cannot come in the same one.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type PairedSocket, socketPair, WINDOW } from '../../src/util/socket-pair.js';

type Side = Duplex & { resetAndDestroy(): unknown };

const open: Side[] = [];
const servers: net.Server[] = [];
afterEach(async () => {
  for (const side of open.splice(0)) side.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** allowHalfOpen of the side that connects (`a`) and of the one that accepts (`b`). */
interface HalfOpen {
  readonly a: boolean;
  readonly b: boolean;
}

/** A connected TCP pair on loopback: `a` connected, `b` accepted. */
async function tcpPair(halfOpen: HalfOpen): Promise<[Side, Side]> {
  const server = net.createServer({ allowHalfOpen: halfOpen.b });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const a = net.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, allowHalfOpen: halfOpen.a });
  const b = await accepted;
  if (a.connecting) await new Promise((resolve) => a.once('connect', resolve));
  open.push(a, b);
  return [a, b];
}

/** Where nothing is: a pair's endpoints are only what its sides report, never a place anything connects to. */
const NOWHERE = { address: '127.0.0.1', port: 0 };

function memoryPair(halfOpen: HalfOpen): [Side, Side] {
  const { client, server } = socketPair(NOWHERE, NOWHERE, { client: halfOpen.a, server: halfOpen.b });
  open.push(client, server);
  return [client, server];
}

/** The events `side` emits, data run together as its octet count (TCP may split or join writes). */
function events(side: Side): string[] {
  const seen: string[] = [];
  let octets = 0;
  side.on('data', (chunk: Buffer) => {
    if (!seen.at(-1)?.startsWith('data ')) octets = 0;
    else seen.pop();
    octets += chunk.length;
    seen.push(`data ${octets}`);
  });
  side.on('turn', () => seen.push('turn'));
  side.on('end', () => seen.push('end'));
  side.on('error', (error: NodeJS.ErrnoException) => seen.push(`error ${error.code}`));
  side.on('close', () => seen.push('close'));
  return seen;
}

/** Runs `steps` on a pair; resolves with each side's events once `done` says the case is over. */
async function run(pair: [Side, Side], steps: (a: Side, b: Side) => void, done: (a: Side, b: Side) => Promise<unknown>): Promise<{ a: string[]; b: string[] }> {
  const [a, b] = pair;
  const seen = { a: events(a), b: events(b) };
  const over = done(a, b);
  steps(a, b);
  await over;
  return seen;
}

const closed = (side: Side): Promise<void> => new Promise((resolve) => side.once('close', () => resolve()));
const bothClosed = (a: Side, b: Side): Promise<unknown> => Promise.all([closed(a), closed(b)]);

/** Each case: its steps, and when it is over (both closed, unless a side is left half open as TCP leaves it). */
const cases: Record<string, { steps: (a: Side, b: Side) => void; done?: (a: Side, b: Side) => Promise<unknown> }> = {
  'a FIN after data: b reads the data, then the end': {
    steps: (a, b) => {
      a.write('hello');
      a.end();
      b.on('end', () => b.end());
    },
  },
  'a FIN right behind data: the end comes in a later turn than the data': {
    steps: (a, b) => {
      a.end('hello');
      b.once('data', () => setImmediate(() => b.emit('turn')));
      b.on('end', () => b.end());
    },
  },
  'an RST while b holds what it read, unread: that data first once b reads on, then ECONNRESET': {
    steps: (a, b) => {
      b.pause();
      // Two turns: b has taken the data in (its socket holds none), then the RST comes; two more, b reads on.
      const turns = (then: () => void): void => void setImmediate(() => setImmediate(then));
      a.write(Buffer.alloc(1000), () =>
        turns(() => {
          a.resetAndDestroy();
          turns(() => b.resume());
        }),
      );
    },
  },
  'an RST right behind data: b reads the data and the RST as an end in the same turn, as Linux reports it': {
    steps: (a, b) => {
      a.write('x', () => a.resetAndDestroy());
      b.once('data', () => setImmediate(() => b.emit('turn')));
      b.once('end', () => b.destroy());
    },
  },
  'an RST after b took everything in: ECONNRESET': {
    steps: (a, b) => {
      a.write('x');
      b.once('data', () => setImmediate(() => a.resetAndDestroy()));
    },
  },
  'a close with data the kernel holds unread: an RST': {
    steps: (a, b) => {
      b.pause();
      b.on('data', () => undefined);
      // More than Node reads ahead into a paused socket's buffer, so the kernel keeps some.
      const big = Buffer.alloc(WINDOW, 'z');
      a.write(big);
      setImmediate(() => setImmediate(() => b.destroy()));
    },
  },
  'a close with everything read: a FIN': {
    steps: (a, b) => {
      a.write('abc');
      b.once('data', () => b.destroy());
      a.on('end', () => a.end());
    },
  },
  'an empty write sends nothing: a close right after it is still a FIN': {
    steps: (a, b) => {
      a.write(Buffer.alloc(0));
      b.destroy();
      a.on('end', () => a.end());
    },
  },
  'a write after the peer closed: an RST back, the next write fails with EPIPE': {
    steps: (a, b) => {
      b.destroy();
      // The RST comes back while the write is handed over (on loopback, in the same system call) and
      // is read in a later turn here: the write after that one fails.
      a.once('end', () => void a.write('late', () => setImmediate(() => setImmediate(() => a.write('later')))));
    },
  },
  'a close while the peer writes: the peer gets ECONNRESET': {
    steps: (a, b) => {
      b.write('x'.repeat(10));
      a.destroy();
    },
  },
};

describe('socketPair behaves as a loopback TCP connection', () => {
  // Both half open, neither, and as `serve smtp` makes its link (the proxy's side half open).
  for (const halfOpen of [
    { a: true, b: true },
    { a: false, b: false },
    { a: true, b: false },
  ]) {
    for (const [name, { steps, done = bothClosed }] of Object.entries(cases)) {
      it(`${name} (allowHalfOpen a ${halfOpen.a}, b ${halfOpen.b})`, async () => {
        const tcp = await run(await tcpPair(halfOpen), steps, done);
        const memory = await run(memoryPair(halfOpen), steps, done);
        expect(memory).toEqual(tcp);
      });
    }
  }
});

describe('socketPair', () => {
  it('delivers in a later turn of the event loop, not inside write()', async () => {
    const [a, b] = memoryPair({ a: true, b: true });
    const seen: string[] = [];
    b.on('data', (chunk: Buffer) => seen.push(chunk.toString()));
    a.write('one');
    seen.push('written');
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['written', 'one']);
  });

  it('holds a writer back while its reader is paused, and bounds what waits between them', async () => {
    const [a, b] = memoryPair({ a: true, b: true });
    b.pause();
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024);
    // Write until the writer says stop, then give the pair every turn it wants to move data.
    while (a.write(chunk) && written < 1024 * chunk.length) written += chunk.length;
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    const waiting = written + a.writableLength;
    expect(a.writableNeedDrain).toBe(true);
    // Nothing beyond the writer's buffer, the peer's window and its reader's buffer.
    expect(waiting).toBeLessThanOrEqual(a.writableHighWaterMark + WINDOW + b.readableHighWaterMark + chunk.length);
    let read = 0;
    b.on('data', (data: Buffer) => (read += data.length));
    b.resume();
    await new Promise((resolve) => a.once('drain', resolve));
    a.end();
    await new Promise((resolve) => b.once('end', resolve));
    expect(read).toBe(written + chunk.length);
  });

  it('refuses as a TCP connect nobody listens for: ECONNREFUSED, no connect', async () => {
    const { client, server } = socketPair(NOWHERE, NOWHERE);
    const seen = events(client);
    client.on('connect', () => seen.push('connect'));
    client.refuse();
    await closed(client);
    expect(seen).toEqual(['error ECONNREFUSED', 'close']);
    expect(server.destroyed).toBe(true);
  });

  it("reports each side's endpoints as the TCP connection it stands for does, and says connect on both in the next tick", async () => {
    // The endpoints of a real loopback connection (a listener on port 0), given to a pair.
    const [a, b] = (await tcpPair({ a: true, b: true })) as [net.Socket, net.Socket];
    const endpoints = (s: net.Socket): unknown[] => [s.localAddress, s.localPort, s.remoteAddress, s.remotePort];
    const { client, server } = socketPair({ address: a.localAddress!, port: a.localPort! }, { address: b.localAddress!, port: b.localPort! });
    expect([client.connecting, server.connecting]).toEqual([true, true]);
    await Promise.all([client, server].map((side: PairedSocket) => new Promise((resolve) => side.once('connect', resolve))));
    expect(endpoints(client as unknown as net.Socket)).toEqual(endpoints(a));
    expect(endpoints(server as unknown as net.Socket)).toEqual(endpoints(b));
    expect(client.localPort).not.toBe(server.localPort);
    expect(server.readyState).toBe('open');
    server.resume();
    client.destroy();
    await closed(server);
  });

  it("says 'timeout' once idle for setTimeout's time, counted again from each read", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const [a, b] = memoryPair({ a: true, b: true });
      const seen: string[] = [];
      b.on('data', () => seen.push('data'));
      (b as PairedSocket).setTimeout(1000, () => seen.push('timeout'));
      vi.advanceTimersByTime(900);
      a.write('x');
      await new Promise((resolve) => setImmediate(resolve));
      vi.advanceTimersByTime(900);
      expect(seen).toEqual(['data']);
      vi.advanceTimersByTime(100);
      expect(seen).toEqual(['data', 'timeout']);
    } finally {
      vi.useRealTimers();
    }
  });
});
