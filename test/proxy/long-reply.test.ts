/**
 * A reply past MAX_HELD_REPLY (a listing of megabytes sent as one reply, or a server that never ends
 * one): the proxy keeps and holds back only its first 64 KiB, then relays it as it comes, so its memory
 * stays bounded whatever the server sends. A `before reply to` fault cannot hold such a reply whole, so
 * it waits for the next one. Each case shows the relaying: the client gets the reply's lines while the
 * server still holds back the last one.
 */
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFault } from '../../src/faults/parse.js';
import { MAX_HELD_REPLY } from '../../src/protocol/replies.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/proxy.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `count` continuation lines of `code` (80 octets each): the server's name, STARTTLS, then padding. */
function replyBody(code: number, count: number): string {
  const line = (i: number): string => (i === 0 ? 'long.test' : i === 1 ? 'STARTTLS' : `X-PADDING-${String(i).padStart(64, '.')}`);
  return Array.from({ length: count }, (_, i) => `${code}-${line(i)}\r\n`).join('');
}

/**
 * A server whose reply to the first line it reads (or, with `greeting`, whose greeting) is `body`, and
 * whose last line `final` goes only once `release()` is called.
 */
async function longReplyServer(body: string, final: string, greeting = false): Promise<{ port: number; release(): void }> {
  let release = (): void => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    const reply = (): void => {
      socket.write(body);
      void released.then(() => socket.write(final));
    };
    if (greeting) return reply();
    socket.write('220 long.test ESMTP\r\n');
    socket.once('data', reply);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as net.AddressInfo).port, release };
}

/** A client of `proxy` that collects what it reads; `until(text)` resolves once that has arrived. */
async function collector(proxy: ProxyHandle): Promise<{ socket: net.Socket; text(): string; until(tail: string): Promise<void> }> {
  const socket = net.connect(proxy.port, proxy.host);
  cleanups.push(async () => socket.destroy());
  await once(socket, 'connect');
  let text = '';
  const waiters: (() => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    for (const wake of waiters.splice(0)) wake();
  });
  const until = async (tail: string): Promise<void> => {
    while (!text.endsWith(tail)) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return { socket, text: () => text, until };
}

async function proxyTo(port: number, protocol: 'smtp' | 'ftp', fault?: string): Promise<ProxyHandle> {
  const proxy = await startProxy({ upstream: { host: '127.0.0.1', port }, faults: fault ? [parseFault(fault)] : [], protocol });
  cleanups.push(() => proxy.close());
  return proxy;
}

describe('a reply past MAX_HELD_REPLY', () => {
  it('is relayed as it comes under a before-reply fault, which cannot hold it whole and stays unfired', async () => {
    const body = replyBody(250, 2_000);
    expect(body.length).toBeGreaterThan(2 * MAX_HELD_REPLY);
    const server = await longReplyServer(body, '250 SIZE 1000\r\n');
    const proxy = await proxyTo(server.port, 'smtp', 'strip STARTTLS before reply to EHLO');
    const client = await collector(proxy);
    await client.until('ESMTP\r\n');
    client.socket.write('EHLO client.test\r\n');
    // Every line so far reaches the client while the server holds back the last one.
    await client.until(body.slice(-200));
    server.release();
    await client.until('250 SIZE 1000\r\n');
    // Unchanged, STARTTLS line included: what the server sent.
    expect(client.text()).toBe(`220 long.test ESMTP\r\n${body}250 SIZE 1000\r\n`);
    expect(proxy.fired()).toEqual([false]);
    const transcript = proxy.sessions()[0]!.transcript;
    expect(transcript.filter((line) => / S {2}250[- ]/.test(line))).toHaveLength(51);
    // 2,001 lines: the first 49 and the last shown, the rest counted.
    expect(transcript.some((line) => line.endsWith('S  250-… 1951 more lines (over 64 KiB: relayed as it came)'))).toBe(true);
    expect(transcript.at(-1)).toMatch(/ S {2}250 SIZE 1000$/);
  });

  it('is relayed as it comes through the FTP proxy, which otherwise holds a reply until its end', async () => {
    const body = replyBody(220, 2_000);
    const server = await longReplyServer(body, '220 ready\r\n', true);
    const proxy = await proxyTo(server.port, 'ftp');
    const client = await collector(proxy);
    await client.until(body.slice(-200));
    server.release();
    await client.until('220 ready\r\n');
    expect(client.text()).toBe(`${body}220 ready\r\n`);
  });

  it('is caught whole while within the bound: the same fault strips a reply just under it', async () => {
    const body = replyBody(250, 800);
    expect(body.length).toBeLessThan(MAX_HELD_REPLY);
    const server = await longReplyServer(body, '250 SIZE 1000\r\n');
    server.release();
    const proxy = await proxyTo(server.port, 'smtp', 'strip STARTTLS before reply to EHLO');
    const client = await collector(proxy);
    await client.until('ESMTP\r\n');
    client.socket.write('EHLO client.test\r\n');
    await client.until('250 SIZE 1000\r\n');
    expect(client.text()).toBe(`220 long.test ESMTP\r\n${body.replace('250-STARTTLS\r\n', '')}250 SIZE 1000\r\n`);
    expect(proxy.fired()).toEqual([true]);
  });
});
