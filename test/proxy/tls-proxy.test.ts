import net from 'node:net';
import tls from 'node:tls';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { parseFault } from '../../src/faults/parse.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/proxy.js';
import type { ProxyTls } from '../../src/proxy/tls-legs.js';
import { tlsFixture } from '../helpers/tls-fixture.js';
import { startSmtpServer, type SmtpServerHandle } from '../../servers/smtp.js';

const fx = tlsFixture();
const { cleanups } = fx;

async function setup(
  options: { tls?: ProxyTls; faults?: string[]; serverTls?: 'starttls' | 'implicit'; onLine?: (line: string) => void } = {},
): Promise<{ server: SmtpServerHandle; proxy: ProxyHandle }> {
  const server = await startSmtpServer({ tls: options.serverTls ?? 'starttls' });
  cleanups.push(() => server.close());
  const proxy = await startProxy({
    upstream: { host: '127.0.0.1', port: server.port },
    faults: (options.faults ?? []).map((f) => parseFault(f)),
    tls: options.tls ?? { identity: fx.identity },
    ...(options.onLine ? { onLine: options.onLine } : {}),
  });
  cleanups.push(() => proxy.close());
  return { server, proxy };
}

/** nodemailer requiring TLS (STARTTLS, or implicit with `secure`), verifying against the run's CA unless told not to. */
async function send(port: number, bytes: number, how: { secure?: boolean; verify?: boolean } = {}): Promise<{ ok: true } | { ok: false; code?: string }> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: how.secure ?? false,
    requireTLS: true,
    tls: { ca: fx.ca.cert, rejectUnauthorized: how.verify ?? true, servername: 'localhost' },
    connectionTimeout: 5000,
    greetingTimeout: 5000,
    socketTimeout: 5000,
  });
  const body = `Subject: t\r\n\r\n${'x'.repeat(bytes)}\r\n`;
  try {
    await transport.sendMail({ envelope: { from: 'a@wireprobe.test', to: ['b@wireprobe.test'] }, raw: body });
    return { ok: true };
  } catch (error) {
    const e = error as { code?: string };
    return { ok: false, ...(e.code ? { code: e.code } : {}) };
  } finally {
    transport.close();
  }
}

/** The session once both of its connections closed. */
async function finished(proxy: ProxyHandle) {
  await proxy.idle();
  return proxy.sessions().at(-1)!;
}

/** A line-oriented client on a socket (plain, then TLS on it). */
function lines(socket: net.Socket | tls.TLSSocket) {
  let text = '';
  const waiters = new Set<() => void>();
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1');
    for (const wake of waiters) wake();
  });
  return {
    until: (s: string) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!text.includes(s)) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        socket.once('close', () => reject(new Error(`closed before ${s}: ${text}`)));
        check();
      }),
    text: () => text,
  };
}

describe('TLS-terminating proxy (SMTP)', () => {
  it('terminates STARTTLS: a client that verifies against the run CA delivers, the tracker reads the plaintext inside', async () => {
    const { server, proxy } = await setup();
    expect(await send(proxy.port, 20_000)).toEqual({ ok: true });
    const session = await finished(proxy);
    expect(server.messages).toHaveLength(1);
    expect(session.tls).toMatchObject({ mode: 'starttls', client: expect.stringMatching(/^TLSv1\.3 /), server: expect.stringMatching(/^TLSv1\.3 /) });
    // nodemailer closes without QUIT.
    expect(session.phase).toBe('dot');
    expect(session.accepted).toBe(1);
    expect(session.bodyBytes).toBeGreaterThan(20_000);
    expect(session.steps).toEqual(expect.arrayContaining(['STARTTLS', 'EHLO', 'MAIL', 'RCPT', 'DATA', 'dot']));
    const transcript = session.transcript.join('\n');
    expect(transcript).toMatch(/TLS established client<->proxy \(TLSv1\.3, TLS_/);
    expect(transcript).toMatch(/TLS established proxy<->server \(TLSv1\.3, TLS_/);
    // After the handshake the commands are read again: the MAIL inside TLS is in the transcript.
    expect(transcript.indexOf('MAIL FROM')).toBeGreaterThan(transcript.indexOf('TLS established'));
  });

  it('cuts inside TLS: reset after DATA +64KiB resets the client in the body, exactly 64 KiB relayed', async () => {
    const { server, proxy } = await setup({ faults: ['reset after DATA +64KiB'] });
    // 8 MiB: more than loopback buffers hold, so the client is still writing at the cut (see smtp/resets).
    const result = await send(proxy.port, 8 * 1024 * 1024);
    expect(result).toMatchObject({ ok: false });
    const session = await finished(proxy);
    expect(session).toMatchObject({ phase: 'body', clientSaw: 'rst', bodyBytes: 65536, faultFired: true });
    expect(session.endings).toContain('RST to client');
    expect(server.messages).toHaveLength(0);
  });

  it('answers in the server place inside TLS: a 451 before the reply to RCPT fails the send at rcpt', async () => {
    const { proxy } = await setup({ faults: ['reply 451 "4.3.0 try later" before reply to RCPT then continue'] });
    expect(await send(proxy.port, 100)).toMatchObject({ ok: false, code: 'EENVELOPE' });
    const session = await finished(proxy);
    expect(session.faultFired).toBe(true);
    const transcript = session.transcript.join('\n');
    expect(transcript.indexOf('proxy sends to client: 451 4.3.0 try later')).toBeGreaterThan(transcript.indexOf('TLS established'));
  });

  it('stalls inside TLS: stall before reply to RCPT holds the 250 from a raw TLS client', async () => {
    let fired!: () => void;
    const stalled = new Promise<void>((resolve) => (fired = resolve));
    const { proxy } = await setup({ faults: ['stall before reply to RCPT'], onLine: (line) => line.includes('stall') && fired() });
    const raw = net.connect({ host: '127.0.0.1', port: proxy.port });
    const plain = lines(raw);
    await plain.until('220 ');
    raw.write('EHLO me\r\n');
    await plain.until('250 ');
    raw.write('STARTTLS\r\n');
    await plain.until('220 Ready');
    const secure = tls.connect({ socket: raw, ca: fx.ca.cert, servername: 'localhost' });
    await new Promise((resolve) => secure.once('secureConnect', resolve));
    const inside = lines(secure);
    secure.write('EHLO me\r\n');
    await inside.until('250 ');
    secure.write('MAIL FROM:<a@wireprobe.test>\r\n');
    await inside.until('250 Accepted');
    secure.write('RCPT TO:<b@wireprobe.test>\r\n');
    await stalled;
    expect(proxy.sessions()[0]).toMatchObject({ phase: 'rcpt', faultFired: true, open: true });
    expect(inside.text()).not.toContain('250 Accepted\r\n250');
    secure.destroy();
  });

  it('relays nothing in clear after STARTTLS: octets the client pipelines behind it are dropped and said', async () => {
    const { proxy } = await setup();
    const raw = net.connect({ host: '127.0.0.1', port: proxy.port });
    const plain = lines(raw);
    await plain.until('220 ');
    raw.write('EHLO me\r\n');
    await plain.until('250 ');
    raw.write('STARTTLS\r\nMAIL FROM:<injected@x>\r\n');
    await plain.until('220 Ready');
    const secure = tls.connect({ socket: raw, ca: fx.ca.cert, servername: 'localhost' });
    await new Promise((resolve) => secure.once('secureConnect', resolve));
    const inside = lines(secure);
    secure.write('EHLO me\r\n');
    await inside.until('250 ');
    // The server never saw the MAIL: a MAIL inside TLS is the first of its transaction, not a second.
    secure.write('MAIL FROM:<a@wireprobe.test>\r\n');
    await inside.until('250 Accepted');
    secure.end('QUIT\r\n');
    const session = await finished(proxy);
    expect(session.transcript.join('\n')).toContain('24 octets the client sent after STARTTLS, before TLS, were not relayed');
    expect(session.transcript.join('\n')).not.toMatch(/injected.*\n.*250/);
  });

  it('implicit TLS: TLS from the first octet on both legs, a delivery and a reset inside', async () => {
    const { server, proxy } = await setup({ tls: { identity: fx.identity, mode: 'implicit' }, serverTls: 'implicit' });
    expect(await send(proxy.port, 1000, { secure: true })).toEqual({ ok: true });
    const session = await finished(proxy);
    expect(session.tls).toMatchObject({ mode: 'implicit', client: expect.stringMatching(/^TLSv1\.3 /), server: expect.stringMatching(/^TLSv1\.3 /) });
    expect(session.steps).toEqual(expect.arrayContaining(['EHLO', 'MAIL', 'RCPT', 'DATA', 'dot']));
    expect(server.messages).toHaveLength(1);

    const cut = await setup({ tls: { identity: fx.identity, mode: 'implicit' }, serverTls: 'implicit', faults: ['reset after MAIL'] });
    expect(await send(cut.proxy.port, 1000, { secure: true })).toMatchObject({ ok: false });
    // The RST waits for the client to read the 250 (it sends its pipelined RCPT): see smtp/resets.
    expect(await finished(cut.proxy)).toMatchObject({ phase: 'rcpt', clientSaw: 'rst', faultFired: true });
  });

  it('passes TLS through when told: after STARTTLS the stream is opaque, the client sees the server certificate', async () => {
    const { server, proxy } = await setup({ tls: { mode: 'passthrough' } });
    // The mock's own certificate is not from the run's CA: only a client that does not verify goes on.
    expect(await send(proxy.port, 100)).toMatchObject({ ok: false });
    expect(await send(proxy.port, 100, { verify: false })).toEqual({ ok: true });
    const session = await finished(proxy);
    expect(session).toMatchObject({ tls: { mode: 'passthrough' }, phase: 'tls' });
    expect(session.tls?.client).toBeUndefined();
    expect(session.transcript.join('\n')).toContain('TLS passed through');
    expect(server.messages).toHaveLength(1);
  });

  it('writes the key log of both legs (NSS key log lines, TLS 1.3 secrets for each client random)', async () => {
    const logged: string[] = [];
    const { proxy } = await setup({ tls: { identity: fx.identity, keylog: (line) => logged.push(line.toString('latin1')) } });
    expect(await send(proxy.port, 100)).toEqual({ ok: true });
    await finished(proxy);
    const handshake = logged.filter((l) => l.startsWith('CLIENT_HANDSHAKE_TRAFFIC_SECRET '));
    expect(logged.every((l) => /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+\n$/.test(l))).toBe(true);
    // One client random per leg: client<->proxy and proxy<->server.
    expect(new Set(handshake.map((l) => l.split(' ')[1])).size).toBe(2);
    expect(logged.some((l) => l.startsWith('SERVER_TRAFFIC_SECRET_0 '))).toBe(true);
  });
});
