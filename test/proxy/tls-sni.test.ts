/**
 * The SNI of the proxy's own handshake toward the server: a run against a server reached by name sends
 * that name (RFC 6066 §3), as the client would connecting directly; by address, none.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { runTls } from '../../src/engine/run-tls.js';
import { startProxy } from '../../src/proxy/proxy.js';
import { tlsFixture } from '../helpers/tls-fixture.js';

const fx = tlsFixture();
const { cleanups } = fx;

/** An implicit-TLS SMTP greeter that records the SNI each client sent (false: none). */
async function sniServer(): Promise<{ port: number; names: (string | false)[] }> {
  const names: (string | false)[] = [];
  const server = tls.createServer({ cert: fx.identity.cert, key: fx.identity.key }, (socket) => {
    names.push(socket.servername ?? false);
    socket.end('220 sni.wireprobe.test ready\r\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, names };
}

/** The greeting a verifying client reads through an implicit-TLS proxy whose upstream SNI is `servername`. */
async function greetingThrough(upstreamPort: number, servername?: string): Promise<string> {
  const proxy = await startProxy({
    upstream: { host: '127.0.0.1', port: upstreamPort },
    tls: { identity: fx.identity, mode: 'implicit', ...(servername ? { servername } : {}) },
  });
  cleanups.push(() => proxy.close());
  const client = tls.connect({ host: proxy.host, port: proxy.port, ca: fx.ca.cert, servername: 'localhost' });
  let text = '';
  client.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  await once(client, 'end');
  client.destroy();
  return text;
}

describe('the SNI the proxy sends the server', () => {
  it('is the name the run reaches the server by', async () => {
    const upstream = await sniServer();
    expect(await greetingThrough(upstream.port, 'localhost')).toBe('220 sni.wireprobe.test ready\r\n');
    expect(upstream.names).toEqual(['localhost']);
  });

  it('is none without a name', async () => {
    const upstream = await sniServer();
    expect(await greetingThrough(upstream.port)).toBe('220 sni.wireprobe.test ready\r\n');
    expect(upstream.names).toEqual([false]);
  });

  it('comes from a run against a host name, never from an address', async () => {
    const byName = await runTls('implicit', { upstreamHost: 'localhost' });
    const byV4 = await runTls('implicit', { upstreamHost: '127.0.0.1' });
    const byV6 = await runTls('starttls', { upstreamHost: '::1' });
    for (const made of [byName, byV4, byV6]) cleanups.push(() => made.close());
    expect(byName.proxy.servername).toBe('localhost');
    expect(byV4.proxy.servername).toBeUndefined();
    expect(byV6.proxy.servername).toBeUndefined();
  });
});
