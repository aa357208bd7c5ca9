/**
 * `strip STARTTLS before reply to EHLO`: the client gets the server's EHLO reply without the STARTTLS
 * line and still well-formed (the last line `250 `), whether STARTTLS was the last line or an inner one,
 * whether the proxy terminates TLS, passes it through, or has no TLS at all (before STARTTLS every
 * octet is clear).
 */
import net from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseFault } from '../../src/faults/parse.js';
import { startProxy } from '../../src/proxy/proxy.js';
import type { ProxyTls } from '../../src/proxy/tls-legs.js';
import { createPrivateCa, type KeyPair } from '../../src/tls/ca.js';
import { connectRaw } from '../helpers/raw-client.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let identity: KeyPair;
beforeAll(async () => {
  identity = await (await createPrivateCa()).issue();
});

/**
 * An upstream that greets, answers EHLO with `ehlo` (one write per line when `lineByLine`, so the
 * reply reaches the proxy in pieces) and QUIT with 221.
 */
async function upstream(ehlo: readonly string[], lineByLine = false): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.write('220 upstream ESMTP\r\n');
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      for (let lf = text.indexOf('\n'); lf !== -1; lf = text.indexOf('\n')) {
        const verb = text.slice(0, lf).trim().split(' ')[0]?.toUpperCase();
        text = text.slice(lf + 1);
        if (verb === 'EHLO') {
          if (lineByLine) for (const line of ehlo) socket.write(`${line}\r\n`);
          else socket.write(ehlo.map((line) => `${line}\r\n`).join(''));
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('502 not here\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  return (server.address() as net.AddressInfo).port;
}

/** The proxy's TLS per mode: none, passed through, or terminated at STARTTLS. */
function tlsFor(mode: 'none' | 'passthrough' | 'starttls'): { tls?: ProxyTls } {
  if (mode === 'none') return {};
  return { tls: mode === 'passthrough' ? { mode } : { mode, identity } };
}

/** A complete reply has arrived: its last line is `ddd ` or a bare `ddd`. */
const replyDone = (text: string): boolean => /(^|\n)\d{3}( [^\n]*)?\r\n$/.test(text);

/** Runs EHLO and QUIT through a proxy with `fault`; what the client read after the greeting, and the proxy's view. */
async function ehloThrough(mode: 'none' | 'passthrough' | 'starttls', ehlo: readonly string[], fault: string, lineByLine = false) {
  const port = await upstream(ehlo, lineByLine);
  const lines: string[] = [];
  const proxy = await startProxy({ upstream: { host: '127.0.0.1', port }, faults: [parseFault(fault)], ...tlsFor(mode), onLine: (l) => lines.push(l) });
  cleanups.push(() => proxy.close());
  const client = await connectRaw(proxy.port);
  cleanups.push(async () => void client.socket.destroy());
  const greeting = await client.until(replyDone);
  client.send('EHLO client.test\r\n');
  const reply = (await client.until((t) => t.length > greeting.length && replyDone(t))).slice(greeting.length);
  const phase = proxy.sessions()[0]?.phase;
  client.send('QUIT\r\n');
  const bye = (await client.until((t) => t.endsWith('221 bye\r\n'))).slice(greeting.length + reply.length);
  expect(await client.ended).toBe('fin');
  await proxy.idle();
  return { reply, phase, bye, lines, fired: proxy.fired() };
}

const MODES = ['none', 'passthrough', 'starttls'] as const;
const STRIP = 'strip STARTTLS before reply to EHLO';

describe.each(MODES)('strip STARTTLS, proxy TLS %s', (mode) => {
  it('removes STARTTLS as the last line and ends the reply on the line before it', async () => {
    const seen = await ehloThrough(mode, ['250-upstream greets you', '250-PIPELINING', '250 STARTTLS'], STRIP);
    expect(seen.reply).toBe('250-upstream greets you\r\n250 PIPELINING\r\n');
    expect(seen.phase).toBe('ehlo');
    expect(seen.bye).toBe('221 bye\r\n');
    expect(seen.fired).toEqual([true]);
    const sent = seen.lines.filter((l) => l.includes('proxy sends to client')).map((l) => l.replace(/^.*proxy sends to client: /, ''));
    expect(sent).toEqual(['250-upstream greets you', '250 PIPELINING']);
  });

  it('removes STARTTLS as an inner line, in any case, the reply arriving line by line', async () => {
    const ehlo = ['250-upstream', '250-SIZE 1000', '250-starttls', '250 8BITMIME'];
    const seen = await ehloThrough(mode, ehlo, STRIP, true);
    expect(seen.reply).toBe('250-upstream\r\n250-SIZE 1000\r\n250 8BITMIME\r\n');
    expect(seen.phase).toBe('ehlo');
  });
});

describe('strip, where there is nothing to remove', () => {
  it('relays a reply without the keyword as it was', async () => {
    const seen = await ehloThrough('none', ['250-upstream', '250 PIPELINING'], STRIP);
    expect(seen.reply).toBe('250-upstream\r\n250 PIPELINING\r\n');
    expect(seen.phase).toBe('ehlo');
  });

  it('never removes the first line, even one naming the keyword', async () => {
    const seen = await ehloThrough('none', ['250-STARTTLS greets you', '250 STARTTLS'], STRIP);
    expect(seen.reply).toBe('250 STARTTLS greets you\r\n');
  });
});
