import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { FTPError } from 'basic-ftp';
import { afterEach, describe, expect, it } from 'vitest';
import { startFtpServer, type FtpServerHandle, type FtpServerOptions } from '../../servers/ftp.js';
import { basicFtpClient, basicFtpError } from '../../src/clients/basic-ftp.js';
import { ftplibClient } from '../../src/clients/ftplib.js';
import type { ClientReport, FtpClientAdapter, FtpJob, FtpMode } from '../../src/clients/types.js';
import { contentOf } from '../../src/util/content.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const MiB = 1024 * 1024;

/** Everything a test started, closed after it. */
let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  const pending = cleanups;
  cleanups = [];
  await Promise.all(pending.map((close) => close()));
});

async function ftpServer(options: FtpServerOptions = {}): Promise<FtpServerHandle> {
  const server = await startFtpServer({ users: { alice: 'secret-pw' }, anonymous: 'off', ...options });
  cleanups.push(() => server.close());
  return server;
}

/** A bare TCP server on 127.0.0.1:0 that hands each connection to `onConnection`; closed after the test. */
async function tcpServer(onConnection: (socket: net.Socket) => void): Promise<{ port: number; connections: () => number }> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('error', () => undefined).once('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

/**
 * A control-connection relay to `target` that resets its first connection as soon as it is accepted, so
 * a client's first attempt fails before any FTP is spoken. Data connections go straight to the server
 * (EPSV and ftplib's PASV use the control connection's address, 127.0.0.1; PORT connects back directly).
 */
function resetFirstRelay(target: number): Promise<{ port: number; connections: () => number }> {
  let seen = 0;
  return tcpServer((client) => {
    seen += 1;
    if (seen === 1) return void setImmediate(() => client.resetAndDestroy());
    const upstream = net.connect(target, '127.0.0.1');
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
}

/** A port nothing listens on: bound, noted, closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function job(port: number, mode: FtpMode, fields: Partial<FtpJob> = {}): FtpJob {
  return {
    host: '127.0.0.1',
    port,
    user: 'alice',
    password: 'secret-pw',
    mode,
    direction: 'upload',
    path: '/u.bin',
    content: contentOf(Buffer.alloc(0)),
    timeouts: { connect: 5000, greeting: 5000, socket: 5000, deadline: 20_000 },
    ...fields,
  };
}

const run = (adapter: FtpClientAdapter, fields: FtpJob): Promise<ClientReport> => adapter.run(fields, new AbortController().signal);

function failed(report: ClientReport) {
  if (report.ok) throw new Error(`expected a failure, got ok: ${report.detail}`);
  return report.error;
}

const cases = [
  ...basicFtpClient.modes.map((mode) => ({ adapter: basicFtpClient, mode })),
  ...ftplibClient.modes.map((mode) => ({ adapter: ftplibClient, mode })),
];

describe('the FTP adapters declare what they can do', () => {
  it('has basic-ftp passive only and ftplib passive and active, both resuming', () => {
    expect(basicFtpClient).toMatchObject({ name: 'basic-ftp', protocol: 'ftp', modes: ['passive'], resumes: true });
    expect(basicFtpClient.requires).toBeUndefined();
    expect(ftplibClient).toMatchObject({ name: 'ftplib', protocol: 'ftp', modes: ['passive', 'active'], resumes: true });
    expect(ftplibClient.requires).toEqual({ command: 'python3', install: 'apt-get install python3' });
  });
});

describe.each(cases)('$adapter.name in $mode mode', ({ adapter, mode }) => {
  it('uploads 1 MiB that the server stores whole', async () => {
    const server = await ftpServer();
    const data = randomBytes(MiB);
    const report = await run(adapter, job(server.port, mode, { content: contentOf(data) }));
    expect(report).toEqual({ ok: true, detail: expect.stringMatching(/^226 /) });
    expect(server.files).toEqual([{ path: '/u.bin', bytes: MiB, sha256: sha256(data), received: MiB, complete: true }]);
    expect(server.read('/u.bin')?.equals(data)).toBe(true);
  });

  it('downloads a file and reports its size and SHA-256 in received', async () => {
    const content = randomBytes(MiB + 17);
    const server = await ftpServer({ files: { '/d.bin': content } });
    const report = await run(adapter, job(server.port, mode, { direction: 'download', path: '/d.bin' }));
    if (!report.ok) throw new Error(report.error.message);
    expect(report.detail).toMatch(/^226 /);
    expect(report.received).toEqual({ bytes: content.length, sha256: sha256(content) });
    expect(server.files).toEqual([]);
  });

  it('fails with reply 530 on a wrong password', async () => {
    const server = await ftpServer();
    const error = failed(await run(adapter, job(server.port, mode, { password: 'wrong', content: contentOf(randomBytes(10)) })));
    expect(error.responseCode).toBe(530);
    expect(error.command).toBe(adapter === basicFtpClient ? 'access' : 'login');
    expect(server.files).toEqual([]);
  });

  it('fails with ECONNREFUSED on a closed port', async () => {
    const error = failed(await run(adapter, job(await closedPort(), mode, { content: contentOf(randomBytes(10)) })));
    if (adapter === basicFtpClient) expect(error).toMatchObject({ code: 'ECONNREFUSED', command: 'access' });
    else expect(error).toMatchObject({ code: 'ConnectionRefusedError', cause: 'ECONNREFUSED', command: 'connect' });
  });

  it('resumes after a failed first attempt where the partial file ends (SIZE, then APPE or REST+STOR)', async () => {
    const data = randomBytes(MiB);
    const half = MiB / 2;
    const server = await ftpServer({ files: { '/r.bin': data.subarray(0, half) } });
    const relay = await resetFirstRelay(server.port);
    const report = await run(adapter, job(relay.port, mode, { path: '/r.bin', content: contentOf(data), resume: true }));
    if (!report.ok) throw new Error(report.error.message);
    expect(report.detail).toMatch(new RegExp(`^resumed at ${half} bytes: 226 .*first attempt: .*ECONNRESET`));
    expect(relay.connections()).toBe(2);
    expect(server.files).toEqual([{ path: '/r.bin', bytes: MiB, sha256: sha256(data), received: MiB - half, complete: true }]);
    expect(server.read('/r.bin')?.equals(data)).toBe(true);
  });

  it('resumes from 0 with a plain STOR when the server has no file (SIZE answered 550)', async () => {
    const data = randomBytes(4096);
    const server = await ftpServer();
    const relay = await resetFirstRelay(server.port);
    const report = await run(adapter, job(relay.port, mode, { path: '/r.bin', content: contentOf(data), resume: true }));
    if (!report.ok) throw new Error(report.error.message);
    expect(report.detail).toMatch(/^resumed at 0 bytes: 226 /);
    expect(server.files).toEqual([{ path: '/r.bin', bytes: 4096, sha256: sha256(data), received: 4096, complete: true }]);
  });

  it('makes one attempt only without resume', async () => {
    const server = await ftpServer();
    const relay = await resetFirstRelay(server.port);
    const error = failed(await run(adapter, job(relay.port, mode, { content: contentOf(randomBytes(10)) })));
    expect([error.code, error.cause]).toContain('ECONNRESET');
    expect(relay.connections()).toBe(1);
    expect(server.files).toEqual([]);
  });
});

/** Error shapes against bare TCP servers: what each adapter reports for RST, FIN and silence. */
describe.each(cases)('$adapter.name in $mode mode reports codes', ({ adapter, mode }) => {
  const basic = adapter === basicFtpClient;

  it('reports ECONNRESET when the server resets at accept', async () => {
    const server = await tcpServer((socket) => setImmediate(() => socket.resetAndDestroy()));
    const error = failed(await run(adapter, job(server.port, mode, { content: contentOf(randomBytes(10)) })));
    if (basic) expect(error).toMatchObject({ code: 'ECONNRESET', command: 'access' });
    else expect(error).toMatchObject({ code: 'ConnectionResetError', cause: 'ECONNRESET', command: 'connect' });
  });

  it('reports the FIN when the server closes at accept (basic-ftp ECLOSED, ftplib EOFError)', async () => {
    const server = await tcpServer((socket) => socket.end());
    const error = failed(await run(adapter, job(server.port, mode, { content: contentOf(randomBytes(10)) })));
    if (basic) expect(error).toEqual({ code: 'ECLOSED', command: 'access', message: 'Server sent FIN packet unexpectedly, closing connection.' });
    else expect(error).toEqual({ code: 'EOFError', command: 'connect', message: '' });
  });

  it('reports ETIMEDOUT when the server never greets', async () => {
    const server = await tcpServer(() => undefined);
    const timeouts = { connect: 300, greeting: 300, socket: 300, deadline: 10_000 };
    const error = failed(await run(adapter, job(server.port, mode, { content: contentOf(randomBytes(10)), timeouts })));
    if (basic) expect(error).toMatchObject({ code: 'ETIMEDOUT', command: 'access' });
    else expect(error).toMatchObject({ code: 'TimeoutError', cause: 'ETIMEDOUT', command: 'connect' });
  });

  it('resolves, not ok, when the signal aborts mid-session', async () => {
    let connected!: () => void;
    const reached = new Promise<void>((resolve) => (connected = resolve));
    const server = await tcpServer(() => connected());
    const abort = new AbortController();
    const pending = adapter.run(job(server.port, mode, { content: contentOf(randomBytes(10)) }), abort.signal);
    await reached;
    abort.abort();
    const error = failed(await pending);
    if (basic) expect(error.message).toBe('User closed client during task');
    else expect(error.code).toBe('ESCRIPT');
  });
});

describe('basicFtpError', () => {
  const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });
  it.each([
    ['an FTP reply', new FTPError({ code: 550, message: '550 No' }), { responseCode: 550, message: '550 No' }],
    ['a socket error', withCode('read ECONNRESET (control socket)', 'ECONNRESET'), { code: 'ECONNRESET', message: 'read ECONNRESET (control socket)' }],
    [
      'a closed client keeping a socket code',
      withCode('Client is closed because write EPIPE (data socket)', 'EPIPE'),
      { code: 'EPIPE', message: 'Client is closed because write EPIPE (data socket)' },
    ],
    ['a control timeout', new Error('Timeout (control socket)'), { code: 'ETIMEDOUT', message: 'Timeout (control socket)' }],
    ['a data timeout', new Error('Timeout (data socket)'), { code: 'ETIMEDOUT', message: 'Timeout (data socket)' }],
    [
      'a passive connect timeout',
      new Error('Timeout when trying to open data connection to 127.0.0.1:1'),
      { code: 'ETIMEDOUT', message: 'Timeout when trying to open data connection to 127.0.0.1:1' },
    ],
    [
      'a closed client after a timeout (code "0")',
      withCode('Client is closed because Timeout (control socket)', '0'),
      { code: 'ETIMEDOUT', message: 'Client is closed because Timeout (control socket)' },
    ],
    [
      'a FIN',
      new Error('Server sent FIN packet unexpectedly, closing connection.'),
      { code: 'ECLOSED', message: 'Server sent FIN packet unexpectedly, closing connection.' },
    ],
    ['a close without error', new Error('Server closed connection unexpectedly.'), { code: 'ECLOSED', message: 'Server closed connection unexpectedly.' }],
    ['anything else', new Error('User closed client'), { message: 'User closed client' }],
  ])('maps %s', (_name, error, expected) => {
    expect(basicFtpError(error)).toEqual(expected);
  });

  it('adds the step it failed in as command', () => {
    expect(basicFtpError(new FTPError({ code: 530, message: '530 No' }), 'access')).toEqual({ responseCode: 530, command: 'access', message: '530 No' });
  });
});
