import net from 'node:net';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { startSmtpServer } from '../../servers/smtp.js';
import { startProxy } from '../../src/proxy/proxy.js';
import { MAX_REPLY_LINES, recordMark, Transcript } from '../../src/proxy/transcript.js';

describe('credentials in transcripts', () => {
  it.each(['PLAIN', 'LOGIN'])('never records an AUTH %s secret', async (method) => {
    const server = await startSmtpServer({ auth: 'required', users: { joe: 's3cret-pw' } });
    const proxy = await startProxy({ upstream: { host: server.host, port: server.port } });
    try {
      const transport = nodemailer.createTransport({
        host: proxy.host,
        port: proxy.port,
        ignoreTLS: true,
        authMethod: method,
        auth: { user: 'joe', pass: 's3cret-pw' },
      });
      await transport.sendMail({ envelope: { from: 'a@wireprobe.test', to: ['b@wireprobe.test'] }, raw: 'Subject: x\r\n\r\nhi\r\n' });
      transport.close();
      await proxy.idle();
      const text = proxy
        .sessions()
        .flatMap((s) => s.transcript)
        .join('\n');
      expect(text).toContain(`AUTH ${method}`);
      expect(text).toMatch(/235/);
      for (const secret of [
        's3cret-pw',
        Buffer.from('s3cret-pw').toString('base64'),
        Buffer.from('\0joe\0s3cret-pw').toString('base64'),
        Buffer.from('joe').toString('base64'),
      ]) {
        expect(text).not.toContain(secret);
      }
    } finally {
      await proxy.close();
      await server.close();
    }
  });
});

/** A raw client: writes exact bytes, waits for what the server says (no timing, only events). */
async function rawSession(port: number): Promise<{ send(text: string): void; until(pattern: RegExp): Promise<void>; end(): Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1');
  let seen = '';
  const waiters: (() => void)[] = [];
  socket.on('data', (d: Buffer) => {
    seen += d.toString('latin1');
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return {
    send: (text) => void socket.write(text),
    until: (pattern) =>
      new Promise<void>((resolve) => {
        const check = (): void => (pattern.test(seen) ? resolve() : void waiters.push(check));
        check();
      }),
    end: () => new Promise<void>((resolve) => socket.end(() => socket.once('close', () => resolve()))),
  };
}

describe('credentials pipelined behind AUTH', () => {
  const b64 = (text: string): string => Buffer.from(text).toString('base64');
  it.each([
    ['LOGIN', `AUTH LOGIN\r\n${b64('joe')}\r\n${b64('s3cret-pw')}\r\n`, [b64('joe'), b64('s3cret-pw')]],
    ['PLAIN', `AUTH PLAIN\r\n${b64('\0joe\0s3cret-pw')}\r\n`, [b64('\0joe\0s3cret-pw')]],
  ])('redacts AUTH %s responses sent before the 334, up to the final reply, and nothing after it', async (_method, auth, secrets) => {
    const server = await startSmtpServer({ auth: 'required', users: { joe: 's3cret-pw' } });
    const proxy = await startProxy({ upstream: { host: server.host, port: server.port } });
    try {
      const client = await rawSession(proxy.port);
      await client.until(/^220 /m);
      client.send('EHLO client.test\r\n');
      await client.until(/^250 /m);
      client.send(auth); // one write: the responses travel before any 334
      await client.until(/^235 /m);
      client.send('NOOP\r\nQUIT\r\n');
      await client.until(/^221 /m);
      await client.end();
      await proxy.idle();
      const lines = proxy.sessions().flatMap((s) => s.transcript);
      const text = lines.join('\n');
      for (const secret of [...secrets, 's3cret-pw']) expect(text).not.toContain(secret);
      expect(lines.filter((l) => / C {2}\*\*\*$/.test(l))).toHaveLength(secrets.length);
      // The exchange is over at the 235: the next command is recorded as it is.
      expect(text).toMatch(/ C {2}NOOP$/m);
    } finally {
      await proxy.close();
      await server.close();
    }
  });
});

describe('a huge reply in a transcript', () => {
  it('keeps the first lines and the last, and counts the rest', () => {
    const transcript = new Transcript(performance.now(), 1);
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i}`);
    recordMark(transcript, { kind: 'reply', end: 0, to: 'EHLO', code: 250, lines });
    const texts = transcript.lines.map((l) => l.replace(/^.*? S {2}/, ''));
    expect(texts).toHaveLength(MAX_REPLY_LINES + 1);
    expect(texts.slice(0, 2)).toEqual(['250-line 0', '250-line 1']);
    expect(texts.at(-2)).toBe(`250-… ${5000 - MAX_REPLY_LINES} more lines`);
    expect(texts.at(-1)).toBe('250 line 4999');
  });
});
