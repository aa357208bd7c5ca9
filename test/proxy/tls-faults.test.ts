import net from 'node:net';
import tls from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodemailerPlain } from '../../src/clients/nodemailer.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runScenario } from '../../src/engine/run.js';
import type { SmtpScenario } from '../../src/engine/types.js';
import { parseFault } from '../../src/faults/parse.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/proxy.js';
import { createPrivateCa, type KeyPair, type PrivateCa } from '../../src/tls/ca.js';
import { startSmtpServer } from '../../servers/smtp.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let ca: PrivateCa;
let identity: KeyPair;
beforeAll(async () => {
  ca = await createPrivateCa();
  identity = await ca.issue();
});

async function setup(fault: string): Promise<ProxyHandle> {
  const server = await startSmtpServer({ tls: 'starttls' });
  cleanups.push(() => server.close());
  const proxy = await startProxy({ upstream: { host: '127.0.0.1', port: server.port }, faults: [parseFault(fault)], tls: { identity } });
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

/** Reads until `s` has arrived. */
function until(socket: net.Socket, s: string): Promise<void> {
  let text = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer): void => {
      text += d.toString('latin1');
      if (!text.includes(s)) return;
      socket.off('data', onData);
      resolve();
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed before ${s}: ${text}`)));
  });
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
  const secure = tls.connect({ socket: raw, ca: ca.cert, servername: 'localhost', maxVersion: 'TLSv1.2' });
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

describe('faults of TLS itself', () => {
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
});
