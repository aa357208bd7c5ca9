/**
 * rcvbuf: the proxy's listening socket gets SO_RCVBUF through a python3 child, the connections it
 * accepts carry that small buffer (read back with `ss`), and a large message still arrives intact.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startSmtpServer } from '../../servers/smtp.js';
import { parseFault } from '../../src/faults/parse.js';
import { setReceiveBuffer } from '../../src/faults/rcvbuf.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/proxy.js';
import { connectRaw, type RawClient } from '../helpers/raw-client.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** The receive buffer (`skmem` rb) of the established sockets whose local port is `port`, from `ss -tm`. */
async function receiveBuffers(port: number): Promise<number[]> {
  const { stdout } = await promisify(execFile)('ss', ['-tmnH', 'state', 'established', `( sport = :${port} )`]);
  return [...stdout.matchAll(/\brb(\d+)/g)].map((m) => Number(m[1]));
}

async function proxied(faults: string[]): Promise<ProxyHandle> {
  const server = await startSmtpServer();
  cleanups.push(() => server.close());
  const proxy = await startProxy({ upstream: { host: server.host, port: server.port }, faults: faults.map(parseFault) });
  cleanups.push(() => proxy.close());
  return proxy;
}

/** A client through `proxy`, greeted. */
async function greeted(proxy: ProxyHandle): Promise<RawClient> {
  const client = await connectRaw(proxy.port);
  cleanups.push(async () => client.socket.destroy());
  await client.until((t) => t.includes('220 '));
  return client;
}

describe('setReceiveBuffer', () => {
  it('sets SO_RCVBUF on a listening socket and reads back what the kernel keeps', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    const effective = await setReceiveBuffer(fd, 4096);
    // Linux doubles the request for its bookkeeping, and never goes below its minimum.
    expect(effective).toBeGreaterThanOrEqual(4096);
    expect(effective).toBeLessThanOrEqual(3 * 4096);
  });

  it('is refused with one line naming python3 when it is not installed', async () => {
    const error = await setReceiveBuffer(0, 4096, 'wireprobe-no-such-python3').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^rcvbuf is not available here: it needs python3 .*not installed$/);
  });
});

describe('rcvbuf through the proxy', () => {
  it('gives every accepted connection the small receive buffer, logs it, and a 1 MiB message still arrives intact', async () => {
    const server = await startSmtpServer();
    cleanups.push(() => server.close());
    const proxy = await startProxy({ upstream: { host: server.host, port: server.port }, faults: [parseFault('rcvbuf 4KiB')] });
    cleanups.push(() => proxy.close());
    expect(proxy.fired()).toEqual([true]);
    const client = await greeted(proxy);
    const [buffer] = await receiveBuffers(proxy.port);
    expect(buffer).toBeLessThanOrEqual(3 * 4096);
    expect(proxy.sessions()[0]?.transcript.join('\n')).toMatch(/listening socket: SO_RCVBUF 4096 asked, \d+ in effect/);

    const body = Buffer.from(`${'0123456789abcdef'.repeat(4)}\r\n`.repeat(16_000), 'latin1');
    expect(body.length).toBeGreaterThan(1024 * 1024);
    client.send('EHLO me\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n');
    await client.until((t) => t.includes('354 '));
    client.send(Buffer.concat([body, Buffer.from('.\r\nQUIT\r\n')]));
    await client.ended;
    await proxy.idle();
    expect(server.messages).toMatchObject([{ bytes: body.length, sha256: sha(body) }]);
  });

  it('leaves the receive buffer alone without the fault (the check above can fail)', async () => {
    const proxy = await proxied([]);
    await greeted(proxy);
    const [buffer] = await receiveBuffers(proxy.port);
    expect(buffer).toBeGreaterThan(3 * 4096);
  });
});
