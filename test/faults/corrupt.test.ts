/**
 * corrupt: one byte flipped, nothing else changed. Socket-free for the shaper; then through the proxy,
 * the mock SMTP server and the mock FTP server store content whose SHA-256 is that of the original
 * with exactly the byte at offset N flipped.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Client } from 'basic-ftp';
import { afterEach, describe, expect, it } from 'vitest';
import { startFtpServer } from '../../servers/ftp.js';
import { startSmtpServer } from '../../servers/smtp.js';
import { applyCorrupt, createCorrupter } from '../../src/faults/corrupt.js';
import type { Link } from '../../src/faults/link.js';
import { parseFault } from '../../src/faults/parse.js';
import { startProxy } from '../../src/proxy/proxy.js';
import { connectRaw } from '../helpers/raw-client.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** `data` with the byte at `offset` XORed with 0xff. */
function flipped(data: Buffer, offset: number): Buffer {
  const copy = Buffer.from(data);
  copy[offset] = (copy[offset] ?? 0) ^ 0xff;
  return copy;
}

/** Everything `chunks` come out as after passing the corrupter. */
async function through(chunks: readonly Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  const corrupter = createCorrupter();
  corrupter.on('data', (c: Buffer) => out.push(c));
  for (const chunk of chunks) corrupter.write(chunk);
  corrupter.end();
  await new Promise((resolve) => corrupter.on('end', resolve));
  return Buffer.concat(out);
}

describe('createCorrupter', () => {
  it.each([
    ['one chunk', [Buffer.from('hello')]],
    ['an empty chunk first', [Buffer.alloc(0), Buffer.from('hello'), Buffer.from(' world')]],
    ['one byte per chunk', [...Buffer.from('abc')].map((b) => Buffer.from([b]))],
  ])('flips the first byte only, across %s', async (_name, chunks) => {
    const input = Buffer.concat(chunks);
    expect(await through(chunks)).toEqual(flipped(input, 0));
  });

  it('leaves the chunks it was given as they were', async () => {
    const chunk = Buffer.from('keep');
    await through([chunk]);
    expect(chunk.toString()).toBe('keep');
  });
});

describe('applyCorrupt', () => {
  const shapedToward = (spec: string): string[] => {
    const calls: string[] = [];
    const link = { shape: (toward: string) => void calls.push(toward) } as unknown as Link;
    applyCorrupt(parseFault(spec) as Parameters<typeof applyCorrupt>[0], link);
    return calls;
  };

  it.each([
    ['corrupt after DATA +1KiB', 'server'],
    ['corrupt after STOR +1KiB channel data', 'server'],
    ['corrupt after RETR +1KiB channel data', 'client'],
    ['corrupt after LIST +1 channel data', 'client'],
    ['corrupt after DATA +1KiB toward client', 'client'],
  ])('%s shapes what flows toward the %s', (spec, toward) => {
    expect(shapedToward(spec)).toEqual([toward]);
  });
});

describe('corrupt through the proxy', () => {
  it('flips exactly the message body byte at offset N: the mock SMTP server stores a body whose SHA-256 differs', async () => {
    const server = await startSmtpServer();
    cleanups.push(() => server.close());
    const offset = 100_000;
    const proxy = await startProxy({ upstream: { host: server.host, port: server.port }, faults: [parseFault(`corrupt after DATA +${offset}`)] });
    cleanups.push(() => proxy.close());
    // Letters only between the line ends: no dot to stuff, and the flipped byte is not part of a CRLF.
    const body = Buffer.from(`${'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(2)}\r\n`.repeat(4000), 'latin1');
    expect(String.fromCharCode(body[offset]!)).toMatch(/[a-z0-9]/);
    const client = await connectRaw(proxy.port);
    await client.until((t) => t.includes('220 '));
    client.send('EHLO me\r\n');
    await client.until((t) => /\r\n250 /.test(t));
    client.send('MAIL FROM:<a@x.test>\r\n');
    await client.until((t) => t.split('\r\n250 ').length > 2);
    client.send('RCPT TO:<b@y.test>\r\n');
    await client.until((t) => t.split('\r\n250 ').length > 3);
    client.send('DATA\r\n');
    await client.until((t) => t.includes('354 '));
    client.send(Buffer.concat([body, Buffer.from('.\r\n')]));
    await client.until((t) => t.split('\r\n250 ').length > 4);
    client.send('QUIT\r\n');
    await client.ended;
    await proxy.idle();
    expect(proxy.fired()).toEqual([true]);
    expect(server.messages).toHaveLength(1);
    const [stored] = server.messages;
    expect(stored?.bytes).toBe(body.length);
    expect(stored?.sha256).not.toBe(sha(body));
    expect(stored?.sha256).toBe(sha(flipped(body, offset)));
  });

  it('flips exactly the upload byte at offset N on the FTP data connection (basic-ftp STOR)', async () => {
    const server = await startFtpServer({ users: { alice: 'pw' }, anonymous: 'off' });
    cleanups.push(() => server.close());
    const offset = 64 * 1024 + 7;
    const faults = [parseFault(`corrupt after STOR +${offset} channel data`)];
    const proxy = await startProxy({ upstream: { host: server.host, port: server.port }, faults, protocol: 'ftp' });
    cleanups.push(() => proxy.close());
    const client = new Client(5_000);
    cleanups.push(async () => client.close());
    await client.access({ host: proxy.host, port: proxy.port, user: 'alice', password: 'pw' });
    const data = randomBytes(1024 * 1024);
    await client.uploadFrom(Readable.from(data), '/up.bin');
    client.close();
    await proxy.idle();
    expect(proxy.fired()).toEqual([true]);
    expect(server.files).toMatchObject([{ path: '/up.bin', bytes: data.length, complete: true }]);
    expect(server.files[0]?.sha256).not.toBe(sha(data));
    expect(server.files[0]?.sha256).toBe(sha(flipped(data, offset)));
  });
});
