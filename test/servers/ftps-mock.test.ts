import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { startFtpServer, type FtpServerHandle, type FtpServerOptions } from '../../servers/ftp.js';
import { RawFtps } from '../helpers/raw-ftps.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

let cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  const pending = cleanups;
  cleanups = [];
  for (const close of pending.reverse()) await close();
});

async function ftpServer(options: FtpServerOptions): Promise<FtpServerHandle> {
  const server = await startFtpServer(options);
  cleanups.push(() => server.close());
  return server;
}

async function connect(server: FtpServerHandle, implicit = false): Promise<{ client: RawFtps; greeting: string }> {
  const connected = await RawFtps.connect(server.port, implicit);
  cleanups.push(() => connected.client.close());
  return connected;
}

/** Connected, AUTH TLS, PBSZ 0, logged in anonymously. */
async function secured(server: FtpServerHandle): Promise<RawFtps> {
  const { client } = await connect(server);
  expect(await client.auth()).toMatch(/^234 /);
  expect(await client.command('PBSZ 0')).toBe('200 PBSZ=0');
  expect(await client.login()).toMatch(/^230 /);
  return client;
}

/** STOR `name` with `data` over `socket` (already connected); returns the final reply. */
async function store(client: RawFtps, socket: import('node:net').Socket, name: string, data: Buffer): Promise<string> {
  client.socket.write(`STOR ${name}\r\n`);
  expect(await client.reply()).toMatch(/^150 /);
  socket.end(data);
  return client.reply();
}

describe('FTPS in the mock FTP server (RFC 4217)', () => {
  it('explicit: AUTH TLS 234, PBSZ 0, PROT P: the upload over a TLS data connection is stored whole, and PROT C makes the next one clear', async () => {
    const server = await ftpServer({ tls: 'explicit' });
    const client = await secured(server);
    expect((client.socket as TLSSocket).encrypted).toBe(true);
    expect(await client.command('PROT P')).toBe('200 PROT now Private.');
    const first = randomBytes(200_000);
    const data = await client.data('tls');
    expect((data as TLSSocket).encrypted).toBe(true);
    expect(await store(client, data, 'p.bin', first)).toMatch(/^226 /);
    expect(await client.command('PROT C')).toBe('200 PROT now Clear.');
    const second = randomBytes(50_000);
    expect(await store(client, await client.data('clear'), 'c.bin', second)).toMatch(/^226 /);
    expect(server.files.map((f) => [f.path, f.bytes, f.sha256])).toEqual([
      ['/p.bin', first.length, sha256(first)],
      ['/c.bin', second.length, sha256(second)],
    ]);
  });

  it('PROT P downloads and listings come over TLS: the client reads the file as it was stored', async () => {
    // Several 64 KiB chunks: the mock reads a download into two buffers in turn (servers/ftp/spool-fs.ts).
    const content = randomBytes(1_000_000 + 7);
    const server = await ftpServer({ tls: 'explicit', files: { '/d.bin': content } });
    const client = await secured(server);
    expect(await client.command('PROT P')).toMatch(/^200 /);
    const data = await client.data('tls');
    const chunks: Buffer[] = [];
    data.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = once(data, 'end');
    expect(await client.command('RETR d.bin')).toMatch(/^150 /);
    await ended;
    expect(await client.reply()).toMatch(/^226 /);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(content));
    const listing = await client.data('tls');
    let text = '';
    listing.setEncoding('latin1').on('data', (chunk: string) => (text += chunk));
    const listed = once(listing, 'end');
    expect(await client.command('LIST')).toMatch(/^150 /);
    await listed;
    expect(await client.reply()).toMatch(/^226 /);
    expect(text).toMatch(/ d\.bin\r\n/);
  });

  it('answers PBSZ and PROT before AUTH with 503, PROT before PBSZ with 503, S and E with 536, an unknown level with 504, an unknown AUTH with 504', async () => {
    const server = await ftpServer({ tls: 'explicit' });
    const { client } = await connect(server);
    expect(await client.command('PBSZ 0')).toMatch(/^503 /);
    expect(await client.command('PROT P')).toMatch(/^503 /);
    expect(await client.command('AUTH KERBEROS_V4')).toBe('504 Unknown AUTH type.');
    expect(await client.auth()).toBe('234 Proceed with negotiation.');
    expect(await client.command('PROT P')).toBe('503 PROT must be preceded by PBSZ');
    expect(await client.command('PBSZ 0')).toBe('200 PBSZ=0');
    expect(await client.command('PROT S')).toMatch(/^536 /);
    expect(await client.command('PROT E')).toMatch(/^536 /);
    expect(await client.command('PROT Q')).toMatch(/^504 /);
    expect(await client.command('AUTH TLS')).toMatch(/^503 /);
  });

  it("with tls 'off' AUTH, PBSZ and PROT are left to ftp-srv: AUTH TLS is not implemented (502)", async () => {
    const server = await ftpServer({});
    const { client } = await connect(server);
    expect(await client.command('AUTH TLS')).toMatch(/^502 /);
  });

  it('requireTls: USER before AUTH TLS gets 534; after it the login goes on', async () => {
    const server = await ftpServer({ tls: 'explicit', requireTls: true });
    const { client } = await connect(server);
    expect(await client.command('USER anonymous')).toBe('534 Policy requires AUTH TLS before login');
    expect(await client.auth()).toMatch(/^234 /);
    expect(await client.login()).toMatch(/^230 /);
  });

  it("protP 'refuse': PROT P gets 534, PROT C 200", async () => {
    const server = await ftpServer({ tls: 'explicit', protP: 'refuse' });
    const client = await secured(server);
    expect(await client.command('PROT P')).toBe('534 PROT P refused by policy');
    expect(await client.command('PROT C')).toMatch(/^200 /);
  });

  it('AUTH SSL (as vsftpd): 234, and data is protected without PROT P', async () => {
    const server = await ftpServer({ tls: 'explicit' });
    const { client } = await connect(server);
    expect(await client.auth('SSL')).toMatch(/^234 /);
    expect(await client.login()).toMatch(/^230 /);
    const data = randomBytes(10_000);
    expect(await store(client, await client.data('tls'), 's.bin', data)).toMatch(/^226 /);
    expect(server.files[0]?.sha256).toBe(sha256(data));
  });

  it('requireTlsReuse: a data connection that resumes the session is taken; one with a new session gets 150, then 522 (vsftpd), and nothing is stored', async () => {
    const server = await ftpServer({ tls: 'explicit', requireTlsReuse: true });
    const client = await secured(server);
    expect(await client.command('PROT P')).toMatch(/^200 /);
    const kept = randomBytes(30_000);
    const resumed = await client.data('tls');
    expect((resumed as TLSSocket).isSessionReused()).toBe(true);
    expect(await store(client, resumed, 'kept.bin', kept)).toMatch(/^226 /);
    const fresh = await client.data('tls-new');
    expect((fresh as TLSSocket).isSessionReused()).toBe(false);
    const closed = once(fresh, 'close');
    expect(await client.command('STOR lost.bin')).toMatch(/^150 /);
    expect(await client.reply()).toBe('522 SSL connection failed: session reuse required');
    await closed;
    // Recorded as an aborted upload of nothing (vsftpd too leaves the file it opened before the handshake).
    expect(server.files.map((f) => [f.path, f.complete, f.received, f.bytes])).toEqual([
      ['/kept.bin', true, kept.length, kept.length],
      ['/lost.bin', false, 0, 0],
    ]);
  });

  it('without requireTlsReuse a data connection with a new session is taken', async () => {
    const server = await ftpServer({ tls: 'explicit' });
    const client = await secured(server);
    expect(await client.command('PROT P')).toMatch(/^200 /);
    const data = randomBytes(5_000);
    expect(await store(client, await client.data('tls-new'), 'new.bin', data)).toMatch(/^226 /);
    expect(server.files[0]?.sha256).toBe(sha256(data));
  });

  it('a clear data connection under PROT P fails its TLS handshake: 150, then 425, nothing stored', async () => {
    const server = await ftpServer({ tls: 'explicit' });
    const client = await secured(server);
    expect(await client.command('PROT P')).toMatch(/^200 /);
    const data = await client.data('clear');
    data.on('error', () => undefined);
    expect(await client.command('STOR clear.bin')).toMatch(/^150 /);
    data.write('not a TLS record\r\n');
    expect(await client.reply()).toBe('425 Cannot open data connection: TLS handshake failed');
    // The same when the handshake failed (and the mock closed the data connection) before the STOR.
    const early = await client.data('clear');
    early.on('error', () => undefined);
    const closed = once(early, 'close');
    early.write('not a TLS record either\r\n');
    await closed;
    expect(await client.command('STOR early.bin')).toMatch(/^150 /);
    expect(await client.reply()).toBe('425 Cannot open data connection: TLS handshake failed');
    expect(server.files.map((f) => [f.path, f.complete, f.received])).toEqual([
      ['/clear.bin', false, 0],
      ['/early.bin', false, 0],
    ]);
  });

  it('implicit: TLS from the first octet, the greeting inside it, data protected until PROT C', async () => {
    const server = await ftpServer({ tls: 'implicit' });
    expect(server.ca).toMatch(/BEGIN CERTIFICATE/);
    const { client, greeting } = await connect(server, true);
    expect(greeting).toMatch(/^220 /);
    expect(await client.command('AUTH TLS')).toMatch(/^503 /);
    expect(await client.login()).toMatch(/^230 /);
    const data = randomBytes(20_000);
    expect(await store(client, await client.data('tls'), 'i.bin', data)).toMatch(/^226 /);
    expect(await client.command('PBSZ 0')).toMatch(/^200 /);
    expect(await client.command('PROT C')).toMatch(/^200 /);
    const clear = randomBytes(1_000);
    expect(await store(client, await client.data('clear'), 'ic.bin', clear)).toMatch(/^226 /);
    expect(server.files.map((f) => f.sha256)).toEqual([sha256(data), sha256(clear)]);
  });

  it('PROT P over PORT: the mock connects back and is the TLS server, the client the TLS client (RFC 4217 §7)', async () => {
    const content = randomBytes(80_000);
    const server = await ftpServer({ tls: 'explicit', requireTlsReuse: true, files: { '/a.bin': content } });
    const client = await secured(server);
    expect(await client.command('PROT P')).toMatch(/^200 /);
    const listener = net.createServer().listen(0, '127.0.0.1');
    cleanups.push(() => void listener.close());
    await once(listener, 'listening');
    const { port } = listener.address() as net.AddressInfo;
    const received = new Promise<Buffer>((resolve) =>
      listener.once('connection', (socket: net.Socket) => {
        const secure = tls.connect({ socket, rejectUnauthorized: false, servername: 'localhost', session: client.session });
        const chunks: Buffer[] = [];
        secure.on('data', (chunk: Buffer) => chunks.push(chunk)).once('end', () => resolve(Buffer.concat(chunks)));
      }),
    );
    expect(await client.command(`PORT 127,0,0,1,${port >> 8},${port & 255}`)).toMatch(/^200 /);
    expect(await client.command('RETR a.bin')).toMatch(/^150 /);
    expect(await client.reply()).toMatch(/^226 /);
    expect(sha256(await received)).toBe(sha256(content));
  });

  it('idleTimeoutMs still closes a control connection that went TLS, with its 421 inside TLS', async () => {
    const server = await ftpServer({ tls: 'explicit', idleTimeoutMs: 200 });
    const client = await secured(server);
    expect(await client.reply()).toMatch(/^421 Idle timeout/);
  });

  for (const tls of ['explicit', 'implicit'] as const) {
    it(`idleClose 'reset' sends an RST on a ${tls} TLS control connection`, async () => {
      const server = await ftpServer({ tls, idleTimeoutMs: 200, idleClose: 'reset' });
      const { client } = await connect(server, tls === 'implicit');
      if (tls === 'explicit') expect(await client.auth()).toMatch(/^234 /);
      const [error] = (await once(client.socket, 'error')) as [NodeJS.ErrnoException];
      expect(error.code).toBe('ECONNRESET');
    });
  }

  it('close() ends TLS control and data connections that are still open', async () => {
    const server = await startFtpServer({ tls: 'explicit' });
    const client = await secured(server);
    cleanups.push(() => client.close());
    expect(await client.command('PROT P')).toMatch(/^200 /);
    const data = await client.data('tls');
    const closed = [once(client.socket, 'close'), once(data, 'close')];
    await server.close();
    await Promise.all(closed);
    expect(server.connections()).toBe(0);
  });
});
