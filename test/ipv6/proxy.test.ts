/**
 * The fault proxy and the mock servers on ::1: `serve smtp|ftp --host ::1` puts the whole path on IPv6
 * (proxy listening on ::1, mock on ::1), basic-ftp (EPSV) and curl (EPRT |2|) move files through the
 * proxy's own data listeners, uploads checked by SHA-256; a PORT from an IPv6 client reaches an IPv6
 * server as EPRT, and a 227 that cannot name an IPv6 listener becomes 425 (RFC 2428 §1: use EPSV).
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { Client } from 'basic-ftp';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { startFtpServer } from '../../servers/ftp.js';
import { listenHost } from '../../src/commands/args.js';
import { serveCommand, type ServeCommand } from '../../src/commands/serve.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/proxy.js';

const run = promisify(execFile);
const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A running `serve`: its URL and port, its log lines (timestamps removed), and a wait for one. */
interface Served {
  readonly url: string;
  readonly port: number;
  log(): string[];
  /** Resolves once a log line matches `pattern` (the log is written in batches). */
  logged(pattern: RegExp): Promise<void>;
}

/** `serve` on `--host [::1]`, closed after the test. */
async function serveOnV6(command: Pick<ServeCommand, 'protocol' | 'server'>): Promise<Served> {
  const out = new PassThrough();
  let text = '';
  const waiters = new Set<() => void>();
  out.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    for (const wake of waiters) wake();
  });
  const serving = await serveCommand({ ...command, faults: [], host: listenHost('[::1]').host, port: 0, out } as ServeCommand);
  cleanups.push(() => serving.close());
  const log = (): string[] => text.split('\n').map((line) => line.replace(/^\+\s*[\d.]+ms /, ''));
  const logged = (pattern: RegExp): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (!log().some((line) => pattern.test(line))) return;
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  return { url: serving.url, port: Number(new URL(serving.url).port), log, logged };
}

const FTP_ACCOUNT = { users: { alice: 'pw' }, anonymous: 'off' as const };

describe('serve --host ::1', () => {
  it('takes [::1] as ::1 for --host, and refuses a bracketed name', () => {
    expect(listenHost('[::1]')).toEqual({ host: '::1' });
    expect(listenHost('::1')).toEqual({ host: '::1' });
    expect(() => listenHost('[localhost]')).toThrow(/not an address or host name/);
  });

  it('serves SMTP on [::1]: nodemailer over IPv6, the message logged with its SHA-256', async () => {
    const s = await serveOnV6({ protocol: 'smtp', server: {} });
    expect(s.url).toBe(`smtp://[::1]:${s.port}`);
    const raw = `Subject: v6\r\n\r\n${'z'.repeat(4000)}\r\n`;
    const transport = nodemailer.createTransport({ host: '::1', port: s.port, ignoreTLS: true });
    await transport.sendMail({ envelope: { from: 'a@wireprobe.test', to: ['b@wireprobe.test'] }, raw });
    transport.close();
    await s.logged(/^#1 == /);
    expect(s.log()).toContain(`accepted message: from <a@wireprobe.test> to <b@wireprobe.test>, ${raw.length} bytes, sha256 ${sha256(raw)}`);
    expect(s.log().join('\n')).toMatch(/#1 -- client connected from ::1/);
  });

  it('moves a basic-ftp upload and download over EPSV, both ends of the proxy on ::1, SHA-256 intact', async () => {
    const s = await serveOnV6({ protocol: 'ftp', server: FTP_ACCOUNT });
    expect(s.url).toBe(`ftp://[::1]:${s.port}`);
    const data = randomBytes(1024 * 1024);
    const client = new Client(10_000);
    try {
      await client.access({ host: '::1', port: s.port, user: 'alice', password: 'pw' });
      await client.uploadFrom(Readable.from([data]), '/up.bin');
      const chunks: Buffer[] = [];
      await client.downloadTo(new Writable({ write: (chunk: Buffer, _e, done) => void (chunks.push(chunk), done()) }), '/up.bin');
      expect(sha256(Buffer.concat(chunks))).toBe(sha256(data));
    } finally {
      client.close();
    }
    await s.logged(/^#1 == /);
    const log = s.log();
    expect(log).toContain(`stored /up.bin: 1048576 bytes, sha256 ${sha256(data)}`);
    // The mock, on ::1, ties the upload to the proxied session by the proxy's port toward it.
    expect(log.find((l) => l.startsWith('#1 == '))).toContain(`stored /up.bin (1048576 octets, sha256 ${sha256(data)})`);
    // The mock is on ::1 too: its 229 names a port on ::1, and the client is told one of the proxy's on ::1.
    expect(log.filter((l) => /data address: server said ::1:\d+, client told ::1:\d+/.test(l))).toHaveLength(2);
    expect(log.some((l) => / C {2}PASV/.test(l))).toBe(false);
  });

  it('moves curl uploads over EPRT |2| (--ftp-port -) and a download over EPSV (-g for [::1]), SHA-256 intact', async () => {
    const s = await serveOnV6({ protocol: 'ftp', server: FTP_ACCOUNT });
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-ipv6-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const data = randomBytes(512 * 1024);
    await writeFile(join(dir, 'up.bin'), data);
    const base = `ftp://alice:pw@[::1]:${s.port}`;
    await run('curl', ['-g', '-sS', '--max-time', '20', '--ftp-port', '-', '-T', join(dir, 'up.bin'), `${base}/active.bin`]);
    await run('curl', ['-g', '-sS', '--max-time', '20', '-o', join(dir, 'down.bin'), `${base}/active.bin`]);
    expect(sha256(await readFile(join(dir, 'down.bin')))).toBe(sha256(data));
    await s.logged(/^#2 == /);
    const log = s.log();
    expect(log).toContain(`stored /active.bin: ${data.length} bytes, sha256 ${sha256(data)}`);
    expect(log.some((l) => /^#1 C {2}EPRT \|2\|::1\|\d+\|$/.test(l))).toBe(true);
    expect(log.some((l) => /^#1 -- data address: client said ::1:\d+, server told ::1:\d+$/.test(l))).toBe(true);
    expect(log.some((l) => /^#2 C {2}EPSV$/.test(l))).toBe(true);
  });
});

/** A raw control connection to `proxy`, logged in as alice: `command` sends a line and resolves with its reply. */
async function rawControl(proxy: ProxyHandle): Promise<(line: string) => Promise<string>> {
  const control = net.connect(proxy.port, proxy.host);
  cleanups.push(async () => control.destroy());
  control.on('error', () => undefined);
  let text = '';
  let taken = 0;
  const waiters: (() => void)[] = [];
  control.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    for (const wake of waiters.splice(0)) wake();
  });
  const reply = async (): Promise<string> => {
    for (;;) {
      const replies = text.split('\r\n').filter((l) => /^\d{3} /.test(l));
      if (replies.length > taken) return replies[taken++]!;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  await reply();
  const command = (line: string): Promise<string> => {
    control.write(`${line}\r\n`);
    return reply();
  };
  expect(await command('USER alice')).toMatch(/^331 /);
  expect(await command('PASS pw')).toMatch(/^230 /);
  return command;
}

/** The mock on `upstream` with the proxy on ::1 in front, both closed after the test. */
async function proxiedOnV6(
  upstream: '::1' | '127.0.0.1',
  lines: string[] = [],
  host: '::1' | '127.0.0.1' = '::1',
): Promise<{ proxy: ProxyHandle; files: () => readonly { path: string; sha256: string }[] }> {
  const server = await startFtpServer({ host: upstream, ...FTP_ACCOUNT });
  cleanups.push(() => server.close());
  const proxy = await startProxy({
    upstream: { host: server.host, port: server.port },
    host,
    protocol: 'ftp',
    faults: [],
    onLine: (l) => lines.push(l),
  });
  cleanups.push(() => proxy.close());
  return { proxy, files: () => server.files };
}

describe('the proxy on ::1: addresses an IPv6 control connection cannot carry', () => {
  it('names its IPv6 listener to an IPv6 server in an EPRT when the client sent PORT, and relays the upload', async () => {
    const lines: string[] = [];
    const { proxy, files } = await proxiedOnV6('::1', lines);
    const command = await rawControl(proxy);
    const data = randomBytes(256 * 1024);
    const listener = net.createServer((socket) => socket.end(data));
    cleanups.push(async () => listener.close());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as net.AddressInfo;
    expect(await command(`PORT 127,0,0,1,${port >> 8},${port & 255}`)).toMatch(/^200 /);
    expect(await command('STOR /port.bin')).toMatch(/^150 /);
    expect(await command('NOOP')).toMatch(/^226 /);
    expect(files().find((f) => f.path === '/port.bin')?.sha256).toBe(sha256(data));
    const notes = lines.map((l) => l.replace(/^\+\s*[\d.]+ms /, '')).filter((l) => l.startsWith('#1 -- data address') || l.includes('EPRT'));
    expect(notes).toEqual([
      expect.stringMatching(/^#1 -- data address: client said 127\.0\.0\.1:\d+, server told ::1:\d+$/),
      '#1 -- PORT cannot name an IPv6 address: the server is told EPRT instead',
    ]);
  });

  it('answers a 227 to an IPv6 client with 425 pointing to EPSV (its listener has no IPv4 address to name)', async () => {
    const { proxy } = await proxiedOnV6('127.0.0.1');
    const command = await rawControl(proxy);
    expect(await command('PASV')).toBe('425 PASV cannot name an IPv6 address: use EPSV');
    expect(await command('EPSV')).toMatch(/^229 Entering Extended Passive Mode \(\|\|\|\d+\|\)$/);
  });

  it("asks an IPv6 server EPSV for an IPv4 client's PASV, answers the client a 227 and relays the upload", async () => {
    const lines: string[] = [];
    const { proxy, files } = await proxiedOnV6('::1', lines, '127.0.0.1');
    const command = await rawControl(proxy);
    const reply = await command('PASV');
    const said = /^227 .*\((127),(0),(0),(1),(\d+),(\d+)\)$/.exec(reply);
    expect(said, reply).not.toBeNull();
    const data = randomBytes(256 * 1024);
    const socket = net.connect(Number(said![5]) * 256 + Number(said![6]), '127.0.0.1');
    cleanups.push(async () => socket.destroy());
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    expect(await command('STOR /pasv.bin')).toMatch(/^150 /);
    socket.end(data);
    expect(await command('NOOP')).toMatch(/^226 /);
    expect(files().find((f) => f.path === '/pasv.bin')?.sha256).toBe(sha256(data));
    const notes = lines.map((l) => l.replace(/^\+\s*[\d.]+ms /, '')).filter((l) => /^#1 (-- (PASV|data address)|S {2}229|C {2}(PASV|EPSV))/.test(l));
    expect(notes).toEqual([
      '#1 C  PASV',
      '#1 -- PASV cannot be answered by a server on IPv6: the server is asked EPSV instead',
      expect.stringMatching(/^#1 S {2}229 /),
      expect.stringMatching(/^#1 -- data address: server said ::1:\d+, client told 127\.0\.0\.1:\d+$/),
    ]);
  });

  it('relays the IPv6 mock refusing PASV itself, as the proxy would (425), the session going on', async () => {
    const { proxy } = await proxiedOnV6('::1');
    const command = await rawControl(proxy);
    expect(await command('PASV')).toBe('425 PASV cannot name an IPv6 address: use EPSV');
    expect(await command('NOOP')).toMatch(/^200 /);
  });
});
