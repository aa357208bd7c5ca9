/**
 * `serve --tls`: the CLI in process, a client that trusts only the CA file serve prints (so a
 * handshake that succeeds proves the certificate chains to it), the file removed on Ctrl-C; bad
 * values refused in one line. And the library's `tls` options, the same knobs.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { PassThrough, Readable, Writable } from 'node:stream';
import { connect } from 'node:tls';
import { Client } from 'basic-ftp';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { startFtp, startSmtp } from '../../src/index.js';
import { lines } from '../helpers/stream-lines.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Runs `wireprobe serve ARGS` in process; `body` gets its URL, CA file and log; Ctrl-C after. Resolves with the exit code and the CA file. */
async function serving(
  args: readonly string[],
  body: (url: string, caFile: string, line: (pattern: RegExp) => Promise<string>) => Promise<void>,
): Promise<{ code: number; caFile: string }> {
  const stdout = new PassThrough();
  const line = lines(stdout);
  const stop = new AbortController();
  const ran = main(['serve', ...args], { stdout, stderr: new PassThrough(), env: { NO_COLOR: '1' }, signal: stop.signal });
  let caFile = '';
  try {
    const url = (await line(/ server listening on /)).split(' on ')[1]!;
    caFile = /trust the CA certificate in (\S+)/.exec(await line(/^TLS: /))![1]!;
    await body(url, caFile, line);
  } finally {
    stop.abort();
  }
  return { code: await ran, caFile };
}

/** The greeting over implicit TLS, trusting only `ca`; then QUIT. */
function tlsGreeting(url: string, ca: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca, servername: 'localhost' }, () => undefined);
    socket.once('data', (data) => {
      resolve(data.toString('latin1'));
      socket.end('QUIT\r\n');
    });
    socket.on('error', reject);
  });
}

describe('wireprobe serve smtp --tls', () => {
  it('implicit: an smtps:// URL, a CA file the client trusts, removed on Ctrl-C', async () => {
    const { code, caFile } = await serving(['smtp', '--tls', 'implicit'], async (url, caFile) => {
      expect(url).toMatch(/^smtps:\/\/127\.0\.0\.1:\d+$/);
      expect(await tlsGreeting(url, readFileSync(caFile, 'latin1'))).toMatch(/^220 /);
    });
    expect(code).toBe(130);
    expect(existsSync(caFile)).toBe(false);
  });

  for (const mode of ['starttls', 'implicit'] as const) {
    it(`${mode}: nodemailer verifies against the printed CA; the message is accepted and named in the session's summary`, async () => {
      const raw = Buffer.from(`Subject: ${mode}\r\n\r\nhello\r\n`, 'latin1');
      await serving(['smtp', '--tls', mode], async (url, caFile, line) => {
        expect(url).toMatch(mode === 'implicit' ? /^smtps:\/\// : /^smtp:\/\//);
        const tls = { ca: readFileSync(caFile, 'latin1'), servername: 'localhost' };
        // STARTTLS required, or TLS from the first octet.
        const secure = mode === 'implicit';
        const transport = nodemailer.createTransport({ host: '127.0.0.1', port: Number(new URL(url).port), secure, requireTLS: !secure, tls });
        try {
          await transport.sendMail({ envelope: { from: 'a@example.test', to: ['b@example.test'] }, raw });
        } finally {
          transport.close();
        }
        expect(await line(/accepted message:/)).toContain(`sha256 ${sha256(raw)}`);
        // The mock's record tied to the proxied session.
        expect(await line(/ == session ended /)).toContain('accepted 1 message');
      });
    });
  }
});

describe('wireprobe serve ftp --tls', () => {
  it('explicit: basic-ftp (AUTH TLS) trusting the printed CA uploads under PROT P, and the file is logged stored', async () => {
    const data = Buffer.alloc(100_000, 7);
    await serving(['ftp', '--tls', 'explicit', '--require-tls-reuse'], async (url, caFile, line) => {
      expect(url).toMatch(/^ftp:\/\/127\.0\.0\.1:\d+$/);
      const client = new Client(10_000);
      try {
        const secureOptions = { ca: readFileSync(caFile, 'latin1'), servername: 'localhost' };
        await client.access({ host: '127.0.0.1', port: Number(new URL(url).port), user: 'anonymous', password: 'x', secure: true, secureOptions });
        await client.uploadFrom(Readable.from([data]), '/up.bin');
      } finally {
        client.close();
      }
      expect(await line(/^(.* )?stored \/up\.bin/)).toContain(`sha256 ${sha256(data)}`);
      await line(/^FTPS: the proxy terminates TLS/);
      // The data connection went through the proxy, TLS on both legs, the control session resumed.
      await line(/data 1: TLS \(TLSv1\.[23]\), client resumed the control session; toward the server: resumed/);
    });
  });

  it('implicit: ftps://, basic-ftp (secure: implicit) uploads through the proxy', async () => {
    const data = Buffer.alloc(50_000, 3);
    await serving(['ftp', '--tls', 'implicit'], async (url, caFile, line) => {
      expect(url).toMatch(/^ftps:\/\/127\.0\.0\.1:\d+$/);
      const client = new Client(10_000);
      try {
        const secureOptions = { ca: readFileSync(caFile, 'latin1'), servername: 'localhost' };
        await client.access({ host: '127.0.0.1', port: Number(new URL(url).port), user: 'anonymous', password: 'x', secure: 'implicit', secureOptions });
        await client.uploadFrom(Readable.from([data]), '/imp.bin');
      } finally {
        client.close();
      }
      expect(await line(/^(.* )?stored \/imp\.bin/)).toContain(`sha256 ${sha256(data)}`);
    });
  });
});

/** A stream that keeps what is written to it. */
class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('serve --tls: bad values', () => {
  it.each([
    [['serve', 'smtp', '--tls', 'explicit'], /^wireprobe: bad --tls "explicit": expected off, starttls, implicit\n$/],
    [['serve', 'ftp', '--tls', 'starttls'], /^wireprobe: bad --tls "starttls": expected off, explicit, implicit\n$/],
    [['serve', 'ftp', '--tls', 'explicit', '--prot-p', 'maybe'], /^wireprobe: bad --prot-p "maybe": expected accept, refuse\n$/],
    [['serve', 'ftp', '--require-tls'], /^wireprobe: --require-tls needs --tls explicit or --tls implicit on "serve ftp"\n$/],
    [['serve', 'ftp', '--prot-p', 'refuse', '--tls', 'off'], /^wireprobe: --prot-p needs --tls explicit or --tls implicit on "serve ftp"\n$/],
    [['serve', 'smtp', '--require-tls-reuse'], /^wireprobe: option --require-tls-reuse does not apply to "serve smtp"\n$/],
  ])('refuses %j in one line, exit 2', async (args, named) => {
    const stdout = new Sink();
    const stderr = new Sink();
    const code = await main(args, { stdout, stderr, env: { NO_COLOR: '1' } });
    expect([code, stdout.text]).toEqual([2, '']);
    expect(stderr.text).toMatch(named);
  });
});

describe('startSmtp / startFtp with tls', () => {
  it("startSmtp({ tls: 'implicit' }): smtps:// and the CA PEM the handshake verifies against", async () => {
    const mock = await startSmtp({ tls: 'implicit' });
    try {
      expect(mock.url).toMatch(/^smtps:\/\/127\.0\.0\.1:\d+$/);
      expect(await tlsGreeting(mock.url, mock.ca!)).toMatch(/^220 /);
    } finally {
      await mock.close();
    }
  });

  it('startFtp without tls has no CA; bad TLS options are refused naming the value', async () => {
    const mock = await startFtp();
    expect([mock.url.startsWith('ftp://'), mock.ca]).toEqual([true, undefined]);
    await mock.close();
    await expect(startFtp({ tls: 'starttls' as 'explicit' })).rejects.toThrow(/^tls: expected off, explicit, implicit, got "starttls"$/);
    await expect(startFtp({ tls: 'explicit', protP: 'no' as 'refuse' })).rejects.toThrow(/^protP: expected accept, refuse, got "no"$/);
    await expect(startFtp({ requireTls: true })).rejects.toThrow(/^requireTls: needs tls 'explicit' or 'implicit'$/);
    await expect(startSmtp({ tls: 'explicit' as 'starttls' })).rejects.toThrow(/^tls: expected off, starttls, implicit, got "explicit"$/);
  });
});
