/**
 * A `reply` fault at a `before X` trigger answers X in the server's place, in the order of the commands
 * (RFC 2920 §3.1, §3.2): a client that pipelined reads the server's replies to the commands before X
 * first, then the injected one, then what `then` does.
 */
import net from 'node:net';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { startSmtpServer } from '../../servers/smtp.js';
import type { Fault } from '../../src/faults/types.js';
import { type SmtpMock, startSmtp } from '../../src/index.js';
import type { Mark, View } from '../../src/protocol/conversation.js';
import { startProxy } from '../../src/proxy/proxy.js';
import { ReplyOrder } from '../../src/proxy/reply-order.js';
import { connectRaw, type RawClient } from '../helpers/raw-client.js';
import { startScriptedSmtp } from '../helpers/scripted-smtp.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const has = (s: string) => (text: string) => text.includes(s);

/** The reply codes in `text`, one per final reply line. */
const codes = (text: string): string[] => text.match(/^\d{3}(?= )/gm) ?? [];

/** Greets, says EHLO, then pipelines MAIL, RCPT and DATA in one write (RFC 2920). */
async function pipelineEnvelope(port: number): Promise<RawClient> {
  const client = await connectRaw(port);
  await client.until(has('220 '));
  client.send('EHLO me\r\n');
  await client.until(has('250 '));
  client.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n');
  return client;
}

type SendError = Error & { code?: string; responseCode?: number; command?: string };

/** One message by nodemailer on a new connection; its error, or undefined when it was accepted. */
async function nodemailerSend(mail: SmtpMock): Promise<SendError | undefined> {
  const transport = nodemailer.createTransport({ host: mail.host, port: mail.port, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({ envelope: { from: 'a@example.test', to: ['b@example.test'] }, raw: 'Subject: order\r\n\r\norder\r\n' });
    return undefined;
  } catch (error) {
    return error as SendError;
  } finally {
    transport.close();
  }
}

const rcpt451 = (then: 'close' | 'continue'): Fault => ({ kind: 'reply', code: 451, at: { before: 'RCPT' }, then });

describe('injected replies in reply order', () => {
  it("sends the server's reply to MAIL, then 451 for the pipelined RCPT, then a FIN; RCPT and DATA never reach the server", async () => {
    const server = await startScriptedSmtp();
    cleanups.push(() => server.close());
    const proxy = await startProxy({ upstream: { host: '127.0.0.1', port: server.port }, faults: [rcpt451('close')] });
    cleanups.push(() => proxy.close());
    const client = await pipelineEnvelope(proxy.port);
    expect(await client.ended).toBe('fin');
    const afterEhlo = client.text().slice(client.text().indexOf('250 SIZE'));
    expect(codes(afterEhlo)).toEqual(['250', '250', '451']);
    expect(afterEhlo).toMatch(/^250 SIZE 100000000\r\n250 2\.1\.0 ok\r\n451 /);
    await proxy.idle();
    const received = server.received[0]!.toString('latin1');
    expect(received).toContain('MAIL FROM');
    expect(received).not.toContain('RCPT');
    expect(received).not.toContain('DATA');
    const [session] = proxy.sessions();
    expect(session?.transcript.join('\n')).toMatch(/S {2}250 2\.1\.0 ok[\s\S]*proxy sends to client: 451[\s\S]*FIN to client/);
  });

  it("with then continue, sends the server's reply to MAIL, then 451, then the server's reply to DATA", async () => {
    const server = await startSmtpServer();
    cleanups.push(() => server.close());
    const proxy = await startProxy({ upstream: { host: server.host, port: server.port }, faults: [rcpt451('continue')] });
    cleanups.push(() => proxy.close());
    const client = await pipelineEnvelope(proxy.port);
    await client.until((text) => codes(text).length >= 5);
    const replies = codes(client.text()).slice(2);
    expect(replies.slice(0, 2)).toEqual(['250', '451']);
    // No recipient was accepted: the mock refuses DATA (503 or 554), after the 451 to RCPT.
    expect(['503', '554']).toContain(replies[2]);
    client.send('QUIT\r\n');
    expect(await client.ended).toBe('fin');
    expect(server.messages).toHaveLength(0);
  });

  it('keeps the order when the injected reply has no reply before it to wait for (RCPT sent alone)', async () => {
    const server = await startScriptedSmtp();
    cleanups.push(() => server.close());
    const proxy = await startProxy({ upstream: { host: '127.0.0.1', port: server.port }, faults: [rcpt451('close')] });
    cleanups.push(() => proxy.close());
    const client = await connectRaw(proxy.port);
    await client.until(has('220 '));
    client.send('EHLO me\r\n');
    await client.until(has('250 SIZE'));
    client.send('MAIL FROM:<a@x.test>\r\n');
    await client.until(has('250 2.1.0'));
    client.send('RCPT TO:<b@y.test>\r\n');
    expect(await client.ended).toBe('fin');
    expect(codes(client.text())).toEqual(['220', '250', '250', '451']);
  });

  it("with then reset, sends the server's reply to MAIL, then 451, then an RST", async () => {
    const server = await startScriptedSmtp();
    cleanups.push(() => server.close());
    const fault: Fault = { kind: 'reply', code: 451, at: { before: 'RCPT' }, then: 'reset' };
    const proxy = await startProxy({ upstream: { host: '127.0.0.1', port: server.port }, faults: [fault] });
    cleanups.push(() => proxy.close());
    const client = await pipelineEnvelope(proxy.port);
    expect(await client.ended).toBe('rst');
    expect(codes(client.text()).slice(2)).toEqual(['250', '451']);
    await proxy.idle();
    expect(server.received[0]!.toString('latin1')).not.toMatch(/RCPT|DATA/);
  });

  it('never sends the injected reply when the server closes before answering the commands before it', async () => {
    // Greets, answers EHLO, and closes at MAIL without a reply.
    const upstream = net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('error', () => undefined);
      socket.write('220 hi\r\n');
      socket.on('data', (chunk: Buffer) => {
        if (chunk.toString('latin1').startsWith('EHLO')) socket.write('250 PIPELINING\r\n');
        else socket.end();
      });
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => upstream.close(() => resolve())));
    const port = (upstream.address() as net.AddressInfo).port;
    const proxy = await startProxy({ upstream: { host: '127.0.0.1', port }, faults: [rcpt451('close')] });
    cleanups.push(() => proxy.close());
    const client = await pipelineEnvelope(proxy.port);
    expect(await client.ended).toBe('fin');
    expect(codes(client.text())).toEqual(['220', '250']);
    await proxy.idle();
    expect(proxy.sessions()[0]?.transcript.join('\n')).toMatch(/proxy's 451 reply to rcpt was never sent: the server closed/);
  });

  it('keeps FTP control replies in order too: 331 to a pipelined USER, then 530 for PASS, then a FIN', async () => {
    // Answers each command line in order; records what reached it.
    let received = '';
    const upstream = net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('error', () => undefined);
      socket.write('220 ftp\r\n');
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        for (const line of chunk.toString('latin1').split('\r\n').filter(Boolean)) socket.write(line.startsWith('USER') ? '331 password\r\n' : '230 in\r\n');
      });
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => upstream.close(() => resolve())));
    const port = (upstream.address() as net.AddressInfo).port;
    const fault: Fault = { kind: 'reply', code: 530, at: { before: 'PASS' }, then: 'close' };
    const proxy = await startProxy({ upstream: { host: '127.0.0.1', port }, faults: [fault], protocol: 'ftp' });
    cleanups.push(() => proxy.close());
    const client = await connectRaw(proxy.port);
    await client.until(has('220 '));
    client.send('USER u\r\nPASS p\r\nSYST\r\n');
    expect(await client.ended).toBe('fin');
    expect(codes(client.text())).toEqual(['220', '331', '530']);
    await proxy.idle();
    expect(received).toBe('USER u\r\n');
  });

  it("gives nodemailer, which pipelines, the server's 250 to MAIL before 451 and the FIN (default then close); the retry is delivered once", async () => {
    const mail = await startSmtp();
    cleanups.push(() => mail.close());
    mail.plan(['reply 451 before RCPT', 'pass']);
    const first = await nodemailerSend(mail);
    // 250 to MAIL, 451 to RCPT, then a FIN before the reply to the DATA it pipelined: nodemailer decides
    // a pipelined envelope on DATA's reply, so it reports the lost connection, not the 451.
    expect(first?.code).toBe('ECONNECTION');
    const transcript = mail.sessions[0]?.transcript.join('\n') ?? '';
    expect(transcript).toMatch(/C {2}DATA\n[\s\S]*S {2}250 [^\n]*\n[\s\S]*proxy sends to client: 451 [^\n]*\n[\s\S]*-- FIN to client/);
    expect(transcript).not.toMatch(/proxy sends to client: 451[\s\S]*S {2}250 /);
    expect(await nodemailerSend(mail)).toBeUndefined();
    expect(mail.messages).toHaveLength(1);
    expect(mail.messages[0]?.session).toBe(2);
    expect(mail.sessions.map((s) => s.faultsFired)).toEqual([['reply 451 before RCPT'], []]);
  });

  it('gives nodemailer 451 as the answer to RCPT, not to MAIL, with then continue; the retry is delivered once', async () => {
    const mail = await startSmtp();
    cleanups.push(() => mail.close());
    mail.plan(['reply 451 before RCPT then continue', 'pass']);
    const first = await nodemailerSend(mail);
    expect(first?.responseCode).toBe(451);
    expect(first?.command).toBe('RCPT TO');
    expect(await nodemailerSend(mail)).toBeUndefined();
    expect(mail.messages).toHaveLength(1);
    expect(mail.messages[0]?.session).toBe(2);
  });
});

describe('ReplyOrder', () => {
  const command = (verb: string): Mark => ({ kind: 'command', end: 0, verb, line: verb });
  const reply = (to: string, code = 250): Mark => ({ kind: 'reply', end: 0, to, code, lines: [] });
  const line = (code: number): Buffer => Buffer.from(`${code} no\r\n`, 'latin1');

  /** A ReplyOrder whose view, transcript and sends are recorded in `log`, in order. */
  function recorded(): { order: ReplyOrder; log: string[] } {
    const log: string[] = [];
    const view = { replaced: (m: Mark) => log.push(`replaced ${m.kind}`), told: (code: number) => log.push(`told ${code}`) } as unknown as View;
    return { order: new ReplyOrder(view, (text) => log.push(`note ${text}`)), log };
  }

  it('sends at once what stands in for a command the server owes nothing before', () => {
    const { order, log } = recorded();
    order.answered(reply('greeting', 220));
    order.inject(line(451), command('RCPT'), () => log.push('sent'));
    expect(log).toEqual(['replaced command', 'told 451', 'sent']);
  });

  it('holds a reply and the end behind it until the owed replies were given, then runs both in order', () => {
    const { order, log } = recorded();
    order.answered(reply('greeting', 220));
    order.walked(command('MAIL'), false);
    order.inject(line(451), command('RCPT'), () => log.push('sent 451'));
    expect(order.end(() => log.push('FIN'))).toBe(true);
    expect(order.ending).toBe(true);
    expect(log).toEqual(["note proxy's 451 reply to rcpt waits for 1 server reply to earlier commands"]);
    expect(order.answered(reply('MAIL'))).toBe(true);
    order.runDue();
    expect(log.slice(1)).toEqual(['replaced command', 'told 451', 'sent 451', 'FIN']);
  });

  it.each([
    ['a 1xx (FTP preliminary)', { kind: 'reply', end: 0, to: 'STOR', code: 150, lines: [], preliminary: true } as Mark],
    ['an unsolicited reply', reply('unsolicited', 421)],
  ])('does not count %s as an answer', (_name, mark) => {
    const { order, log } = recorded();
    order.answered(reply('greeting', 220));
    order.walked(command('STOR'), false);
    order.inject(line(500), command('NOOP'), () => log.push('sent'));
    expect(order.answered(mark)).toBe(false);
    expect(order.answered(reply('STOR', 226))).toBe(true);
  });

  it('does not wait for a command the proxy kept from the server', () => {
    const { order, log } = recorded();
    order.answered(reply('greeting', 220));
    order.walked(command('MAIL'), true);
    order.inject(line(451), command('RCPT'), () => log.push('sent'));
    expect(log.at(-1)).toBe('sent');
  });

  it('sends at once what replaces a server reply or fires at an after trigger', () => {
    const { order, log } = recorded();
    order.walked(command('MAIL'), false);
    order.inject(line(550), reply('MAIL'), () => log.push('in place of a reply'));
    order.inject(line(552), undefined, () => log.push('after trigger'));
    expect(log).toEqual(['replaced reply', 'told 550', 'in place of a reply', 'told 552', 'after trigger']);
  });

  it('drops what waits when the session ends, noting each reply; abandon still runs a waiting end', () => {
    const { order, log } = recorded();
    order.walked(command('MAIL'), false);
    order.inject(line(451), command('RCPT'), () => log.push('sent'));
    order.end(() => log.push('FIN'));
    order.abandon();
    expect(log.slice(1)).toEqual(["note proxy's 451 reply to rcpt was never sent: the server closed before answering the commands before it", 'FIN']);
    order.drop('was never sent: RST to client');
    expect(log).toHaveLength(3);
  });
});
