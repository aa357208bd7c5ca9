/**
 * The proxy in FTP mode: data connections pass through it in both modes, data-channel faults fire on
 * the data connection while the control connection goes on, and dataport faults send clients nowhere.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { Readable } from 'node:stream';
import { Client, enterPassiveModeIPv4 } from 'basic-ftp';
import { afterEach, describe, expect, it } from 'vitest';
import { startFtpServer, type FtpServerHandle, type FtpServerOptions } from '../../servers/ftp.js';
import { parseFault } from '../../src/faults/parse.js';
import type { Fault } from '../../src/faults/types.js';
import { parse227, parse229, parsePort } from '../../src/protocol/ftp-address.js';
import { MAX_ACTIVE_WAITING } from '../../src/proxy/data-addresses.js';
import { FtpData } from '../../src/proxy/ftp-data.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/proxy.js';
import { Transcript } from '../../src/proxy/transcript.js';
import { connectRaw } from '../helpers/raw-client.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

async function setup(...faults: Fault[]): Promise<{ server: FtpServerHandle; proxy: ProxyHandle }> {
  return setupWith({}, ...faults);
}

async function setupWith(options: FtpServerOptions, ...faults: Fault[]): Promise<{ server: FtpServerHandle; proxy: ProxyHandle }> {
  const server = await startFtpServer({ users: { alice: 'pw' }, anonymous: 'off', ...options });
  cleanups.push(() => server.close());
  const proxy = await startProxy({ upstream: { host: server.host, port: server.port }, faults, protocol: 'ftp' });
  cleanups.push(() => proxy.close());
  return { server, proxy };
}

async function basicFtp(proxy: ProxyHandle, mode: 'epsv' | 'pasv' = 'epsv'): Promise<Client> {
  const client = new Client(5_000);
  cleanups.push(async () => client.close());
  await client.access({ host: proxy.host, port: proxy.port, user: 'alice', password: 'pw' });
  if (mode === 'pasv') client.prepareTransfer = enterPassiveModeIPv4;
  return client;
}

/** Uploads `data` in active mode over a raw control connection: PORT to our own listener, STOR, 226. */
async function activeUpload(proxy: ProxyHandle, path: string, data: Buffer, verb: 'PORT' | 'EPRT'): Promise<string[]> {
  const control = net.connect(proxy.port, proxy.host);
  cleanups.push(async () => control.destroy());
  let text = '';
  const waiters: (() => void)[] = [];
  control.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    for (const wake of waiters.splice(0)) wake();
  });
  const replies = (): string[] => text.split('\r\n').filter((l) => /^\d{3} /.test(l));
  const reply = async (n: number): Promise<string> => {
    while (replies().length < n) await new Promise<void>((resolve) => waiters.push(resolve));
    return replies()[n - 1]!;
  };
  await reply(1);
  control.write('USER alice\r\n');
  await reply(2);
  control.write('PASS pw\r\n');
  await reply(3);
  const listener = net.createServer((socket) => socket.end(data));
  cleanups.push(async () => listener.close());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as net.AddressInfo;
  control.write(verb === 'PORT' ? `PORT 127,0,0,1,${port >> 8},${port & 255}\r\n` : `EPRT |1|127.0.0.1|${port}|\r\n`);
  expect(await reply(4)).toMatch(/^200 /);
  control.write(`STOR ${path}\r\n`);
  // STOR's final reply: 226 after a 150, or a failure (425) on its own.
  for (let n = 5; ; n++) if (!(await reply(n)).startsWith('1')) break;
  control.end('QUIT\r\n');
  return replies();
}

/**
 * A raw control connection through the proxy: `command` sends a line and resolves with its next reply.
 * `allowHalfOpen`: the proxy's FIN does not close it (the test does).
 */
async function rawControl(
  proxy: ProxyHandle,
  allowHalfOpen = false,
): Promise<{ command(line: string): Promise<string>; reply(): Promise<string>; socket: net.Socket }> {
  const control = net.connect({ port: proxy.port, host: proxy.host, allowHalfOpen });
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
  return { command, reply, socket: control };
}

/** TYPE I, EPSV, and a data connection to the port its 229 names (errors ignored: faults cut it). */
async function epsvData(control: Awaited<ReturnType<typeof rawControl>>): Promise<net.Socket> {
  expect(await control.command('TYPE I')).toMatch(/^200 /);
  const port = Number(/\(\|\|\|(\d+)\|\)/.exec(await control.command('EPSV'))?.[1]);
  const data = net.connect(port, '127.0.0.1');
  data.on('error', () => undefined);
  await once(data, 'connect');
  return data;
}

/**
 * A bare FTP server that logs anyone in and takes one upload: EPSV (a listener for the data connection)
 * or PORT (it connects there after its 150 to STOR, as proftpd does). It resets the data connection the
 * moment its control connection ends, as pure-ftpd and proftpd abort a transfer whose session is gone;
 * with `keepsData`, it reads on, as vsftpd does. `received`: the upload's octets so far. `ends`: it ends
 * the upload's data connection itself (a FIN), at STOR before its 150 (`'at-stor'`, an EPSV upload) or
 * once that many octets came, and answers `451` once that connection has closed.
 */
async function bareFtpServer(keepsData = false, ends?: 'at-stor' | number): Promise<{ port: number; received(): number }> {
  let received = 0;
  const server = net.createServer((control) => {
    control.on('error', () => undefined);
    let data: net.Socket | undefined;
    let port: { host: string; port: number } | undefined;
    const counted = (chunk: Buffer): void => {
      received += chunk.length;
      if (typeof ends === 'number' && received >= ends && data?.writable) endUpload(data);
    };
    const endUpload = (socket: net.Socket, ended?: () => void): void => {
      socket.once('close', () => control.write('451 ended here\r\n'));
      socket.end(ended);
    };
    if (!keepsData) control.on('end', () => data?.resetAndDestroy());
    control.write('220 ready\r\n');
    control.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('latin1').split('\r\n').filter(Boolean)) {
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'USER') control.write('331 password\r\n');
        else if (verb === 'PASS') control.write('230 in\r\n');
        else if (verb === 'PORT') {
          port = parsePort(line.slice(5)) ?? undefined;
          control.write('200 ok\r\n');
        } else if (verb === 'STOR') {
          // Its own FIN goes out before the 150: the client sends nothing before the proxy has it.
          if (ends === 'at-stor' && data) endUpload(data, () => control.write('150 go\r\n'));
          else control.write('150 go\r\n');
          if (port) {
            data = net.connect(port.port, port.host).on('error', () => undefined);
            data.on('data', counted);
          }
        } else if (verb === 'EPSV') {
          const listener = net.createServer((socket) => {
            data = socket;
            socket.on('error', () => undefined);
            socket.on('data', counted);
            listener.close();
          });
          cleanups.push(async () => listener.close());
          listener.listen(0, '127.0.0.1', () => control.write(`229 ok (|||${(listener.address() as net.AddressInfo).port}|)\r\n`));
        } else control.write('200 ok\r\n');
      }
    });
  });
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, received: () => received };
}

/** The proxy in FTP mode in front of a bareFtpServer, with one fault; `onLine` as startProxy's. */
async function proxyTo(server: { port: number }, fault: string, onLine?: (line: string) => void): Promise<ProxyHandle> {
  const proxy = await startProxy({
    upstream: { host: '127.0.0.1', port: server.port },
    faults: [parseFault(fault)],
    protocol: 'ftp',
    ...(onLine ? { onLine } : {}),
  });
  cleanups.push(() => proxy.close());
  return proxy;
}

describe('fault proxy, FTP', () => {
  it.each(['epsv', 'pasv'] as const)('relays a passive (%s) upload through its own data listener, bytes intact', async (mode) => {
    const { server, proxy } = await setup();
    const client = await basicFtp(proxy, mode);
    const data = randomBytes(1024 * 1024);
    await client.uploadFrom(Readable.from(data), '/up.bin');
    client.close();
    await proxy.idle();
    expect(server.files).toMatchObject([{ path: '/up.bin', bytes: data.length, sha256: sha(data), complete: true }]);
    const [session] = proxy.sessions();
    expect(session?.data).toMatchObject({ connections: 1, bytes: data.length, clientSaw: null, mode: 'passive' });
    expect(session?.transcript.join('\n')).toMatch(/data 1: client connected \(passive\)/);
    expect(session?.accepted).toBe(1);
  });

  it("connects a PASV data connection to the control connection's address, not the one the 227 names (a server behind NAT)", async () => {
    // The mock listens on 127.0.0.1 and names 127.0.0.2 in its 227, where nothing listens: a client
    // going straight to it would work only by connecting to the control connection's address.
    const { server, proxy } = await setupWith({ pasvAddress: '127.0.0.2' });
    const client = await basicFtp(proxy, 'pasv');
    const data = randomBytes(64 * 1024);
    await client.uploadFrom(Readable.from(data), '/nat.bin');
    client.close();
    await proxy.idle();
    expect(server.files).toMatchObject([{ path: '/nat.bin', bytes: data.length, sha256: sha(data), complete: true }]);
    const transcript = proxy.sessions()[0]?.transcript.join('\n');
    expect(transcript).toMatch(
      /data address: server said 127\.0\.0\.2:\d+ \(the proxy connects to 127\.0\.0\.1, the control connection's address, as clients do\), client told 127\.0\.0\.1:\d+/,
    );
    expect(transcript).toMatch(/data 1: client connected \(passive\), proxy connects to 127\.0\.0\.1:/);
  });

  it.each(['PORT', 'EPRT'] as const)('relays an active (%s) upload: the server connects back to the proxy', async (verb) => {
    const { server, proxy } = await setup();
    const data = randomBytes(256 * 1024);
    const replies = await activeUpload(proxy, '/act.bin', data, verb);
    expect(replies.at(-1)).toMatch(/^226 /);
    await proxy.idle();
    expect(server.files).toMatchObject([{ path: '/act.bin', bytes: data.length, sha256: sha(data), complete: true }]);
    const [session] = proxy.sessions();
    expect(session?.data).toMatchObject({ connections: 1, bytes: data.length, mode: 'active' });
    expect(session?.transcript.join('\n')).toMatch(/data 1: server connected \(active\)/);
  });

  it('resets the data connection mid-STOR, not the control connection', async () => {
    const { server, proxy } = await setup(parseFault('reset after STOR +64KiB channel data'));
    const client = await basicFtp(proxy);
    const error = await client.uploadFrom(Readable.from(randomBytes(1024 * 1024)), '/cut.bin').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNRESET');
    // basic-ftp closes its control connection itself after a data socket error; the proxy did not.
    client.close();
    await proxy.idle();
    expect(proxy.fired()).toEqual([true]);
    const [session] = proxy.sessions();
    expect(session?.data).toMatchObject({ connections: 1, bytes: 64 * 1024, clientSaw: 'rst' });
    expect(session?.clientSaw).toBe(null);
    expect(session?.transcript.join('\n')).toMatch(/data 1: fault fired: reset after STOR \+64KiB channel data[\s\S]*data 1: RST to client/);
    expect(server.files).toMatchObject([{ path: '/cut.bin', complete: false, received: 64 * 1024 }]);
    expect(session?.data?.overtaken).toBeUndefined();
  });

  it.each([
    ['before the fault fired (its FIN at STOR)', 'at-stor' as const],
    ["after the fault fired, before the fault's RST reached it", 64 * 1024],
  ])("tells a server that ended the upload's data connection itself %s: the fault was overtaken", async (_, ends) => {
    const server = await bareFtpServer(false, ends);
    const proxy = await proxyTo(server, 'reset after STOR +64KiB channel data');
    const control = await rawControl(proxy);
    const data = await epsvData(control);
    expect(await control.command('STOR /cut.bin')).toMatch(/^150 /);
    data.write(randomBytes(1024 * 1024));
    expect(await control.reply()).toBe('451 ended here');
    control.socket.end('QUIT\r\n');
    await proxy.idle();
    expect(proxy.fired()).toEqual([true]);
    const [session] = proxy.sessions();
    expect(session?.data?.overtaken).toBe(true);
    expect(session?.transcript.join('\n')).toMatch(
      /data 1: FIN from server[\s\S]*data 1: the server ended it before the fault's RST or FIN reached either end: the fault was overtaken/,
    );
  });

  it.each([
    ['reset', 'RST to server'],
    ['close', 'cut toward server, socket destroyed'],
  ] as const)("cuts the server's end of a download in the same tick as a %s fires mid-RETR: the server answers 426, never 226", async (kind, cut) => {
    // 32 MiB: far more than loopback socket buffers hold, so the server is still writing at the cut.
    const file = randomBytes(32 << 20);
    const server = await startFtpServer({ users: { alice: 'pw' }, anonymous: 'off', files: { 'big.bin': file } });
    cleanups.push(() => server.close());
    const proxy = await startProxy({
      upstream: { host: server.host, port: server.port },
      faults: [parseFault(`${kind} after RETR +1MiB channel data`)],
      protocol: 'ftp',
    });
    cleanups.push(() => proxy.close());
    const control = await rawControl(proxy);
    const data = await epsvData(control);
    let got = 0;
    data.on('data', (chunk: Buffer) => (got += chunk.length));
    expect(await control.command('RETR /big.bin')).toMatch(/^150 /);
    expect(await control.reply()).toBe('426 Connection closed; transfer aborted.');
    expect(await control.command('NOOP')).toMatch(/^200 /);
    expect(got).toBeLessThan(file.length);
    expect(proxy.fired()).toEqual([true]);
    const lines = proxy.sessions()[0]!.transcript;
    const fired = lines.findIndex((l) => l.includes(`data 1: fault fired: ${kind} after RETR +1MiB channel data`));
    expect(fired).toBeGreaterThanOrEqual(0);
    // The server's end goes first, before anything else the proxy does to the data connection.
    expect(lines[fired + 1]).toContain(`data 1: ${cut}`);
    expect(lines.some((l) => / 226[ -]/.test(l))).toBe(false);
  });

  it("relays the server's 426 to a client that keeps its control connection after its data connection is reset mid-STOR", async () => {
    const { server, proxy } = await setup(parseFault('reset after STOR +64KiB channel data'));
    const control = await rawControl(proxy);
    const data = await epsvData(control);
    expect(await control.command('STOR /cut.bin')).toMatch(/^150 /);
    data.write(randomBytes(1024 * 1024));
    expect(await control.reply()).toBe('426 Connection closed; transfer aborted.');
    expect(server.files).toMatchObject([{ path: '/cut.bin', complete: false, received: 64 * 1024 }]);
  });

  it('resets a passive data connection with a fault on connect once the client has sent STOR, not as the connect completes', async () => {
    const { proxy } = await setup(parseFault('reset on connect channel data'));
    const control = await rawControl(proxy);
    const data = await epsvData(control);
    let failed: string | undefined;
    data.on('error', (error: NodeJS.ErrnoException) => (failed = error.code));
    // A round trip on the control connection after the connect: the RST, were it sent at connect, is here by now.
    expect(await control.command('NOOP')).toMatch(/^200 /);
    const before = proxy.sessions()[0]!.transcript.join('\n');
    expect(before).toMatch(/data 1: client connected \(passive\)/);
    expect(before).not.toMatch(/fault fired|RST to client/);
    expect(failed).toBeUndefined();
    control.command('STOR /never.bin').catch(() => undefined);
    await new Promise((resolve) => data.once('close', resolve));
    expect(failed).toBe('ECONNRESET');
    const lines = proxy.sessions()[0]!.transcript;
    const stor = lines.findIndex((l) => l.includes('C  STOR /never.bin'));
    const fired = lines.findIndex((l) => l.includes('data 1: fault fired: reset on connect channel data'));
    expect(stor).toBeGreaterThanOrEqual(0);
    expect(fired).toBeGreaterThan(stor);
  });

  it("holds the server's 226 for an upload a fault cut until the client acts on the cut (here: its next command)", async () => {
    const server = await startFtpServer({ users: { alice: 'pw' }, anonymous: 'off' });
    cleanups.push(() => server.close());
    let arrived = (): void => undefined;
    const reply226 = new Promise<void>((resolve) => (arrived = resolve));
    const proxy = await startProxy({
      upstream: { host: server.host, port: server.port },
      faults: [parseFault('close abort after STOR +64KiB channel data')],
      protocol: 'ftp',
      onLine: (line) => {
        if (/ S {2}226 /.test(line)) arrived();
      },
    });
    cleanups.push(() => proxy.close());
    const control = await rawControl(proxy);
    const data = await epsvData(control);
    expect(await control.command('STOR /cut.bin')).toMatch(/^150 /);
    data.write(randomBytes(1024 * 1024));
    let shown: string | undefined;
    const final = control.reply().then((line) => (shown = line));
    // The server took the FIN for the end of the file and answered 226 (for 64 KiB): it reached the proxy...
    await reply226;
    expect(server.files).toMatchObject([{ path: '/cut.bin', received: 64 * 1024 }]);
    // ...and waits there for the client, which has not acted on the cut yet: another session's greeting
    // comes through the proxy meanwhile (relayed at once, the 226 would be in before it).
    const other = net.connect(proxy.port, proxy.host);
    cleanups.push(async () => other.destroy());
    await once(other, 'data');
    expect(shown).toBeUndefined();
    const noop = control.command('NOOP');
    expect(await final).toMatch(/^226 /);
    expect(await noop).toMatch(/^200 /);
  });

  it("holds the server's data RST after a control cut until the client has acted on the cut (here: its FIN)", async () => {
    const server = await bareFtpServer();
    let serverReset = (): void => undefined;
    const reset = new Promise<void>((resolve) => (serverReset = resolve));
    const proxy = await proxyTo(server, 'close after STOR +64KiB channel control', (line) => {
      if (/data 1: RST from server/.test(line)) serverReset();
    });
    // The client does not act on the FIN on its control connection yet, while the server, its own control
    // connection ended, resets the data connection.
    const control = await rawControl(proxy, true);
    const data = await epsvData(control);
    let dataError: string | undefined;
    data.on('error', (e: NodeJS.ErrnoException) => (dataError = e.code));
    const closed = new Promise((resolve) => data.once('close', resolve));
    expect(await control.command('STOR /cut.bin')).toMatch(/^150 /);
    data.write(randomBytes(1024 * 1024));
    await reset;
    // Another session's greeting comes through the proxy meanwhile: relayed at once, the RST would be in first.
    const other = net.connect(proxy.port, proxy.host);
    cleanups.push(async () => other.destroy());
    await once(other, 'data');
    expect(dataError).toBeUndefined();
    // The client closes its side: then the RST comes, and its data socket meets it.
    control.socket.end();
    await closed;
    expect(dataError).toBe('ECONNRESET');
    const lines = proxy.sessions()[0]!.transcript;
    const at = (text: string): number => lines.findIndex((l) => l.includes(text));
    expect(at('-- FIN from client')).toBeGreaterThan(at('data 1: RST from server'));
    expect(at('data 1: RST to client')).toBeGreaterThan(at('-- FIN from client'));
  });

  it("holds the server's 150 until a fault due on the data connection's connect has reset it, when the server connects back after its 150", async () => {
    const server = await bareFtpServer();
    const proxy = await proxyTo(server, 'reset on connect channel data');
    const control = await rawControl(proxy);
    const listener = net.createServer((socket) => socket.on('error', () => undefined));
    cleanups.push(async () => listener.close());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as net.AddressInfo;
    expect(await control.command(`PORT 127,0,0,1,${port >> 8},${port & 255}`)).toMatch(/^200 /);
    // The server answers 150 before it connects back: relayed at once, the 150 would reach the client
    // before any data connection existed, and the RST after it.
    expect(await control.command('STOR /up.bin')).toBe('150 go');
    const lines = proxy.sessions()[0]!.transcript;
    expect(lines.some((l) => l.includes('data 1: RST to client'))).toBe(true);
  });

  it("stops reading a client's upload while the RST to its control connection waits for it to read the 150", async () => {
    const server = await bareFtpServer(true);
    const proxy = await proxyTo(server, 'reset after STOR +64KiB channel control');
    // The client reads nothing more on its control connection, so the RST waits its grace there; its
    // upload, far more than that grace lets loopback carry, must not go on meanwhile.
    const control = await rawControl(proxy);
    const data = await epsvData(control);
    expect(await control.command('STOR /up.bin')).toBe('150 go');
    const reset = new Promise((resolve) => control.socket.once('close', resolve));
    data.write(randomBytes(32 << 20));
    await reset;
    expect(server.received()).toBeLessThan(4 << 20);
    expect(proxy.sessions()[0]!.transcript.join('\n')).toMatch(/fault fired at data octet 65536: reset after STOR \+64KiB channel control[\s\S]*RST to client/);
  });

  it.each([
    ['told a passive address it has not connected to yet: it may be connecting', [], undefined],
    ['told a blackholed one: its connect may be hanging', [parseFault('dataport blackholed')], undefined],
    ['told a port where nothing listens: refused at once, it leaves on its turn', [parseFault('dataport refused')], true],
  ])('a client that leaves after the 227, %s', async (_what, faults, onTurn) => {
    const { proxy } = await setup(...faults);
    const client = await connectRaw(proxy.port);
    await client.until((t) => t.includes('220 '));
    client.send('USER alice\r\nPASS pw\r\n');
    await client.until((t) => t.includes('230 '));
    client.send('PASV\r\n');
    await client.until((t) => t.includes('227 '));
    client.socket.end();
    await expect.poll(() => proxy.sessions()[0]?.endings).toContain('FIN from client');
    expect(proxy.sessions()[0]?.leftOnTurn).toBe(onTurn);
    client.socket.destroy();
  });

  it('a dataport wrong-address fault sends a PASV client to 127.0.0.2, where nothing listens', async () => {
    const { server, proxy } = await setup(parseFault('dataport wrong-address'));
    const client = await basicFtp(proxy, 'pasv');
    const error = await client.uploadFrom(Readable.from(Buffer.from('x')), '/no.bin').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNREFUSED');
    expect((error as { address?: string }).address).toBe('127.0.0.2');
    client.close();
    await proxy.idle();
    expect(proxy.fired()).toEqual([true]);
    expect(server.files).toEqual([]);
  });

  it("connects onward from the client's own loopback address, so the server's per-address limit counts the client", async () => {
    const server = await startFtpServer({ anonymous: 'write', maxPerAddress: 1 });
    cleanups.push(() => server.close());
    const proxy = await startProxy({ upstream: { host: server.host, port: server.port }, faults: [], protocol: 'ftp' });
    cleanups.push(() => proxy.close());
    const greeting = async (localAddress: string): Promise<string> => {
      const socket = net.connect({ port: proxy.port, host: proxy.host, localAddress });
      cleanups.push(async () => socket.destroy());
      const [chunk] = (await once(socket, 'data')) as [Buffer];
      return chunk.toString('latin1');
    };
    expect(await greeting('127.0.0.2')).toMatch(/^220 /);
    expect(await greeting('127.0.0.2')).toMatch(/^421 Too many connections from your address/);
    expect(await greeting('127.0.0.3')).toMatch(/^220 /);
    expect(proxy.sessions()[0]?.transcript.join('\n')).toMatch(/client connected from 127\.0\.0\.2/);
  });

  it('a dataport blackholed fault gives an EPSV client a port that never answers: its data connect times out (EPSV, then PASV)', async () => {
    const { server, proxy } = await setup(parseFault('dataport blackholed'));
    const client = new Client(500);
    cleanups.push(async () => client.close());
    await client.access({ host: proxy.host, port: proxy.port, user: 'alice', password: 'pw' });
    const error = await client.uploadFrom(Readable.from(Buffer.from('x')), '/no.bin').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(error)).toMatch(/Timeout when trying to open data connection to 127\.0\.0\.1:\d+/);
    client.close();
    await proxy.idle();
    expect(proxy.fired()).toEqual([true]);
    expect(proxy.sessions()[0]?.data?.connections).toBe(0);
    expect(server.files).toEqual([]);
  });

  it('leaves EPSV alone under a wrong-address fault: a 229 carries no address', async () => {
    const { server, proxy } = await setup(parseFault('dataport wrong-address'));
    const client = await basicFtp(proxy, 'epsv');
    await client.uploadFrom(Readable.from(Buffer.from('ok')), '/ok.bin');
    client.close();
    await proxy.idle();
    expect(proxy.fired()).toEqual([false]);
    expect(server.files).toMatchObject([{ path: '/ok.bin', complete: true }]);
  });

  it('a dataport refused fault in active mode leaves the server unable to connect back: 425', async () => {
    const { server, proxy } = await setup(parseFault('dataport refused'));
    const replies = await activeUpload(proxy, '/x.bin', Buffer.from('x'), 'PORT');
    expect(replies.at(-1)).toMatch(/^425 /);
    await proxy.idle();
    expect(server.files).toEqual([]);
    expect(proxy.sessions()[0]?.lastReply).toBe(425); // not 221: the reply to QUIT does not count
  });

  it('closes the listener of a data address no connection reached once a new one is asked for, as the server does', async () => {
    const { server, proxy } = await setup();
    const control = await rawControl(proxy);
    const refused = async (port: number): Promise<string | undefined> => {
      const probe = net.connect(port, '127.0.0.1');
      const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
        probe.once('error', resolve);
        probe.once('connect', () => resolve(undefined));
      });
      probe.destroy();
      return error?.code;
    };
    const epsvPort = async (): Promise<number> => parse229(await control.command('EPSV'))!.port;
    const pasvPort = async (): Promise<number> => parse227(await control.command('PASV'))!.port;
    // Each address asked for replaces the one before: a client asking again and again leaves no listener.
    const stale = [await epsvPort(), await pasvPort()];
    for (let i = 0; i < 50; i++) stale.push(i % 2 ? await pasvPort() : await epsvPort());
    const current = await epsvPort();
    for (const port of new Set(stale)) if (port !== current) expect(await refused(port)).toBe('ECONNREFUSED');
    // The last one still takes its upload, intact.
    const data = net.connect(current, '127.0.0.1');
    await once(data, 'connect');
    expect(await control.command('STOR last.bin')).toMatch(/^150 /);
    data.end('last');
    expect(await control.reply()).toMatch(/^226 /);
    expect(server.files).toMatchObject([{ path: '/last.bin', bytes: 4, complete: true }]);
    // In active mode the address is rewritten as the command passes, ahead of the server (a client may
    // pipeline PORT and STOR pairs): MAX_ACTIVE_WAITING listeners wait, the older ones are closed.
    const active = net.createServer((socket) => socket.end('act'));
    cleanups.push(async () => active.close());
    await new Promise<void>((resolve) => active.listen(0, '127.0.0.1', resolve));
    const { port } = active.address() as net.AddressInfo;
    const ports = MAX_ACTIVE_WAITING + 4;
    for (let i = 0; i < ports; i++) expect(await control.command(`PORT 127,0,0,1,${port >> 8},${port & 255}`)).toMatch(/^200 /);
    const toldServer = /client said .*, server told 127\.0\.0\.1:(\d+)/;
    const told = proxy.sessions()[0]!.transcript.flatMap((line) => Number(toldServer.exec(line)?.[1]) || []);
    expect(told).toHaveLength(ports);
    for (const listener of told.slice(0, 4)) expect(await refused(listener)).toBe('ECONNREFUSED');
    expect(await control.command('STOR act.bin')).toMatch(/^150 /);
    expect(await control.reply()).toMatch(/^226 /);
    expect(server.files).toMatchObject([{ path: '/last.bin' }, { path: '/act.bin', bytes: 3, complete: true }]);
  });

  it('relays pipelined active transfers: PORT, STOR, PORT, STOR in one write, each to its own address', async () => {
    const { server, proxy } = await setup();
    const control = await rawControl(proxy);
    const contents = [randomBytes(70_000), randomBytes(90_000)];
    const listeners = await Promise.all(
      contents.map(async (content) => {
        const listener = net.createServer((socket) => socket.end(content));
        cleanups.push(async () => listener.close());
        await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
        return (listener.address() as net.AddressInfo).port;
      }),
    );
    const port = (p: number): string => `PORT 127,0,0,1,${p >> 8},${p & 255}`;
    control.socket.write(`${port(listeners[0]!)}\r\nSTOR a.bin\r\n${port(listeners[1]!)}\r\nSTOR b.bin\r\n`);
    const replies = [];
    for (let i = 0; i < 6; i++) replies.push((await control.reply()).slice(0, 3));
    expect(replies).toEqual(['200', '150', '226', '200', '150', '226']);
    expect(server.files).toMatchObject([
      { path: '/a.bin', sha256: sha(contents[0]!), complete: true },
      { path: '/b.bin', sha256: sha(contents[1]!), complete: true },
    ]);
  });

  it("answers EPSV with 500 in the server's place, and the client falls back to PASV", async () => {
    const { server, proxy } = await setup(parseFault('reply 500 before EPSV then continue'));
    const client = await basicFtp(proxy, 'epsv');
    await client.uploadFrom(Readable.from(Buffer.from('fallback')), '/fb.bin');
    client.close();
    await proxy.idle();
    expect(server.files).toMatchObject([{ path: '/fb.bin', complete: true }]);
    const [session] = proxy.sessions();
    expect(session?.steps).toEqual(expect.arrayContaining(['EPSV', 'PASV', 'STOR']));
    expect(session?.violations).toEqual([]);
  });
});

describe('FtpData', () => {
  it('finishes a data-address rewrite cut short by the end of the session, and leaves no listener', async () => {
    const control = {
      inject: () => undefined,
      reset: () => undefined,
      close: () => undefined,
      hold: () => undefined,
      swallow: () => undefined,
      shape: () => undefined,
    };
    const data = new FtpData({ host: '127.0.0.1', upstreamHost: '127.0.0.1', transcript: new Transcript(0, 1), faults: [], fire: () => true, control });
    const mark = { kind: 'command', end: 26, verb: 'PORT', line: 'PORT 127,0,0,1,200,10', secret: false } as const;
    const rewriting = data.edit('up', mark);
    data.stopListening(); // the control connection ended before the listener was up
    const line = (await rewriting)!.toString('latin1');
    const port = parsePort(line.slice('PORT '.length).trim())!.port;
    const error = await new Promise<NodeJS.ErrnoException>((resolve) =>
      net
        .connect(port, '127.0.0.1')
        .once('error', resolve)
        .once('connect', () => resolve(new Error('connected'))),
    );
    expect(error.code).toBe('ECONNREFUSED');
  });
});
