import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Client, FTPError } from 'basic-ftp';
import { describe, expect, it } from 'vitest';
import { startFtpServer, type FtpServerHandle, type FtpServerOptions } from '../../servers/ftp.js';

/** A raw FTP control connection: write lines, await whole replies (multi-line joined with \n), await the close. */
class RawFtp {
  private buffer = '';
  private readonly replies: string[] = [];
  private pending: string[] = [];
  private waiter: (() => void) | undefined;
  readonly closed: Promise<void>;

  constructor(readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.setNoDelay(true);
    socket.on('data', (chunk: string) => this.feed(chunk));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async connect(port: number, localAddress?: string): Promise<RawFtp> {
    const socket = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawFtp(socket);
  }

  /** Connects, reads the greeting and logs in (anonymous by default). */
  static async login(port: number, user = 'anonymous', password = 'guest'): Promise<RawFtp> {
    const client = await RawFtp.connect(port);
    expect(await client.reply()).toMatch(/^220 /m);
    const reply = await client.command(`USER ${user}`);
    if (reply.startsWith('331')) expect(await client.command(`PASS ${password}`)).toMatch(/^230 /);
    else expect(reply).toMatch(/^230 /);
    return client;
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\r\n')) >= 0) {
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.pending.push(line);
      // RFC 959 §4.2: a multi-line reply starts with "ddd-" and ends with a line starting "ddd ".
      const first = this.pending[0] ?? '';
      const done = /^\d{3}-/.test(first) ? this.pending.length > 1 && line.startsWith(`${first.slice(0, 3)} `) : true;
      if (done) {
        this.replies.push(this.pending.join('\n'));
        this.pending = [];
      }
    }
    this.waiter?.();
  }

  /** The next whole reply. */
  async reply(): Promise<string> {
    while (this.replies.length === 0) {
      if (this.socket.destroyed) throw new Error('connection closed while waiting for a reply');
      await Promise.race([new Promise<void>((resolve) => (this.waiter = resolve)), this.closed]);
    }
    return this.replies.shift() as string;
  }

  /** Sends `line` (CRLF added) and returns the reply. */
  async command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** Sends EPSV and connects to the advertised port on 127.0.0.1. */
  async passiveData(): Promise<net.Socket> {
    const reply = await this.command('EPSV');
    const port = Number(/\(\|\|\|(\d+)\|\)/.exec(reply)?.[1]);
    const data = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => data.once('connect', resolve).once('error', reject));
    return data;
  }
}

/** Starts a server, runs `body` with it, and always closes it. */
async function withServer(options: FtpServerOptions, body: (server: FtpServerHandle) => Promise<void>): Promise<void> {
  const server = await startFtpServer(options);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

/** A basic-ftp client logged in to `server`, closed after `body`. */
async function withClient(server: FtpServerHandle, login: { user: string; password: string }, body: (client: Client) => Promise<void>): Promise<void> {
  const client = new Client(10_000);
  try {
    await client.access({ host: server.host, port: server.port, ...login, secure: false });
    await body(client);
  } finally {
    client.close();
  }
}

/** A Writable collecting what a download delivers. */
function collector(): { stream: Writable; data: () => Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { stream, data: () => Buffer.concat(chunks) };
}

/** A port the OS just handed out (and took back). */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const ALICE = { user: 'alice', password: 's3cret' };

describe('startFtpServer', () => {
  it('records the size and SHA-256 of a 1 MiB upload from basic-ftp before answering 226', async () => {
    const seen: unknown[] = [];
    await withServer({ users: { alice: 's3cret' }, onStored: (file) => seen.push(file) }, async (server) => {
      const payload = randomBytes(1 << 20);
      await withClient(server, ALICE, async (client) => {
        const response = await client.uploadFrom(Readable.from(payload), 'a.bin');
        expect(response.code).toBe(226);
        expect(server.files).toHaveLength(1); // recorded before the 226 was sent
      });
      const expected = { path: '/a.bin', bytes: payload.length, sha256: sha256(payload), received: payload.length, complete: true };
      expect(server.files).toEqual([expected]);
      expect(seen).toEqual([expected]);
      expect(server.read('a.bin')?.equals(payload)).toBe(true);
      await server.idle();
      expect(server.connections()).toBe(0);
    });
  });

  it('serves a preloaded file to basic-ftp and lists, sizes and changes into its directory', async () => {
    const content = randomBytes(300_000);
    await withServer({ users: { alice: 's3cret' }, files: { 'pub/data.bin': content } }, async (server) => {
      await withClient(server, ALICE, async (client) => {
        const listing = await client.list('/pub');
        expect(listing.map((f) => [f.name, f.size, f.isFile])).toEqual([['data.bin', content.length, true]]);
        expect((await client.list()).map((f) => [f.name, f.isDirectory])).toEqual([['pub', true]]);
        await client.cd('pub');
        expect(await client.pwd()).toBe('/pub');
        expect(await client.size('data.bin')).toBe(content.length);
        const sink = collector();
        expect((await client.downloadTo(sink.stream, 'data.bin')).code).toBe(226);
        expect(sink.data().equals(content)).toBe(true);
        await expect(client.size('missing.bin')).rejects.toMatchObject({ code: 550 });
      });
      expect(server.files).toEqual([]); // downloads are not uploads
    });
  });

  it('creates directories, renames, appends and deletes with basic-ftp', async () => {
    await withServer({ users: { alice: 's3cret' } }, async (server) => {
      await withClient(server, ALICE, async (client) => {
        await client.ensureDir('/x/y'); // MKD + CWD
        await client.uploadFrom(Readable.from(Buffer.from('hello ')), 'f.txt');
        await client.appendFrom(Readable.from(Buffer.from('world')), 'f.txt');
        await client.rename('f.txt', '/x/g.txt');
        expect(server.read('/x/y/f.txt')).toBeUndefined();
        expect(server.read('/x/g.txt')?.toString()).toBe('hello world');
        await client.remove('/x/g.txt');
        expect(await client.list('/x')).toMatchObject([{ name: 'y', isDirectory: true }]);
      });
      expect(server.files.map((f) => [f.path, f.bytes, f.received, f.complete])).toEqual([
        ['/x/y/f.txt', 6, 6, true],
        ['/x/y/f.txt', 11, 5, true],
      ]);
      expect(server.files[1]?.sha256).toBe(sha256(Buffer.from('hello world')));
    });
  });

  it('lets anonymous in without a password, and refuses its uploads with 550 when anonymous is read', async () => {
    await withServer({ anonymous: 'read', files: { 'r.txt': Buffer.from('readable') } }, async (server) => {
      const raw = await RawFtp.connect(server.port);
      await raw.reply();
      expect(await raw.command('USER anonymous')).toMatch(/^230 /); // no PASS asked
      raw.socket.destroy();
      await withClient(server, { user: 'anonymous', password: 'guest@example.test' }, async (client) => {
        const sink = collector();
        await client.downloadTo(sink.stream, 'r.txt');
        expect(sink.data().toString()).toBe('readable');
        await expect(client.uploadFrom(Readable.from(Buffer.from('no')), 'w.txt')).rejects.toMatchObject({ code: 550 });
        await expect(client.remove('r.txt')).rejects.toMatchObject({ code: 550 });
      });
      expect(server.files).toEqual([]);
    });
  });

  it('rejects a wrong password from basic-ftp with 530', async () => {
    await withServer({ users: { alice: 's3cret' } }, async (server) => {
      const client = new Client(10_000);
      try {
        const error = await client.access({ host: server.host, port: server.port, user: 'alice', password: 'nope', secure: false }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(FTPError);
        expect((error as FTPError).code).toBe(530);
      } finally {
        client.close();
      }
    });
  });

  it('answers 530 to anonymous when anonymous is off and accepts a retried login on the same connection', async () => {
    await withServer({ anonymous: 'off', users: { alice: 's3cret' } }, async (server) => {
      const raw = await RawFtp.connect(server.port);
      await raw.reply();
      expect(await raw.command('USER anonymous')).toMatch(/^331 /);
      expect(await raw.command('PASS guest')).toMatch(/^530 /);
      expect(await raw.command('USER alice')).toMatch(/^331 /);
      expect(await raw.command('PASS wrong')).toMatch(/^530 /);
      expect(await raw.command('USER alice')).toMatch(/^331 /);
      expect(await raw.command('PASS s3cret')).toMatch(/^230 /);
      expect(await raw.command('PWD')).toMatch(/^257 "\/"/);
    });
  });

  it('advertises pasvAddress in 227 and ports from pasvRange in 227 and 229, listening on the host', async () => {
    const first = await freePort();
    const range = [first, Math.min(first + 3, 65535)] as const;
    // 127.0.0.2 is loopback where nothing listens: the "wrong address" a proxy must rewrite.
    await withServer({ pasvRange: range, pasvAddress: '127.0.0.2' }, async (server) => {
      const raw = await RawFtp.login(server.port);
      const epsv = await raw.command('EPSV');
      expect(epsv).toMatch(/^229 .*\(\|\|\|\d+\|\)/);
      const epsvPort = Number(/\|\|\|(\d+)\|/.exec(epsv)?.[1]);
      expect(epsvPort).toBeGreaterThanOrEqual(range[0]);
      expect(epsvPort).toBeLessThanOrEqual(range[1]);
      const data = net.connect(epsvPort, '127.0.0.1'); // the listener is on the host, not the advertised address
      await new Promise<void>((resolve, reject) => data.once('connect', resolve).once('error', reject));
      data.destroy();

      const pasv = await raw.command('PASV');
      const match = /^227 .*\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(pasv);
      expect(match?.slice(1, 5).join('.')).toBe('127.0.0.2');
      const pasvPort = Number(match?.[5]) * 256 + Number(match?.[6]);
      expect(pasvPort).toBeGreaterThanOrEqual(range[0]);
      expect(pasvPort).toBeLessThanOrEqual(range[1]);
    });
  });

  it('survives a client that resets a passive data connection outside any transfer', async () => {
    await withServer({}, async (server) => {
      const raw = await RawFtp.login(server.port);
      const data = await raw.passiveData();
      data.on('error', () => undefined);
      const closed = new Promise((resolve) => data.once('close', resolve));
      data.resetAndDestroy();
      await closed;
      expect(await raw.command('NOOP')).toMatch(/^200 /);
      const again = await raw.passiveData();
      expect(await raw.command('LIST')).toMatch(/^150 /);
      expect(await raw.reply()).toMatch(/^226 /);
      again.destroy();
    });
  });

  it('advertises the host in 227 by default, even to a loopback client', async () => {
    await withServer({}, async (server) => {
      const raw = await RawFtp.login(server.port);
      expect(await raw.command('PASV')).toMatch(/^227 .*\(127,0,0,1,\d+,\d+\)/);
    });
  });

  it('answers PORT and EPRT with 502 when active mode is off', async () => {
    await withServer({ active: 'off' }, async (server) => {
      const raw = await RawFtp.login(server.port);
      expect(await raw.command('PORT 127,0,0,1,200,10')).toMatch(/^502 /);
      expect(await raw.command('EPRT |1|127.0.0.1|51210|')).toMatch(/^502 /);
      expect(await raw.command('NOOP')).toMatch(/^200 /);
    });
  });

  it('connects back to the client after PORT for RETR when active mode is on', async () => {
    const content = randomBytes(200_000);
    await withServer({ files: { 'a.bin': content } }, async (server) => {
      const listener = net.createServer().listen(0, '127.0.0.1');
      try {
        await new Promise((resolve) => listener.once('listening', resolve));
        const { port } = listener.address() as net.AddressInfo;
        const received = new Promise<Buffer>((resolve) =>
          listener.once('connection', (socket: net.Socket) => {
            const chunks: Buffer[] = [];
            socket.on('data', (chunk: Buffer) => chunks.push(chunk)).once('end', () => resolve(Buffer.concat(chunks)));
          }),
        );
        const raw = await RawFtp.login(server.port);
        expect(await raw.command(`PORT 127,0,0,1,${port >> 8},${port & 255}`)).toMatch(/^200 /);
        expect(await raw.command('RETR a.bin')).toMatch(/^150 /);
        expect(await raw.reply()).toMatch(/^226 /);
        expect((await received).equals(content)).toBe(true);
        expect(await raw.command('PORT 127,0,0,2,200,10')).toMatch(/^500 /); // not the client's address
      } finally {
        listener.close();
      }
    });
  });

  it('turns the connection past maxSessions away with 421 and closes it', async () => {
    await withServer({ maxSessions: 2 }, async (server) => {
      const first = await RawFtp.connect(server.port);
      const second = await RawFtp.connect(server.port);
      expect(await first.reply()).toMatch(/^220 /m);
      expect(await second.reply()).toMatch(/^220 /m);
      const third = await RawFtp.connect(server.port);
      expect(await third.reply()).toMatch(/^421 Too many users/);
      await third.closed;
      expect(await first.command('NOOP')).toMatch(/^200 /);
      expect(await second.command('NOOP')).toMatch(/^200 /);
      second.socket.destroy();
      await second.closed;
      // A freed slot is usable once the server has seen the close, which the client cannot observe:
      // connect until greeted (each refused attempt is answered and closed at once).
      let reply: string;
      do {
        const next = await RawFtp.connect(server.port);
        reply = await next.reply();
      } while (!reply.startsWith('220'));
    });
  });

  it('turns a second session from one address away with 421 under maxPerAddress 1, and lets another address in', async () => {
    await withServer({ maxPerAddress: 1 }, async (server) => {
      const first = await RawFtp.connect(server.port, '127.0.0.2');
      expect(await first.reply()).toMatch(/^220 /m);
      const again = await RawFtp.connect(server.port, '127.0.0.2');
      expect(await again.reply()).toMatch(/^421 Too many connections from your address/);
      await again.closed;
      const other = await RawFtp.connect(server.port, '127.0.0.3');
      expect(await other.reply()).toMatch(/^220 /m);
      expect(await first.command('NOOP')).toMatch(/^200 /);
      // A session that ended frees its place: once the server holds none, one more from 127.0.0.2 gets in.
      for (const client of [first, other]) client.socket.end();
      await Promise.all([first.closed, other.closed, server.idle()]);
      const later = await RawFtp.connect(server.port, '127.0.0.2');
      expect(await later.reply()).toMatch(/^220 /m);
      const beside = await RawFtp.connect(server.port, '127.0.0.2');
      expect(await beside.reply()).toMatch(/^421 Too many connections from your address/);
    });
  });

  it('closes a control connection idle for idleTimeoutMs with 421', async () => {
    await withServer({ idleTimeoutMs: 300 }, async (server) => {
      const started = Date.now();
      const raw = await RawFtp.connect(server.port);
      expect(await raw.reply()).toMatch(/^220 /m);
      expect(await raw.reply()).toMatch(/^421 Idle timeout/);
      await raw.closed;
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    });
  });

  it('does not count an upload in progress as idle time', async () => {
    await withServer({ idleTimeoutMs: 200 }, async (server) => {
      const raw = await RawFtp.login(server.port);
      const data = await raw.passiveData();
      expect(await raw.command('STOR slow.bin')).toMatch(/^150 /);
      data.write(Buffer.alloc(1000, 1));
      // The quiet control connection is what is under test: stay silent for well over the timeout.
      await new Promise((resolve) => setTimeout(resolve, 600));
      data.end(Buffer.alloc(1000, 2));
      expect(await raw.reply()).toMatch(/^226 /);
      expect(server.files).toMatchObject([{ path: '/slow.bin', bytes: 2000, complete: true }]);
      expect(await raw.reply()).toMatch(/^421 Idle timeout/); // idle again after the transfer
    });
  });

  it('reassembles a command split across TCP writes and answers pipelined commands in order', async () => {
    // Raw ftp-srv 4.6.3 answers this with "502 Command not allowed: US" and "502 ...: ER".
    await withServer({}, async (server) => {
      const raw = await RawFtp.connect(server.port);
      await raw.reply();
      raw.socket.write('NOOP\r\nUS');
      expect(await raw.reply()).toMatch(/^200 /); // the server has read the chunk ending in "US"
      expect(await raw.command('ER anonymous')).toMatch(/^230 /);
      raw.socket.write('NOOP\r\nPWD\r\nTYPE I\r\n');
      expect([await raw.reply(), await raw.reply(), await raw.reply()].map((r) => r.slice(0, 3))).toEqual(['200', '257', '200']);
    });
  });

  it('reads commands behind Telnet IAC sequences (RFC 959 §4.1.3, RFC 854), an IAC IAC being a literal 0xFF', async () => {
    // Raw ftp-srv 4.6.3 answers "\xff\xf4\xff\xf2ABOR" with "502 Command not allowed: ...ABOR".
    const table: ReadonlyArray<readonly [string, RegExp]> = [
      ['\xff\xf4\xff\xf2ABOR', /^225 /], // IAC IP, IAC DM (Synch), ABOR: no transfer to abort
      ['\xff\xf4\xf2ABOR', /^225 /], // Net::FTP's IAC IP IAC with the last IAC lost as urgent data
      ['\xff\xf4\xffABOR', /^225 /], // IAC IP IAC DM with the DM lost as urgent data
      ['\xff\xfb\x01\xff\xf1NOOP', /^200 /], // IAC WILL ECHO, IAC NOP
      ['\xff\xfa\x18\x01\xff\xf0TYPE I', /^200 /], // a subnegotiation, IAC SB ... IAC SE
      // IAC IAC is the octet 0xFF, part of the verb; not UTF-8, so ftp-srv echoes U+FFFD (read here as latin1).
      ['\xff\xffNOOP', /^502 Command not allowed: \xef\xbf\xbdNOOP$/],
    ];
    await withServer({}, async (server) => {
      const raw = await RawFtp.login(server.port);
      const replies: string[] = [];
      for (const [line] of table) {
        raw.socket.write(Buffer.from(`${line}\r\n`, 'latin1'));
        replies.push(await raw.reply());
      }
      table.forEach(([line, want], i) => {
        expect({ line, reply: replies[i] }).toEqual({ line, reply: expect.stringMatching(want) });
      });
    });
  });

  it.each(['STOR', 'APPE'])('answers 426 and records an incomplete upload when the data connection is reset during %s', async (verb) => {
    // No octets before the RST: right after data, this loopback stack can deliver an RST as a FIN,
    // which is a clean end of file in stream mode (and would rightly be answered 226).
    await withServer({}, async (server) => {
      const raw = await RawFtp.login(server.port);
      const data = await raw.passiveData();
      data.on('error', () => undefined);
      expect(await raw.command(`${verb} cut.bin`)).toMatch(/^150 /);
      data.resetAndDestroy();
      // RFC 959 §4.2: 426 Connection closed; transfer aborted (ftp-srv alone says `550 read ECONNRESET`).
      expect(await raw.reply()).toBe('426 Connection closed; transfer aborted.');
      expect(server.files).toEqual([{ path: '/cut.bin', bytes: 0, sha256: sha256(Buffer.alloc(0)), received: 0, complete: false }]);
      expect(await raw.command('NOOP')).toMatch(/^200 /); // the session survives
    });
  });

  it('records an upload as incomplete, keeping what arrived, when the control connection drops mid-transfer', async () => {
    await withServer({}, async (server) => {
      const raw = await RawFtp.login(server.port);
      const data = await raw.passiveData();
      data.on('error', () => undefined);
      expect(await raw.command('STOR half.bin')).toMatch(/^150 /);
      const sent = randomBytes(50_000);
      await new Promise<void>((resolve) => data.write(sent, () => resolve()));
      raw.socket.destroy();
      await server.idle();
      expect(server.files).toHaveLength(1);
      const [file] = server.files;
      expect(file).toMatchObject({ path: '/half.bin', complete: false });
      expect(file?.received).toBeLessThanOrEqual(sent.length);
      expect(file?.bytes).toBe(file?.received);
      expect(file?.sha256).toBe(sha256(sent.subarray(0, file?.received)));
      expect(server.read('half.bin')?.equals(sent.subarray(0, file?.received))).toBe(true);
    });
  });

  it('shows an upload in progress in SIZE as it grows, and a resumed STOR is not overwritten when the first one ends', async () => {
    await withServer({}, async (server) => {
      const first = await RawFtp.login(server.port);
      const firstData = await first.passiveData();
      expect(await first.command('STOR grow.bin')).toMatch(/^150 /);
      const head = randomBytes(1000);
      firstData.write(head);
      const second = await RawFtp.login(server.port);
      expect(await second.command('TYPE I')).toMatch(/^200 /);
      // As on a disk: the partial file is visible at once (polled over the control connection, no timer).
      let size = '';
      while (size !== '213 1000') size = await second.command('SIZE grow.bin');
      const secondData = await second.passiveData();
      expect(await second.command('REST 400')).toMatch(/^350 /);
      expect(await second.command('STOR grow.bin')).toMatch(/^150 /);
      const tail = randomBytes(600);
      secondData.end(tail);
      expect(await second.reply()).toMatch(/^226 /);
      firstData.end(randomBytes(500)); // the first upload ends late, into the file it no longer owns
      expect(await first.reply()).toMatch(/^226 /);
      expect(server.read('grow.bin')?.equals(Buffer.concat([head.subarray(0, 400), tail]))).toBe(true);
      expect(server.files.map((f) => [f.bytes, f.complete])).toEqual([
        [1000, true],
        [1500, true],
      ]);
    });
  });
  // 32 MiB: far more than loopback socket buffers hold, so the server is still sending at the cut.
  it.each([
    ['reset (RST)', (data: net.Socket) => data.resetAndDestroy()],
    ['closed (FIN)', (data: net.Socket) => data.end()],
  ] as const)('answers 426, not 226, when the data connection is %s during RETR', async (_how, cut) => {
    await withServer({ files: { 'big.bin': Buffer.alloc(32 << 20) } }, async (server) => {
      const raw = await RawFtp.login(server.port);
      const data = await raw.passiveData();
      data.on('error', () => undefined);
      const firstChunk = new Promise((resolve) => data.once('data', resolve));
      expect(await raw.command('RETR big.bin')).toMatch(/^150 /);
      await firstChunk;
      cut(data);
      expect(await raw.reply()).toBe('426 Connection closed; transfer aborted.');
      expect(await raw.command('NOOP')).toMatch(/^200 /);
    });
  });

  it('answers 426, not 226, when the data connection is reset during LIST', async () => {
    // Enough entries that the listing outgrows the socket buffers, so the RST meets the server writing.
    const files = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`dir/file-with-a-long-name-${i}.bin`, Buffer.alloc(1)]));
    await withServer({ files }, async (server) => {
      const raw = await RawFtp.login(server.port);
      const data = await raw.passiveData();
      data.on('error', () => undefined);
      data.pause(); // read nothing: what the server writes piles up
      expect(await raw.command('LIST dir')).toMatch(/^150 /);
      data.resetAndDestroy();
      expect(await raw.reply()).toBe('426 Connection closed; transfer aborted.');
      expect(await raw.command('NOOP')).toMatch(/^200 /);
    });
  });

  it('leaves the process SIGINT, SIGTERM and SIGQUIT listeners as they were', async () => {
    const signals = ['SIGINT', 'SIGTERM', 'SIGQUIT'] as const;
    const before = signals.map((s) => process.listenerCount(s));
    await withServer({}, async () => {
      expect(signals.map((s) => process.listenerCount(s))).toEqual(before);
    });
    expect(signals.map((s) => process.listenerCount(s))).toEqual(before);
  });

  it('closes promptly during transfers and data-connection waits, leaving nothing listening or pending', async () => {
    const kinds = ['TCPServerWrap', 'TCPSocketWrap'];
    const census = (): Record<string, number> =>
      Object.fromEntries(kinds.map((kind) => [kind, process.getActiveResourcesInfo().filter((k) => k === kind).length]));
    const baseline = census();
    const server = await startFtpServer();
    try {
      const waiting = await RawFtp.login(server.port);
      const epsv = await waiting.command('EPSV');
      const pasvPort = Number(/\|\|\|(\d+)\|/.exec(epsv)?.[1]);
      expect(await waiting.command('PASV')).toMatch(/^227 /); // replaces the EPSV listener
      waiting.socket.write('STOR never.bin\r\n'); // waits for a data connection that never comes

      const uploading = await RawFtp.login(server.port);
      const data = await uploading.passiveData();
      expect(await uploading.command('STOR half.bin')).toMatch(/^150 /);
      await new Promise<void>((resolve) => data.write(Buffer.alloc(10_000), () => resolve()));
      data.on('error', () => undefined);
      const dataClosed = new Promise((resolve) => data.once('close', resolve));

      const started = Date.now();
      await server.close();
      expect(Date.now() - started).toBeLessThan(1000);
      await Promise.all([waiting.closed, uploading.closed, dataClosed]);
      expect(server.connections()).toBe(0);
      expect(server.files).toMatchObject([{ path: '/half.bin', complete: false }]);
      await server.close(); // idempotent
      for (const port of [server.port, pasvPort]) {
        const probe = net.connect(port, '127.0.0.1');
        const error = await new Promise<NodeJS.ErrnoException>((resolve) => probe.once('error', resolve));
        expect(error.code).toBe('ECONNREFUSED');
        await new Promise((resolve) => probe.once('close', resolve));
      }
      // Timers are checked in a child process (next test): vitest's own RPC timers come and go here.
      expect(census()).toEqual(baseline);
    } finally {
      await server.close();
    }
  });

  it('lets the process exit right after close() even with a passive listener and a data-connection wait pending', async () => {
    // ftp-srv alone keeps such a process alive: a 30 s timer per PASV and a 50 ms poll that never stops.
    const script = `
      import net from 'node:net';
      import { startFtpServer } from ${JSON.stringify(new URL('../../servers/ftp.ts', import.meta.url).href)};
      const open = async (port) => {
        const socket = net.connect(port, '127.0.0.1').setEncoding('latin1').on('error', () => undefined);
        let text = '';
        const waiters = new Set();
        socket.on('data', (chunk) => { text += chunk; for (const wake of [...waiters]) wake(); });
        await new Promise((resolve) => socket.once('connect', resolve));
        const until = (re) => new Promise((resolve) => {
          const check = () => { const m = re.exec(text); if (m) { waiters.delete(check); text = text.slice(m.index + m[0].length); resolve(m); } };
          waiters.add(check);
          check();
        });
        await until(/^220 .*\\r\\n/m);
        const send = (line, re) => { socket.write(line + '\\r\\n'); return until(re); };
        await send('USER anonymous', /^230 /m);
        return { socket, send };
      };
      const server = await startFtpServer();
      const waiting = await open(server.port);
      await waiting.send('EPSV', /^229 /m);
      await waiting.send('PASV', /^227 /m);
      waiting.socket.write('STOR never.bin\\r\\n');
      const uploading = await open(server.port);
      const [, port] = await uploading.send('EPSV', /[|]{3}(\\d+)[|]/);
      const data = net.connect(Number(port), '127.0.0.1').on('error', () => undefined);
      await new Promise((resolve) => data.once('connect', resolve));
      await uploading.send('STOR half.bin', /^150 /m);
      data.write(Buffer.alloc(10000));
      await server.close();
      for (const socket of [waiting.socket, uploading.socket, data]) socket.destroy();
      console.log('closed ' + JSON.stringify(server.files.map((f) => f.complete)));
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let closedAt = 0;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!closedAt && stdout.includes('closed')) closedAt = Date.now();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect({ code, stdout: stdout.trim(), stderr }).toEqual({ code: 0, stdout: 'closed [false]', stderr: '' });
    expect(Date.now() - closedAt).toBeLessThan(2000);
  });

  it('falls back to the defaults for options given as undefined and rejects a bad pasvRange', async () => {
    await withServer({ host: undefined, anonymous: undefined, pasvRange: undefined }, async (server) => {
      expect(server.url).toBe(`ftp://127.0.0.1:${server.port}`);
      const raw = await RawFtp.login(server.port);
      expect(await raw.command('EPSV')).toMatch(/^229 /);
    });
    await expect(startFtpServer({ pasvRange: [2000, 1000] })).rejects.toThrow(RangeError);
    await expect(startFtpServer({ pasvAddress: '::1' })).rejects.toThrow(TypeError);
  });
});
