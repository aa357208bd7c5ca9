/**
 * `smtp.early-talk`: the mock answers an early EHLO after its 220 (pass, accepted); a server written
 * here refuses it with 554 (pass, hardening); another answers it before any greeting (fail).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startSmtpServer } from '../../servers/smtp.js';
import { smtpEarlyGroup } from '../../src/probe/smtp-early.js';
import { parseTarget } from '../../src/probe/target.js';
import { DEFAULT_PROBE_LIMITS, type ProbeLimits } from '../../src/probe/types.js';

const FAST: ProbeLimits = { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: 1_000 };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A server that greets nobody and answers the first line it reads with `reply`, then closes. */
async function answering(reply: string): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', () => socket.end(`${reply}\r\n`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as net.AddressInfo).port;
}

describe('smtp.early-talk', () => {
  it('passes the mock, which answers an early EHLO after its 220', async () => {
    const server = await startSmtpServer({});
    closers.push(() => server.close());
    const [result] = await smtpEarlyGroup(parseTarget(`smtp://127.0.0.1:${server.port}`), FAST);
    expect(result).toMatchObject({ id: 'smtp.early-talk', status: 'pass', rfc: 'RFC 5321 §3.1' });
    expect(result!.advice).toMatch(/^An EHLO sent before the greeting was answered after the 220 \(250\): accepted/);
  });

  it('passes a 554 refusal of an early talker as hardening', async () => {
    const port = await answering('554 5.5.0 SMTP synchronization error');
    const [result] = await smtpEarlyGroup(parseTarget(`smtp://127.0.0.1:${port}`), FAST);
    expect(result).toMatchObject({ status: 'pass' });
    expect(result!.advice).toMatch(/was refused \("554 5\.5\.0 SMTP synchronization error"\): hardening/);
  });

  it('fails a server that answers the early EHLO before any greeting', async () => {
    const port = await answering('250 hello');
    const [result] = await smtpEarlyGroup(parseTarget(`smtp://127.0.0.1:${port}`), FAST);
    expect(result).toMatchObject({ status: 'fail' });
    expect(result!.advice).toMatch(/answered the early EHLO with "250 hello" before any greeting/);
  });
});
