import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Fault } from '../../src/faults/types.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/proxy.js';
import { connectRaw } from '../helpers/raw-client.js';
import { startScriptedSmtp, type ScriptedServer } from '../helpers/scripted-smtp.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(...faults: Fault[]): Promise<{ server: ScriptedServer; proxy: ProxyHandle }> {
  const server = await startScriptedSmtp();
  cleanups.push(() => server.close());
  const proxy = await startProxy({ upstream: { host: '127.0.0.1', port: server.port }, faults });
  cleanups.push(() => proxy.close());
  return { server, proxy };
}

const has = (s: string) => (text: string) => text.includes(s);

/** Walks a client through greeting, EHLO, MAIL, RCPT up to the 354. */
async function toData(port: number) {
  const client = await connectRaw(port);
  await client.until(has('220 '));
  client.send('EHLO me\r\n');
  await client.until(has('250 SIZE'));
  client.send('MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n');
  await client.until(has('354 '));
  return client;
}

describe('fault proxy', () => {
  it('relays binary data unchanged both ways, half-close included', async () => {
    const upstream = net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => upstream.close(() => resolve())));
    const proxy = await startProxy({ upstream: { host: '127.0.0.1', port: (upstream.address() as net.AddressInfo).port } });
    cleanups.push(() => proxy.close());

    const payload = randomBytes(4 * 1024 * 1024);
    const socket = net.connect({ host: '127.0.0.1', port: proxy.port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.end(payload);
    await new Promise((resolve) => socket.on('end', resolve));
    socket.destroy();
    const echoed = Buffer.concat(chunks);
    expect(echoed.length).toBe(payload.length);
    expect(createHash('sha256').update(echoed).digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it('relays a whole SMTP transaction and records a transcript', async () => {
    const { server, proxy } = await setup();
    const client = await toData(proxy.port);
    client.send('Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n');
    await client.until(has('221 '));
    expect(await client.ended).toBe('fin');
    await proxy.idle();
    expect(server.bodies).toEqual([21]);
    const [session] = proxy.sessions();
    expect(session?.phase).toBe('quit');
    expect(session?.transcript.join('\n')).toMatch(/C {2}\[message body: 21 bytes\][\s\S]*C {2}\.\n[\s\S]*S {2}250 2\.0\.0 queued/);
  });

  it('resets the client right after the greeting and the client still reads the greeting', async () => {
    const { proxy } = await setup({ kind: 'reset', at: { after: 'greeting' } });
    const client = await connectRaw(proxy.port);
    expect(await client.ended).toBe('rst');
    expect(client.text()).toBe('220 scripted ESMTP\r\n');
    expect(proxy.fired()).toEqual([true]);
  });

  it('holds an RST after a reply until a slow client sends its next command', async () => {
    const { server, proxy } = await setup({ kind: 'reset', at: { after: 'EHLO' } });
    const client = await connectRaw(proxy.port);
    await client.until(has('220 '));
    client.send('EHLO me\r\n');
    await client.until(has('250 SIZE'));
    // A client the machine keeps off the CPU for a second between the reply and its next command: the
    // RST must meet it at MAIL, the step it took, not at EHLO, the one it had finished.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(client.socket.destroyed).toBe(false);
    client.send('MAIL FROM:<a@x>\r\n');
    expect(await client.ended).toBe('rst');
    await proxy.idle();
    expect(proxy.sessions()[0]?.phase).toBe('mail');
    expect(server.received[0]!.toString()).not.toContain('MAIL');
  });

  it('closes with a FIN after the reply to RCPT', async () => {
    const { proxy } = await setup({ kind: 'close', at: { after: 'RCPT' } });
    const client = await connectRaw(proxy.port);
    await client.until(has('220 '));
    client.send('EHLO me\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n');
    expect(await client.ended).toBe('fin');
    expect(client.text()).toMatch(/250 2\.1\.5 ok\r\n$/);
    expect(proxy.sessions()[0]?.phase).toBe('rcpt');
  });

  it('counts, without relaying, a command pipelined behind MAIL that lands after the FIN', async () => {
    const { server, proxy } = await setup({ kind: 'close', at: { after: 'MAIL' } });
    const client = await connectRaw(proxy.port);
    await client.until(has('220 '));
    // Written as the FIN arrives: a pipelining client descheduled between its two writes.
    client.socket.prependListener('end', () => client.socket.write('RCPT TO:<b@y>\r\n'));
    client.send('EHLO me\r\n');
    await client.until(has('250 SIZE'));
    client.send('MAIL FROM:<a@x>\r\n');
    expect(await client.ended).toBe('fin');
    await proxy.idle();
    expect(proxy.sessions()[0]?.phase).toBe('rcpt');
    expect(server.received[0]!.toString()).not.toContain('RCPT');
  });

  it('does not count a command after the FIN that only a reply could have prompted', async () => {
    const { proxy } = await setup({ kind: 'close', at: { after: 'greeting' } });
    const client = await connectRaw(proxy.port);
    client.socket.prependListener('end', () => client.socket.write('EHLO me\r\n'));
    expect(await client.ended).toBe('fin');
    await proxy.idle();
    expect(proxy.sessions()[0]?.phase).toBe('greeting');
  });

  it('cuts the body after exactly N octets and the server sees only those', async () => {
    const { server, proxy } = await setup({ kind: 'reset', at: { after: 'DATA', bytes: 1000 } });
    const client = await toData(proxy.port);
    const before = server.received[0]!.length;
    client.send(Buffer.alloc(5000, 0x61));
    expect(await client.ended).toBe('rst');
    await proxy.idle();
    expect(server.received[0]!.length - before).toBe(1000);
    expect(server.bodies).toEqual([]);
    expect(proxy.sessions()[0]).toMatchObject({ phase: 'body', bodyBytes: 1000, faultFired: true });
  });

  it('holds the reply after the dot while the server has the whole message', async () => {
    const { server, proxy } = await setup({ kind: 'reset', at: { before: 'reply', to: 'dot' } });
    const client = await toData(proxy.port);
    client.send('hello\r\n.\r\n');
    expect(await client.ended).toBe('rst');
    await proxy.idle();
    expect(server.bodies).toEqual([7]);
    expect(client.text()).not.toContain('queued');
  });

  it('keeps a command caught by a before trigger from the server, even sent byte by byte', async () => {
    const { server, proxy } = await setup({ kind: 'close', at: { before: 'QUIT' } });
    const client = await connectRaw(proxy.port);
    await client.until(has('220 '));
    for (const byte of 'NOOP\r\nQUIT\r\n') client.send(byte);
    expect(await client.ended).toBe('fin');
    await proxy.idle();
    expect(server.received[0]!.toString()).toBe('NOOP\r\n');
  });

  it('relays an unfinished last line held for a before trigger when the client ends', async () => {
    const { server, proxy } = await setup({ kind: 'delay', ms: 1, at: { before: 'QUIT' } });
    const client = await connectRaw(proxy.port);
    await client.until(has('220 '));
    client.socket.end('NOOP\r\nPARTIAL-LINE');
    await client.ended;
    await proxy.idle();
    expect(server.received[0]!.toString()).toBe('NOOP\r\nPARTIAL-LINE');
  });

  it('marks a client that closed its connection on its turn, answered everything, nothing cut', async () => {
    const { proxy } = await setup();
    const client = await connectRaw(proxy.port);
    await client.until(has('220 '));
    client.send('EHLO me\r\n');
    await client.until(has('250 SIZE'));
    client.socket.end();
    await proxy.idle();
    expect(proxy.sessions()[0]).toMatchObject({ leftOnTurn: true, clientSaw: null });
  });

  it.each([
    ['a command it sent was never answered', { kind: 'stall', at: { before: 'EHLO' } } as Fault],
    ['the proxy held the reply it was owed', { kind: 'stall', at: { before: 'reply', to: 'EHLO' } } as Fault],
  ])('does not mark a client that left while %s', async (_what, fault) => {
    const { proxy } = await setup(fault);
    const client = await connectRaw(proxy.port);
    await client.until(has('220 '));
    client.send('EHLO me\r\n');
    await expect.poll(() => proxy.fired()).toEqual([true]);
    client.socket.end();
    await expect.poll(() => proxy.sessions()[0]?.endings).toContain('FIN from client');
    expect(proxy.sessions()[0]).not.toHaveProperty('leftOnTurn');
    client.socket.destroy();
  });

  it.each([
    ['its greeting never came', false],
    ['its EHLO was never answered', true],
  ])('does not mark a client that left while the server itself owed it something: %s', async (_what, greets) => {
    // A server that is only slow: no fault holds anything, the client was owed its greeting or a reply.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      if (greets) socket.write('220 slow ESMTP\r\n');
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const proxy = await startProxy({ upstream: { host: '127.0.0.1', port: (silent.address() as net.AddressInfo).port } });
    cleanups.push(() => proxy.close());
    const client = await connectRaw(proxy.port);
    if (greets) {
      await client.until(has('220 '));
      client.send('EHLO me\r\n');
    }
    client.socket.end();
    await expect.poll(() => proxy.sessions()[0]?.endings).toContain('FIN from client');
    expect(proxy.sessions()[0]).toMatchObject({ clientSaw: null, phase: greets ? 'ehlo' : 'connect' });
    expect(proxy.sessions()[0]).not.toHaveProperty('leftOnTurn');
    client.socket.destroy();
  });

  it('marks a client that left after the 221 to its QUIT, whichever FIN came first', async () => {
    const { proxy } = await setup();
    const client = await connectRaw(proxy.port);
    await client.until(has('220 '));
    client.send('QUIT\r\n');
    await client.until(has('221 '));
    client.socket.end();
    await proxy.idle();
    expect(proxy.sessions()[0]).toMatchObject({ leftOnTurn: true, phase: 'quit' });
  });

  it('does not mark a client that left after the proxy ended its side', async () => {
    const { proxy } = await setup({ kind: 'close', at: { after: 'greeting' } });
    const client = await connectRaw(proxy.port);
    expect(await client.ended).toBe('fin');
    await proxy.idle();
    expect(proxy.sessions()[0]).toMatchObject({ clientSaw: 'fin' });
    expect(proxy.sessions()[0]).not.toHaveProperty('leftOnTurn');
  });

  it('stalls before the reply to RCPT: the server got RCPT, the client gets nothing more', async () => {
    const { server, proxy } = await setup({ kind: 'stall', at: { before: 'reply', to: 'RCPT' } });
    const client = await connectRaw(proxy.port);
    await client.until(has('220 '));
    client.send('MAIL FROM:<a@x>\r\n');
    await client.until(has('250 2.1.0'));
    client.send('RCPT TO:<b@y>\r\n');
    await expect.poll(() => server.received[0]?.toString()).toContain('RCPT TO:<b@y>');
    expect(client.text()).not.toContain('2.1.5');
    expect(proxy.fired()).toEqual([true]);
    client.socket.destroy();
  });

  it('holds only the reply to the step: replies to commands pipelined before it still pass', async () => {
    const { proxy } = await setup({ kind: 'stall', at: { before: 'reply', to: 'DATA' } });
    const client = await connectRaw(proxy.port);
    await client.until(has('220 '));
    client.send('MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n');
    await client.until(has('250 2.1.5'));
    await expect.poll(() => proxy.fired()).toEqual([true]);
    expect(client.text()).not.toContain('354');
    expect(proxy.sessions()[0]?.phase).toBe('data');
    client.socket.destroy();
  });

  it('replaces the server reply to a step with its own and goes on', async () => {
    const { proxy } = await setup({ kind: 'reply', code: 452, text: '4.5.3 too many recipients', at: { before: 'reply', to: 'RCPT' }, then: 'continue' });
    const client = await connectRaw(proxy.port);
    await client.until(has('220 '));
    client.send('MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n');
    await client.until(has('452 '));
    client.send('QUIT\r\n');
    await client.until(has('221 '));
    expect(client.text()).toBe('220 scripted ESMTP\r\n250 2.1.0 ok\r\n452 4.5.3 too many recipients\r\n221 bye\r\n');
    expect(proxy.sessions()[0]?.lastReply).toBe(452); // the reply to QUIT does not count
  });

  it('holds a multi-line reply whole even when the server writes it line by line', async () => {
    const upstream = net.createServer((socket) => {
      socket.write('220 hi\r\n');
      socket.on('data', () => {
        socket.write('250-first\r\n');
        setImmediate(() => socket.write('250 last\r\n'));
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => upstream.close(() => resolve())));
    const port = (upstream.address() as net.AddressInfo).port;
    const proxy = await startProxy({ upstream: { host: '127.0.0.1', port }, faults: [{ kind: 'reset', at: { before: 'reply', to: 'EHLO' } }] });
    cleanups.push(() => proxy.close());
    const client = await connectRaw(proxy.port);
    await client.until(has('220 '));
    client.send('EHLO me\r\n');
    expect(await client.ended).toBe('rst');
    expect(client.text()).toBe('220 hi\r\n');
  });

  it('answers 552 mid-body in the server place, then closes while the client writes', async () => {
    const { server, proxy } = await setup({ kind: 'reply', code: 552, text: '5.3.4 too big', at: { after: 'DATA', bytes: 100 } });
    const client = await toData(proxy.port);
    client.send(Buffer.alloc(300, 0x61));
    expect(await client.ended).toBe('fin');
    expect(client.text()).toMatch(/354 go ahead\r\n552 5\.3\.4 too big\r\n$/);
    await proxy.idle();
    expect(server.bodies).toEqual([]);
  });

  it('swallows STARTTLS and answers 454, then the conversation goes on', async () => {
    const { server, proxy } = await setup({ kind: 'reply', code: 454, at: { before: 'STARTTLS' }, then: 'continue' });
    const client = await connectRaw(proxy.port);
    await client.until(has('220 '));
    client.send('STARTTLS\r\n');
    await client.until(has('454 '));
    client.send('NOOP\r\n');
    await client.until(has('250 ok'));
    expect(server.received[0]!.toString()).toBe('NOOP\r\n');
  });

  it('delays the greeting and then relays it intact', async () => {
    const { proxy } = await setup({ kind: 'delay', ms: 50, at: 'connect' });
    const client = await connectRaw(proxy.port);
    expect(await client.until(has('\n'))).toBe('220 scripted ESMTP\r\n');
    client.socket.destroy();
  });

  it('fragments replies toward the client into single bytes', async () => {
    const { proxy } = await setup({ kind: 'slice', size: 1, gapMs: 1, at: 'connect' });
    const client = await connectRaw(proxy.port);
    await client.until(has('220 scripted ESMTP\r\n'));
    expect(client.reads()).toBeGreaterThan(10);
    client.socket.destroy();
  });

  it('applies a fault to the Nth connection only', async () => {
    const { proxy } = await setup({ kind: 'reset', at: 'connect', connection: 2 });
    const first = await connectRaw(proxy.port);
    await first.until(has('220 '));
    const second = await connectRaw(proxy.port);
    expect(await second.ended).toBe('rst');
    expect(second.text()).toBe('');
    first.socket.destroy();
  });

  it('answers 421 over the session limit and admits again once a session ends', async () => {
    const { proxy } = await setup({ kind: 'limit', max: 1, at: 'connect' });
    const first = await connectRaw(proxy.port);
    await first.until(has('220 '));
    const second = await connectRaw(proxy.port);
    expect(await second.ended).toBe('fin');
    expect(second.text()).toMatch(/^421 /);
    first.send('QUIT\r\n');
    await first.ended;
    await proxy.idle();
    const third = await connectRaw(proxy.port);
    await third.until(has('220 '));
    third.socket.destroy();
  });

  it('queues a connection over the limit without a greeting until a slot frees', async () => {
    const { proxy } = await setup({ kind: 'limit', max: 1, over: 'queue', at: 'connect' });
    const first = await connectRaw(proxy.port);
    await first.until(has('220 '));
    const second = await connectRaw(proxy.port);
    expect(second.text()).toBe('');
    first.send('QUIT\r\n');
    await second.until(has('220 '));
    second.socket.destroy();
  });

  it('restarts: drops open sessions and refuses connections for a while', async () => {
    const { proxy } = await setup({ kind: 'refuse', ms: 60_000, at: { after: 'EHLO' } });
    const client = await connectRaw(proxy.port);
    await client.until(has('220 '));
    client.send('EHLO me\r\n');
    expect(await client.ended).toBe('fin');
    await expect(connectRaw(proxy.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
