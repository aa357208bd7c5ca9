import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { startSmtpServer, type SmtpServerHandle, type SmtpServerOptions } from '../../servers/smtp.js';

/** A raw SMTP client: write lines, await whole replies (multi-line joined), await the close. */
class RawClient {
  private buffer = '';
  private readonly replies: string[][] = [];
  private waiter: (() => void) | undefined;
  private lines: string[] = [];
  readonly closed: Promise<void>;

  constructor(readonly socket: net.Socket | tls.TLSSocket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.feed(chunk));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawClient(socket);
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\r\n')) >= 0) {
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.lines.push(line);
      if (line[3] !== '-') {
        this.replies.push(this.lines);
        this.lines = [];
      }
    }
    this.waiter?.();
  }

  /** The next whole reply, as its lines. */
  async reply(): Promise<string[]> {
    while (this.replies.length === 0) {
      if (this.socket.destroyed) throw new Error('connection closed while waiting for a reply');
      await Promise.race([new Promise<void>((resolve) => (this.waiter = resolve)), this.closed]);
    }
    return this.replies.shift() as string[];
  }

  /** Sends EHLO and returns the reply's lines without their `250-`/`250 ` prefix. */
  async ehlo(): Promise<string[]> {
    this.socket.write('EHLO raw.test\r\n');
    return (await this.reply()).map((line) => line.slice(4));
  }

  /** Sends `line` (CRLF added) and returns the reply's first line. */
  async command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return (await this.reply())[0] ?? '';
  }
}

/** Starts a server, runs `body` with it, and always closes it. */
async function withServer(options: SmtpServerOptions, body: (server: SmtpServerHandle) => Promise<void>): Promise<void> {
  const server = await startSmtpServer(options);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('startSmtpServer', () => {
  it('accepts a message sent with nodemailer and records envelope, byte count and SHA-256 that match what was sent', async () => {
    await withServer({}, async (server) => {
      // Ends in CRLF and uses CRLF only: nodemailer then sends it unchanged (dot-stuffing the second
      // line, which smtp-server undoes), so the sink sees exactly these octets. A raw message without
      // a final CRLF would arrive with one appended (nodemailer adds it before the dot).
      const raw = Buffer.from('Subject: hi\r\n\r\n.starts with a dot\r\nsecond line\r\n', 'latin1');
      const transport = nodemailer.createTransport({ host: server.host, port: server.port, secure: false, ignoreTLS: true });
      try {
        const info = await transport.sendMail({ envelope: { from: 'a@example.test', to: ['b@example.test', 'c@example.test'] }, raw });
        expect(info.response).toMatch(/^250 /);
      } finally {
        transport.close();
      }
      expect(server.messages).toEqual([
        { from: 'a@example.test', to: ['b@example.test', 'c@example.test'], bytes: raw.length, sha256: sha256(raw), session: 1 },
      ]);
    });
  });

  it('records the octets between the 354 and the final dot, including the last CRLF and unstuffing dots', async () => {
    await withServer({}, async (server) => {
      const client = await RawClient.connect(server.port);
      expect((await client.reply())[0]).toMatch(/^220 /);
      expect(await client.command('EHLO raw.test')).toMatch(/^250-/);
      expect(await client.command('MAIL FROM:<a@example.test>')).toMatch(/^250 /);
      expect(await client.command('RCPT TO:<b@example.test>')).toMatch(/^250 /);
      expect(await client.command('DATA')).toMatch(/^354 /);
      expect(await client.command('line1\r\nline2\r\n.')).toMatch(/^250 /);
      expect(server.messages).toHaveLength(1); // recorded before the 250 was sent
      expect(await client.command('MAIL FROM:<>')).toMatch(/^250 /);
      expect(await client.command('RCPT TO:<b@example.test>')).toMatch(/^250 /);
      expect(await client.command('DATA')).toMatch(/^354 /);
      expect(await client.command('..dot\r\n.')).toMatch(/^250 /);
      await client.command('QUIT');

      const first = Buffer.from('line1\r\nline2\r\n');
      const second = Buffer.from('.dot\r\n');
      expect(server.messages).toEqual([
        { from: 'a@example.test', to: ['b@example.test'], bytes: 14, sha256: sha256(first), session: 1 },
        { from: '', to: ['b@example.test'], bytes: second.length, sha256: sha256(second), session: 1 },
      ]);
    });
  });

  it('keeps only the newest `keep` messages in messages and counts them all in accepted()', async () => {
    await withServer({ keep: 2 }, async (server) => {
      const held = server.messages; // a live view: read after the messages, it holds them
      const client = await RawClient.connect(server.port);
      await client.reply();
      expect(await client.command('EHLO raw.test')).toMatch(/^250-/);
      for (const n of [1, 2, 3]) {
        expect(await client.command(`MAIL FROM:<m${n}@example.test>`)).toMatch(/^250 /);
        expect(await client.command('RCPT TO:<b@example.test>')).toMatch(/^250 /);
        expect(await client.command('DATA')).toMatch(/^354 /);
        expect(await client.command(`message ${n}\r\n.`)).toMatch(/^250 /);
      }
      expect(server.messages.map((m) => m.from)).toEqual(['m2@example.test', 'm3@example.test']);
      expect(held.map((m) => m.from)).toEqual(['m2@example.test', 'm3@example.test']);
      expect(server.accepted()).toBe(3);
    });
    await expect(startSmtpServer({ keep: -1 })).rejects.toThrow(/keep must be/);
  });

  it('rejects MAIL FROM SIZE above the limit and an oversized body after the dot with 552, recording nothing', async () => {
    await withServer({ sizeLimit: 100 }, async (server) => {
      const client = await RawClient.connect(server.port);
      await client.reply();
      expect(await client.ehlo()).toContain('SIZE 100');
      expect(await client.command('MAIL FROM:<a@example.test> SIZE=101')).toMatch(/^552 /);
      expect(await client.command('MAIL FROM:<a@example.test> SIZE=100')).toMatch(/^250 /);
      expect(await client.command('RCPT TO:<b@example.test>')).toMatch(/^250 /);
      expect(await client.command('DATA')).toMatch(/^354 /);
      expect(await client.command(`${'x'.repeat(99)}\r\n.`)).toMatch(/^552 /);
      expect(server.messages).toEqual([]);
      // The limit itself is allowed: 98 + CRLF = 100 octets.
      expect(await client.command('MAIL FROM:<a@example.test>')).toMatch(/^250 /);
      expect(await client.command('RCPT TO:<b@example.test>')).toMatch(/^250 /);
      expect(await client.command('DATA')).toMatch(/^354 /);
      expect(await client.command(`${'x'.repeat(98)}\r\n.`)).toMatch(/^250 /);
      expect(server.messages.map((m) => m.bytes)).toEqual([100]);
    });
  });

  it('answers the connection past maxClients with 421 and closes it', async () => {
    await withServer({ maxClients: 2 }, async (server) => {
      const first = await RawClient.connect(server.port);
      const second = await RawClient.connect(server.port);
      expect((await first.reply())[0]).toMatch(/^220 /);
      expect((await second.reply())[0]).toMatch(/^220 /);
      const third = await RawClient.connect(server.port);
      expect((await third.reply())[0]).toMatch(/^421 .*Too many connected clients/);
      await third.closed;
      expect(await first.command('NOOP')).toMatch(/^250 /);
      expect(await second.command('NOOP')).toMatch(/^250 /);
    });
  });

  it('refuses MAIL without AUTH when auth is required and accepts AUTH PLAIN from a known user', async () => {
    await withServer({ auth: 'required', users: { alice: 's3cret' } }, async (server) => {
      const client = await RawClient.connect(server.port);
      await client.reply();
      expect(await client.ehlo()).toContain('AUTH PLAIN LOGIN');
      expect(await client.command('MAIL FROM:<a@example.test>')).toMatch(/^530 /);
      const wrong = Buffer.from('\0alice\0nope').toString('base64');
      expect(await client.command(`AUTH PLAIN ${wrong}`)).toMatch(/^535 /);
      const right = Buffer.from('\0alice\0s3cret').toString('base64');
      expect(await client.command(`AUTH PLAIN ${right}`)).toMatch(/^235 /);
      expect(await client.command('MAIL FROM:<a@example.test>')).toMatch(/^250 /);
    });
  });

  it('offers STARTTLS with a localhost certificate and nodemailer delivers over it', async () => {
    await withServer({ tls: 'starttls' }, async (server) => {
      const client = await RawClient.connect(server.port);
      await client.reply();
      expect(await client.ehlo()).toContain('STARTTLS');
      expect(await client.command('STARTTLS')).toMatch(/^220 /);
      const secure = tls.connect({ socket: client.socket, servername: 'localhost', rejectUnauthorized: false });
      await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
      const cert = secure.getPeerCertificate();
      expect(cert.subject.CN).toBe('localhost');
      expect(cert.subjectaltname).toContain('DNS:localhost');
      expect(cert.subjectaltname).toContain('IP Address:127.0.0.1');
      secure.destroy();

      const raw = Buffer.from('Subject: tls\r\n\r\nbody\r\n');
      const transport = nodemailer.createTransport({
        host: server.host,
        port: server.port,
        secure: false,
        requireTLS: true,
        tls: { rejectUnauthorized: false },
      });
      try {
        await transport.sendMail({ envelope: { from: 'a@example.test', to: ['b@example.test'] }, raw });
      } finally {
        transport.close();
      }
      expect(server.messages).toEqual([{ from: 'a@example.test', to: ['b@example.test'], bytes: raw.length, sha256: sha256(raw), session: 2 }]);
      // smtp-server strips the raw socket's listeners when it upgrades: the count must survive that.
      await server.idle();
      expect(server.connections()).toBe(0);
    });
  });

  it('records nothing when the client leaves in the middle of the body', async () => {
    await withServer({}, async (server) => {
      const client = await RawClient.connect(server.port);
      await client.reply();
      await client.ehlo();
      expect(await client.command('MAIL FROM:<a@example.test>')).toMatch(/^250 /);
      expect(await client.command('RCPT TO:<b@example.test>')).toMatch(/^250 /);
      expect(await client.command('DATA')).toMatch(/^354 /);
      client.socket.end('half a message\r\n');
      await server.idle();
      expect(server.messages).toEqual([]);
    });
  });

  it('holds the greeting back by bannerDelayMs', async () => {
    await withServer({ bannerDelayMs: 300 }, async (server) => {
      const started = Date.now();
      const client = await RawClient.connect(server.port);
      expect((await client.reply())[0]).toMatch(/^220 /);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    });
  });

  it('falls back to the defaults for options given as undefined', async () => {
    await withServer({ host: undefined, tls: undefined, auth: undefined, sizeLimit: undefined }, async (server) => {
      expect(server.url).toBe(`smtp://127.0.0.1:${server.port}`);
      const client = await RawClient.connect(server.port);
      await client.reply();
      const features = await client.ehlo();
      expect(features).toContain('PIPELINING');
      expect(features.filter((f) => /^(STARTTLS|AUTH|SIZE)/.test(f))).toEqual([]);
    });
  });

  it('resolves idle() once every client has disconnected', async () => {
    await withServer({}, async (server) => {
      await server.idle();
      const client = await RawClient.connect(server.port);
      await client.reply();
      expect(server.connections()).toBe(1);
      let idle = false;
      const waiting = server.idle().then(() => (idle = true));
      expect(await client.command('QUIT')).toMatch(/^221 /);
      await waiting;
      expect(idle).toBe(true);
      expect(server.connections()).toBe(0);
    });
  });

  it('closes promptly while a raw client is still connected and leaves nothing listening', async () => {
    const server = await startSmtpServer();
    try {
      const client = await RawClient.connect(server.port);
      await client.reply();
      const started = Date.now();
      await server.close();
      expect(Date.now() - started).toBeLessThan(1000);
      await client.closed;
      expect(server.connections()).toBe(0);
      await server.close(); // idempotent
      const error = await new Promise<NodeJS.ErrnoException>((resolve) => net.connect(server.port, '127.0.0.1').once('error', resolve));
      expect(error.code).toBe('ECONNREFUSED');
    } finally {
      await server.close();
    }
  });
});
