import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { nodemailerPlain } from '../../src/clients/nodemailer.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runScenario } from '../../src/engine/run.js';
import type { SmtpScenario } from '../../src/engine/types.js';
import { parseFault } from '../../src/faults/parse.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/proxy.js';
import { tlsFixture, until } from '../helpers/tls-fixture.js';
import { startSmtpServer } from '../../servers/smtp.js';

const fx = tlsFixture();
const { cleanups } = fx;

async function setup(fault: string, mode: 'starttls' | 'implicit' = 'starttls', onLine?: (line: string) => void): Promise<ProxyHandle> {
  const server = await startSmtpServer({ tls: mode });
  cleanups.push(() => server.close());
  const proxy = await startProxy({
    upstream: { host: '127.0.0.1', port: server.port },
    faults: [parseFault(fault)],
    tls: { identity: fx.identity, mode },
    ...(onLine ? { onLine } : {}),
  });
  cleanups.push(() => proxy.close());
  return proxy;
}

/**
 * A TCP relay in front of `port` that keeps what the proxy sends once `recording` is set: the raw
 * TLS records, which a TLS client never shows.
 */
async function recorder(port: number): Promise<{ port: number; start(): void; bytes(): Buffer }> {
  const chunks: Buffer[] = [];
  let recording = false;
  const sockets: net.Socket[] = [];
  const relay = net.createServer((a) => {
    const b = net.connect(port, '127.0.0.1');
    sockets.push(a, b);
    a.pipe(b);
    b.on('data', (d: Buffer) => {
      if (recording) chunks.push(d);
      a.write(d);
    });
    b.on('end', () => a.end());
    b.on('error', () => a.destroy());
    a.on('error', () => b.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => relay.close(() => resolve()));
  });
  return { port: (relay.address() as net.AddressInfo).port, start: () => void (recording = true), bytes: () => Buffer.concat(chunks) };
}

/** The content types of the TLS records in `bytes` (22 handshake, 20 change cipher spec, 21 alert, 23 data). */
function recordTypes(bytes: Buffer): number[] {
  const types: number[] = [];
  for (let i = 0; i + 5 <= bytes.length; i += 5 + bytes.readUInt16BE(i + 3)) types.push(bytes[i]!);
  return types;
}

/**
 * A raw client (TLS 1.2, so alerts travel as plain alert records) that does STARTTLS and MAIL through
 * the proxy, then waits for the end: the record types the proxy sent in TLS, and how the end came.
 */
async function mailThenEnd(fault: string): Promise<{ types: number[]; end: string; transcript: string }> {
  const proxy = await setup(fault);
  const rec = await recorder(proxy.port);
  const raw = net.connect({ host: '127.0.0.1', port: rec.port });
  await until(raw, '220 ');
  raw.write('EHLO me\r\n');
  await until(raw, '250 ');
  raw.write('STARTTLS\r\n');
  await until(raw, '220 ');
  rec.start();
  const secure = tls.connect({ socket: raw, ca: fx.ca.cert, servername: 'localhost', maxVersion: 'TLSv1.2' });
  await new Promise((resolve) => secure.once('secureConnect', resolve));
  secure.write('EHLO me\r\n');
  await until(secure, '250 ');
  const ended = new Promise<string>((resolve) => {
    secure.on('end', () => resolve('end'));
    secure.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
  });
  secure.write('MAIL FROM:<a@wireprobe.test>\r\n');
  const end = await ended;
  secure.destroy();
  await proxy.idle();
  return { types: recordTypes(rec.bytes()), end, transcript: proxy.sessions().at(-1)!.transcript.join('\n') };
}

/** A raw client's STARTTLS through the proxy, then its handshake: how that handshake ended. */
async function handshake(proxy: ProxyHandle, implicit = false): Promise<string> {
  const raw = net.connect({ host: '127.0.0.1', port: proxy.port });
  if (!implicit) {
    await until(raw, '220 ');
    raw.write('EHLO me\r\n');
    await until(raw, '250 ');
    raw.write('STARTTLS\r\n');
    await until(raw, '220 ');
  }
  const secure = tls.connect({ socket: raw, ca: fx.ca.cert, servername: 'localhost' });
  cleanups.push(async () => void secure.destroy());
  return new Promise((resolve) => {
    secure.once('secureConnect', () => resolve('secure'));
    secure.once('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
  });
}

describe('faults of TLS itself', () => {
  it('reset before handshake: the ClientHello is answered by an RST, at STARTTLS and in implicit mode', async () => {
    for (const mode of ['starttls', 'implicit'] as const) {
      const proxy = await setup('reset before handshake', mode);
      expect(await handshake(proxy, mode === 'implicit')).toBe('error ECONNRESET');
      await proxy.idle();
      const session = proxy.sessions().at(-1)!;
      expect(session).toMatchObject({ faultFired: true, clientSaw: 'rst' });
      expect(session.tls?.client).toBeUndefined();
      expect(session.transcript.join('\n')).toMatch(/TLS handshake: \d+ octets, not answered[\s\S]*fault fired: reset before handshake/);
    }
  });

  it('close before handshake: a FIN to the ClientHello; the client sees its handshake cut', async () => {
    const proxy = await setup('close before handshake');
    // Node names an EOF in the middle of a handshake ECONNRESET too; the proxy's side says it was a FIN.
    expect(await handshake(proxy)).toBe('error ECONNRESET');
    await proxy.idle();
    expect(proxy.sessions().at(-1)).toMatchObject({ faultFired: true, clientSaw: 'fin' });
    expect(proxy.sessions().at(-1)!.endings).toContain('FIN to client');
  });

  it('stall before handshake: the ClientHello is never answered', async () => {
    let fired!: () => void;
    const stalled = new Promise<void>((resolve) => (fired = resolve));
    const proxy = await setup('stall before handshake', 'starttls', (line) => line.includes('fault fired') && fired());
    void handshake(proxy);
    await stalled;
    expect(proxy.sessions()[0]).toMatchObject({ faultFired: true, open: true });
    expect(proxy.sessions()[0]!.tls?.client).toBeUndefined();
  });

  it('reset after STARTTLS keeps its meaning: the RST comes after the 220, before any ClientHello', async () => {
    const proxy = await setup('reset after STARTTLS');
    const raw = net.connect({ host: '127.0.0.1', port: proxy.port });
    await until(raw, '220 ');
    raw.write('EHLO me\r\n');
    await until(raw, '250 ');
    raw.write('STARTTLS\r\n');
    await until(raw, '220 ');
    await proxy.idle();
    expect(proxy.sessions()[0]).toMatchObject({ faultFired: true, clientSaw: 'rst' });
    expect(proxy.sessions()[0]!.transcript.join('\n')).not.toContain('TLS handshake');
    raw.destroy();
  });

  it('truncate after MAIL: a FIN with no close_notify (no alert record), where close sends one', async () => {
    const truncated = await mailThenEnd('truncate after MAIL');
    expect(truncated.types).toContain(23);
    expect(truncated.types).not.toContain(21);
    // Node's TLS client takes the bare FIN for an end: it is the client's to notice (RFC 8446 §6.1).
    expect(truncated.end).toBe('end');
    expect(truncated.transcript).toContain('FIN to client without close_notify');

    const closed = await mailThenEnd('close after MAIL');
    expect(closed.types.at(-1)).toBe(21);
  });

  it('nodemailer through the engine: reset and close before handshake are their exact outcomes', async () => {
    const base: SmtpScenario = {
      id: 'test/tls/handshake',
      suite: 'test/tls',
      protocol: 'smtp',
      title: 'the ClientHello cut',
      expect: { client: 'fails', rule: 'RULE' },
      messageBytes: 1024,
      tls: 'starttls',
      fault: { kind: 'reset', at: { before: 'handshake' } },
    };
    const reset = await runScenario({ scenario: base, client: nodemailerPlain }, builtinTargets());
    const closed = await runScenario(
      { scenario: { ...base, fault: { kind: 'close', at: { before: 'handshake' } } }, client: nodemailerPlain },
      builtinTargets(),
    );
    expect(reset).toMatchObject({ verdict: 'conformant', faultFired: true, outcome: { kind: 'reset', phase: 'tls', bytesSent: 0 } });
    // Node (so nodemailer) names an EOF in the middle of a handshake ECONNRESET: the client reports a reset.
    expect(closed).toMatchObject({ verdict: 'conformant', faultFired: true, outcome: { kind: 'reset', phase: 'tls', bytesSent: 0 } });
  });

  it('nodemailer through the engine: truncate after DATA +64KiB is its exact outcome', async () => {
    const scenario: SmtpScenario = {
      id: 'test/tls/truncate',
      suite: 'test/tls',
      protocol: 'smtp',
      title: 'FIN without close_notify in the body',
      expect: { client: 'fails', rule: 'RULE' },
      messageBytes: 8 * 1024 * 1024,
      tls: 'starttls',
      fault: { kind: 'truncate', at: { after: 'DATA', bytes: 65536 } },
    };
    const result = await runScenario({ scenario, client: nodemailerPlain }, builtinTargets());
    // nodemailer reports the bare FIN as a lost connection, not as a delivery: closed in the body.
    expect(result).toMatchObject({
      verdict: 'conformant',
      faultFired: true,
      outcome: { kind: 'closed', phase: 'body', bytesSent: 65536 },
      sink: { copies: 0 },
    });
  });

  it('tlsVersion 1.0: the proxy offers only TLS 1.0; nodemailer refuses it', async () => {
    const scenario: SmtpScenario = {
      id: 'test/tls/tls10',
      suite: 'test/tls',
      protocol: 'smtp',
      title: 'only TLS 1.0 offered',
      expect: { client: 'fails', rule: 'RULE' },
      messageBytes: 1024,
      tls: 'starttls',
      tlsVersion: '1.0',
    };
    const result = await runScenario({ scenario, client: nodemailerPlain }, builtinTargets());
    // The proxy answers the client's ClientHello (TLS 1.2 and up) with a protocol_version alert.
    expect(result).toMatchObject({ verdict: 'conformant', outcome: { kind: 'closed', phase: 'tls', bytesSent: 0 } });
    expect(result.transcript?.join('\n')).toContain('client socket error ERR_SSL_UNSUPPORTED_PROTOCOL');
  });
});
