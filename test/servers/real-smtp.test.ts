import { existsSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import net from 'node:net';
import { resolve } from 'node:path';
import tls from 'node:tls';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { withPrivateTmp } from '../helpers/private-tmp.js';
import type { LaunchedServer, ProcessLauncher } from '../../servers/real/common.js';
import { createEximLauncher, eximLauncher } from '../../servers/real/exim.js';
import { createPostfixLauncher, postfixLauncher, waitForMessages } from '../../servers/real/postfix.js';
import { ServerNotInstalled, type RealServerOptions } from '../../servers/real/types.js';

/** A raw SMTP client: whole replies (multi-line joined), bounded waits, how the connection ended. */
class RawSmtp {
  private buffer = '';
  private lines: string[] = [];
  private readonly replies: string[][] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket | tls.TLSSocket) {
    this.closed = new Promise((done) => socket.once('close', () => done()));
    this.listen(socket);
  }

  /** Connects to 127.0.0.1:port from `localAddress` (127.0.0.1 unless told: other loopback addresses are other clients). */
  static async connect(port: number, localAddress = '127.0.0.1'): Promise<RawSmtp> {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    await new Promise<void>((done, fail) => socket.once('connect', done).once('error', fail));
    return new RawSmtp(socket);
  }

  private listen(socket: net.Socket | tls.TLSSocket): void {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
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
      this.wake?.();
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.ended = true;
      this.wake?.();
    });
  }

  /** The next whole reply's lines; rejects when the connection ends first or after `timeoutMs`. */
  async reply(timeoutMs = 10_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies.length === 0) {
      if (this.ended) throw new Error(`connection closed while waiting for a reply (pending ${JSON.stringify(this.buffer)})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms`);
      await new Promise<void>((done) => {
        const timer = setTimeout(done, left);
        this.wake = () => {
          clearTimeout(timer);
          done();
        };
      });
    }
    return this.replies.shift() as string[];
  }

  /** Whether nothing at all arrives (and the connection stays open) for `ms`: a bounded observation of silence. */
  async silentFor(ms: number): Promise<boolean> {
    await Promise.race([new Promise((done) => setTimeout(done, ms)), this.closed]);
    return this.replies.length === 0 && this.lines.length === 0 && this.buffer === '' && !this.ended;
  }

  /** Sends `line` (CRLF added) and returns the reply's first line. */
  async command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return (await this.reply())[0] ?? '';
  }

  /** EHLO; the keywords of the reply (its lines without `250-`/`250 `). */
  async ehlo(): Promise<string[]> {
    this.socket.write('EHLO client.test\r\n');
    return (await this.reply()).map((line) => line.slice(4));
  }

  /** STARTTLS then the TLS handshake (any certificate); resolves with the server's certificate. */
  async startTls(): Promise<tls.PeerCertificate> {
    expect(await this.command('STARTTLS')).toMatch(/^220 /);
    const secure = tls.connect({ socket: this.socket as net.Socket, servername: 'localhost', rejectUnauthorized: false });
    await new Promise<void>((done, fail) => secure.once('secureConnect', done).once('error', fail));
    this.socket.removeAllListeners('data');
    (this as { socket: net.Socket | tls.TLSSocket }).socket = secure;
    this.listen(secure);
    return secure.getPeerCertificate();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** What differs between the MTAs: replies measured on Debian 12 (Postfix 3.7.11, Exim 4.96). */
interface Mta {
  readonly name: string;
  readonly launcher: ProcessLauncher;
  readonly missing: ProcessLauncher;
  /** The first line of a stored message (the MTA's own trace header). */
  readonly storedFirst: RegExp;
  /** Whether a message is stored once the 250 is sent (Exim, queue_only) or a moment later (Postfix). */
  readonly storedBefore250: boolean;
  readonly sizeAtMail: RegExp;
  readonly sizeAfterData: RegExp;
  readonly perAddress: RegExp;
  /** 'waits': no greeting until a session ends (Postfix's process limit); else the reply instead of 220. */
  readonly overSessions: 'waits' | RegExp;
  readonly idle: RegExp;
  readonly tlsReceived: RegExp;
}

const MTAS: readonly Mta[] = [
  {
    name: 'postfix',
    launcher: postfixLauncher,
    missing: createPostfixLauncher({ binary: 'wireprobe-no-such-postfix' }),
    storedFirst: /^Return-Path: <sender@client\.test>$/,
    storedBefore250: false,
    sizeAtMail: /^552 5\.3\.4 Message size exceeds fixed limit$/,
    sizeAfterData: /^552 5\.3\.4 Error: message file too big$/,
    perAddress: /^421 4\.7\.0 mx\.example\.test Error: too many connections from 127\.0\.0\.2$/,
    overSessions: 'waits',
    idle: /^421 4\.4\.2 mx\.example\.test Error: timeout exceeded$/,
    tlsReceived: /with ESMTPS id/,
  },
  {
    name: 'exim',
    launcher: eximLauncher,
    missing: createEximLauncher({ binary: 'wireprobe-no-such-exim4' }),
    storedFirst: /^Received: from \[127\.0\.0\.1\] \(helo=client\.test\)$/,
    storedBefore250: true,
    sizeAtMail: /^552 Message size exceeds maximum permitted$/,
    sizeAfterData: /^552 Message size exceeds maximum permitted$/,
    perAddress: /^421 Too many concurrent SMTP connections from this IP address; please try again later\.$/,
    overSessions: /^421 Too many concurrent SMTP connections; please try again later\.$/,
    idle: /^421 mx\.example\.test: SMTP command timeout - closing connection$/,
    tlsReceived: /with esmtps\s+\(TLS1\.[23]\)/,
  },
];

/** Live processes (not zombies) whose command line, working directory or environment mention `text`. */
async function processesMentioning(text: string): Promise<Array<{ pid: number; cwd: string }>> {
  const found: Array<{ pid: number; cwd: string }> = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'latin1').catch(() => '');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    if (!stat || state === 'Z' || state === 'X') continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'latin1').catch(() => '');
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => '');
    const environ = await readFile(`/proc/${entry}/environ`, 'latin1').catch(() => '');
    if (cmdline.includes(text) || cwd.includes(text) || environ.includes(text)) found.push({ pid: Number(entry), cwd });
  }
  return found;
}

/** Whether 127.0.0.1:port can be listened on. */
function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = net.createServer();
    probe.once('error', () => done(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => done(true)));
  });
}

/** The launcher's private directory: storage is DIR/mail/inbox (Postfix) or DIR/spool/input (Exim). */
const dirOf = (server: LaunchedServer): string => resolve(server.storage, '..', '..');

/** Starts `mta` with `options`, runs `body`, always closes; then checks nothing is left: process, port, directory. */
async function withMta(mta: Mta, options: RealServerOptions, body: (server: LaunchedServer) => Promise<void>): Promise<void> {
  const server = await mta.launcher.start(options);
  const dir = dirOf(server);
  try {
    expect(await server.processes()).not.toEqual([]);
    await body(server);
  } finally {
    await server.close();
  }
  expect(await processesMentioning(dir)).toEqual([]);
  expect(await portFree(server.port)).toBe(true);
  expect(existsSync(dir)).toBe(false);
}

/** Opens a session up to the 354 after DATA. */
async function openData(client: RawSmtp): Promise<void> {
  expect(await client.command('MAIL FROM:<sender@client.test>')).toMatch(/^250 /);
  expect(await client.command('RCPT TO:<sink@wireprobe.test>')).toMatch(/^250 /);
  expect(await client.command('DATA')).toMatch(/^354 /);
}

const lf = (text: string): string => text.replace(/\r\n/g, '\n');

describe.each(MTAS)('the $name launcher', (mta) => {
  it('greets with 220 and stores an accepted message as sent, CRLF turned to LF and dots unstuffed, after its own trace headers', async () => {
    await withMta(mta, {}, async (server) => {
      expect(server.url).toBe(`smtp://127.0.0.1:${server.port}`);
      const client = await RawSmtp.connect(server.port);
      expect((await client.reply())[0]).toMatch(/^220 mx\.example\.test ESMTP /);
      expect(await client.ehlo()).not.toContain('STARTTLS');
      await openData(client);
      const message = 'From: <sender@client.test>\r\nTo: <sink@wireprobe.test>\r\nSubject: real\r\n\r\nline one\r\n.line with a dot\r\n\r\nlast\r\n';
      expect(await client.command(`${message.replace(/^\./gm, '..')}.`)).toMatch(/^250 /);
      if (mta.storedBefore250) expect(await server.messages?.()).toHaveLength(1);
      expect(await client.command('QUIT')).toMatch(/^221 /);

      const [stored, ...more] = await waitForMessages(server, 1, 10_000);
      expect(more).toEqual([]);
      const text = (stored as Buffer).toString('latin1');
      expect(text.split('\n')[0]).toMatch(mta.storedFirst);
      expect(text).not.toContain('\r');
      expect(text.endsWith(lf(message))).toBe(true);
      expect((await readdir(server.storage, { recursive: true })).length).toBeGreaterThan(0);
    });
  });

  it('advertises SIZE and answers 552 to SIZE= over the limit at MAIL and to a body over it after the dot', async () => {
    await withMta(mta, { messageSizeLimit: 2000 }, async (server) => {
      const client = await RawSmtp.connect(server.port);
      await client.reply();
      expect(await client.ehlo()).toContain('SIZE 2000');
      expect(await client.command('MAIL FROM:<sender@client.test> SIZE=2001')).toMatch(mta.sizeAtMail);
      // Postfix keeps the refused SIZE until RSET: a plain MAIL right after would get the 552 again.
      expect(await client.command('RSET')).toMatch(/^250 /);
      await openData(client);
      expect(await client.command(`${`${'x'.repeat(78)}\r\n`.repeat(40)}.`)).toMatch(mta.sizeAfterData);
      await openData(client);
      expect(await client.command('small\r\n.')).toMatch(/^250 /);
      expect(await waitForMessages(server, 1)).toHaveLength(1);
      expect(await server.messages?.()).toHaveLength(1);
    });
  });

  it('answers a third connection from 127.0.0.2 with 421 at maxPerAddress 2, while 127.0.0.3 still gets 220', async () => {
    await withMta(mta, { maxPerAddress: 2 }, async (server) => {
      const clients: RawSmtp[] = [];
      try {
        for (let i = 0; i < 2; i++) {
          clients.push(await RawSmtp.connect(server.port, '127.0.0.2'));
          expect((await (clients.at(-1) as RawSmtp).reply())[0]).toMatch(/^220 /);
        }
        const third = await RawSmtp.connect(server.port, '127.0.0.2');
        clients.push(third);
        expect((await third.reply())[0]).toMatch(mta.perAddress);
        await third.closed;
        const other = await RawSmtp.connect(server.port, '127.0.0.3');
        clients.push(other);
        expect((await other.reply())[0]).toMatch(/^220 /);
      } finally {
        for (const client of clients) client.destroy();
      }
    });
  });

  it(
    mta.overSessions === 'waits'
      ? 'leaves a client over maxSessions without a greeting, in the listen backlog, until a session ends'
      : 'answers a client over maxSessions with 421 instead of the greeting',
    async () => {
      await withMta(mta, { maxSessions: 2 }, async (server) => {
        const clients: RawSmtp[] = [];
        try {
          for (const address of ['127.0.0.2', '127.0.0.3']) {
            clients.push(await RawSmtp.connect(server.port, address));
            expect((await (clients.at(-1) as RawSmtp).reply())[0]).toMatch(/^220 /);
          }
          const over = await RawSmtp.connect(server.port, '127.0.0.4'); // TCP accepts: the kernel's backlog
          clients.push(over);
          if (mta.overSessions === 'waits') {
            expect(await over.silentFor(1_000)).toBe(true);
            expect(await (clients[0] as RawSmtp).command('QUIT')).toMatch(/^221 /);
            expect((await over.reply())[0]).toMatch(/^220 /);
          } else {
            expect((await over.reply())[0]).toMatch(mta.overSessions);
            await over.closed;
          }
        } finally {
          for (const client of clients) client.destroy();
        }
      });
    },
  );

  it('closes a session idle for idleTimeoutMs with 421', async () => {
    await withMta(mta, { idleTimeoutMs: 1000 }, async (server) => {
      const client = await RawSmtp.connect(server.port);
      await client.reply();
      expect(await client.ehlo()).not.toEqual([]);
      const idleSince = Date.now();
      expect((await client.reply(10_000))[0]).toMatch(mta.idle);
      expect(Date.now() - idleSince).toBeGreaterThanOrEqual(900);
      await client.closed;
    });
  });

  it('offers STARTTLS with a localhost certificate when tls is on and stores what nodemailer sends over it', async () => {
    await withMta(mta, { tls: true }, async (server) => {
      const client = await RawSmtp.connect(server.port);
      await client.reply();
      expect(await client.ehlo()).toContain('STARTTLS');
      const certificate = await client.startTls();
      expect(certificate.subject.CN).toBe('localhost');
      expect(await client.ehlo()).not.toContain('STARTTLS');
      expect(await client.command('QUIT')).toMatch(/^221 /);
      client.destroy();

      const transport = nodemailer.createTransport({
        host: '127.0.0.1',
        port: server.port,
        secure: false,
        requireTLS: true,
        tls: { rejectUnauthorized: false },
      });
      try {
        const raw = Buffer.from('Subject: over tls\r\n\r\nsecret body\r\n', 'latin1');
        const info = await transport.sendMail({ envelope: { from: 'sender@client.test', to: ['sink@wireprobe.test'] }, raw });
        expect(info.response).toMatch(/^250 /);
      } finally {
        transport.close();
      }
      const [stored] = await waitForMessages(server, 1);
      expect((stored as Buffer).toString('latin1')).toMatch(mta.tlsReceived);
      expect((stored as Buffer).toString('latin1').endsWith('Subject: over tls\n\nsecret body\n')).toBe(true);
    });
  });

  it('says which options it cannot express and refuses to start with them', async () => {
    expect(mta.launcher.unsupported({ idleTimeoutMs: 1500 })).toMatch(/whole seconds/);
    expect(mta.launcher.unsupported({ idleTimeoutMs: 500 })).toMatch(/whole seconds/);
    expect(mta.launcher.unsupported({ pasvRange: [30000, 30010] })).toMatch(/FTP/);
    expect(mta.launcher.unsupported({ maxSessions: 2, maxPerAddress: 1, idleTimeoutMs: 3000, messageSizeLimit: 10, tls: true })).toBeUndefined();
    await expect(mta.launcher.start({ idleTimeoutMs: 1500 })).rejects.toThrow(RangeError);
  });

  it('rejects with ServerNotInstalled when its binary is missing', async () => {
    expect(await mta.missing.installed()).toBe(false);
    const failure = mta.missing.start({}).then(
      () => undefined,
      (error: unknown) => error,
    );
    const error = await failure;
    expect(error).toBeInstanceOf(ServerNotInstalled);
    expect((error as ServerNotInstalled).server).toBe(mta.name);
    expect((error as Error).message).toMatch(new RegExp(`^${mta.name} not found: `));
  });

  it('rejects when its port is taken and leaves no process or directory behind', async () => {
    const holder = net.createServer();
    await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done));
    const { port } = holder.address() as net.AddressInfo;
    try {
      // Its private directory goes in a temporary directory of this test's own (other tests start the same MTA meanwhile).
      const { left } = await withPrivateTmp(async (tmp) => {
        await expect(mta.launcher.start({ port })).rejects.toThrow();
        expect(await processesMentioning(tmp)).toEqual([]);
      });
      expect(left).toEqual([]);
    } finally {
      holder.close();
    }
  });
});

describe('the postfix launcher', () => {
  it('starts the cleanup and trivial-rewrite daemons before it returns, so the first client does not wait for them', async () => {
    await withMta(MTAS[0]!, {}, async (server) => {
      const names = await Promise.all((await server.processes()).map((pid) => readFile(`/proc/${pid}/comm`, 'latin1').catch(() => '')));
      expect(names.map((name) => name.trim())).toEqual(expect.arrayContaining(['smtpd', 'cleanup', 'trivial-rewrite']));
    });
  });
});
