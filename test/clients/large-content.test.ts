/**
 * Content larger than what a client is given whole (nodemailer takes up to WHOLE_UP_TO as a Buffer, a
 * larger message as a file it opens again for each attempt; process clients read it from stdin or a
 * file): every client delivers it intact, and leaves no file of it behind.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFtpServer } from '../../servers/ftp.js';
import { startSmtpServer } from '../../servers/smtp.js';
import { basicFtpClient } from '../../src/clients/basic-ftp.js';
import { curlClient } from '../../src/clients/curl.js';
import { curlFtpClient } from '../../src/clients/curl-ftp.js';
import { ftplibClient } from '../../src/clients/ftplib.js';
import { nodemailerPlain, nodemailerPool, WHOLE_UP_TO } from '../../src/clients/nodemailer.js';
import type { FtpClientAdapter, SmtpClientAdapter } from '../../src/clients/types.js';
import { makeMessage, randomContent } from '../../src/engine/message.js';
import { withPrivateTmp } from '../helpers/private-tmp.js';

const TIMEOUTS = { connect: 5000, greeting: 5000, socket: 10_000, deadline: 30_000 };
const SIZE = 3 * 1024 * 1024 + 5;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('content larger than a client is given whole', () => {
  it.each<[string, SmtpClientAdapter]>([
    ['nodemailer', nodemailerPlain],
    ['nodemailer-pool', nodemailerPool],
    ['curl', curlClient],
  ])('%s delivers a message larger than nodemailer takes whole intact, and leaves nothing behind', async (_name, client) => {
    const server = await startSmtpServer({});
    cleanups.push(() => server.close());
    const size = WHOLE_UP_TO + 5;
    const content = makeMessage('test/large/message', size);
    const job = { host: '127.0.0.1', port: server.port, from: 'a@example.test', to: ['b@example.test'], content, timeouts: TIMEOUTS };
    const { result, left } = await withPrivateTmp(() => client.run(job, AbortSignal.timeout(TIMEOUTS.deadline)));
    expect(result).toMatchObject({ ok: true });
    expect(server.messages.map((m) => ({ bytes: m.bytes, sha256: m.sha256 }))).toEqual([await content.digest()]);
    expect(left).toEqual([]);
  });

  it.each<[string, FtpClientAdapter]>([
    ['basic-ftp', basicFtpClient],
    ['curl-ftp', curlFtpClient],
    ['ftplib', ftplibClient],
  ])('%s uploads a 3 MiB file intact and leaves nothing behind', async (_name, client) => {
    const server = await startFtpServer({ users: { u: 'pw' }, anonymous: 'off' });
    cleanups.push(() => server.close());
    const content = randomContent(SIZE);
    const job = {
      host: '127.0.0.1',
      port: server.port,
      user: 'u',
      password: 'pw',
      mode: 'passive' as const,
      direction: 'upload' as const,
      path: '/big.bin',
      content,
      timeouts: TIMEOUTS,
    };
    const { result, left } = await withPrivateTmp(() => client.run(job, AbortSignal.timeout(TIMEOUTS.deadline)));
    expect(result).toMatchObject({ ok: true });
    expect(await server.digest('/big.bin')).toEqual(await content.digest());
    expect(left).toEqual([]);
  });
});
