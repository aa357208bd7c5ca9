import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { Client } from 'basic-ftp';
import { describe, expect, it } from 'vitest';
import { withPrivateTmp } from '../helpers/private-tmp.js';
import { freePortRange, portFree, type LaunchedServer, type ProcessLauncher } from '../../servers/real/common.js';
import { createProftpdLauncher, proftpdLauncher } from '../../servers/real/proftpd.js';
import { createPureFtpdLauncher, pureFtpdLauncher } from '../../servers/real/pure-ftpd.js';
import { ServerNotInstalled, type RealServerOptions } from '../../servers/real/types.js';
import { createVsftpdLauncher, vsftpdLauncher } from '../../servers/real/vsftpd.js';

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

  /** Connects to 127.0.0.1:port, from `localAddress` when given (127.0.0.2, .3 ... are separate clients). */
  static async connect(port: number, localAddress?: string): Promise<RawFtp> {
    const socket = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawFtp(socket);
  }

  /** Connects, expects the 220 greeting and logs in with the server's account. */
  static async login(server: LaunchedServer, localAddress?: string): Promise<RawFtp> {
    const client = await RawFtp.connect(server.port, localAddress);
    expect(await client.reply()).toMatch(/^220 /m);
    expect(await client.logIn(server)).toMatch(/^230 /);
    return client;
  }

  /** USER then PASS (when asked for); the last reply. */
  async logIn(server: LaunchedServer): Promise<string> {
    const login = server.login ?? { user: 'anonymous', password: 'guest' };
    const reply = await this.command(`USER ${login.user}`);
    return reply.startsWith('331') ? this.command(`PASS ${login.password}`) : reply;
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
}

/** Starts a server, runs `body` with it, and always closes it. */
async function withServer(launcher: ProcessLauncher, options: RealServerOptions, body: (server: LaunchedServer) => Promise<void>): Promise<void> {
  const server = await launcher.start(options);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

/** Closes every raw connection (the server is closed after them). */
const hangUp = (clients: readonly RawFtp[]): void => {
  for (const client of clients) client.socket.destroy();
};

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Whether no process (or process group, for a negative id) `id` exists: kill(id, 0) fails with ESRCH. */
function gone(id: number): boolean {
  try {
    process.kill(id, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Entries of the OS temp dir starting with `prefix`. */

/** Pids of processes whose command line mentions `text`. */
async function processesMentioning(text: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const lines = await Promise.all(
    pids.map((pid) =>
      readFile(`/proc/${pid}/cmdline`, 'utf8').then(
        (line) => [pid, line] as const,
        () => [pid, ''] as const,
      ),
    ),
  );
  return lines.filter(([pid, line]) => line.includes(text) && Number(pid) !== process.pid).map(([pid]) => Number(pid));
}

/** What differs between the servers: how they refuse, what they cannot do. */
interface Case {
  readonly launcher: ProcessLauncher;
  readonly create: (where: { binary?: string; serversRoot?: string; isolate?: 'auto' | 'never' }) => ProcessLauncher;
  /** The prefix of its private directory. */
  readonly prefix: string;
  /** Where the session past a limit is refused: at connect (instead of the greeting) or after PASS. */
  readonly refusedAt: 'connect' | 'pass';
  readonly tooMany: RegExp;
  readonly tooManyFromAddress: RegExp;
  /** The reply to PORT/EPRT with active mode off; undefined: the server cannot refuse them (unsupported). */
  readonly activeOff?: RegExp;
  /** The idle timeout reply after 1 s; undefined: the server cannot time out that fast (unsupported). */
  readonly idle?: RegExp;
  /** The reply to STOR when the passive data connection comes from another address than the control one, where tested. */
  readonly foreignData?: RegExp;
  /** Options it refuses, each with a piece of the reason. */
  readonly refuses: ReadonlyArray<readonly [RealServerOptions, RegExp]>;
  /** Options it takes. */
  readonly takes: readonly RealServerOptions[];
}

const COMMON_REFUSALS: ReadonlyArray<readonly [RealServerOptions, RegExp]> = [
  [{ pasvAddress: '10.0.0.1' }, /loopback/],
  [{ maxSessions: 0 }, /maxSessions must be a positive integer/],
  [{ pasvRange: [3000, 2000] }, /pasvRange/],
  [{ messageSizeLimit: 1000 }, /SMTP/],
];

const CASES: readonly Case[] = [
  {
    launcher: vsftpdLauncher,
    create: createVsftpdLauncher,
    prefix: 'wireprobe-vsftpd-',
    refusedAt: 'connect',
    tooMany: /^421 There are too many connected users, please try later\.$/,
    tooManyFromAddress: /^421 There are too many connections from your internet address\.$/,
    activeOff: /^550 Permission denied\.$/,
    idle: /^421 Timeout\.$/,
    foreignData: /^425 Security: Bad IP connecting\.$/,
    refuses: [...COMMON_REFUSALS, [{ idleTimeoutMs: 1500 }, /whole seconds/], [{ dataTimeoutMs: 500 }, /whole seconds/]],
    takes: [{}, { idleTimeoutMs: 1000, dataTimeoutMs: 30_000, active: 'off', tls: true, maxSessions: 3, maxPerAddress: 2, pasvAddress: '127.0.0.2' }],
  },
  {
    launcher: pureFtpdLauncher,
    create: createPureFtpdLauncher,
    prefix: 'wireprobe-pure-ftpd-',
    refusedAt: 'connect',
    tooMany: /^421 2 users \(the maximum\) are already logged in, sorry$/,
    tooManyFromAddress: /^421 Too many connections \(2\) from this IP$/,
    refuses: [
      ...COMMON_REFUSALS,
      [{ idleTimeoutMs: 30_000 }, /whole minutes/],
      [{ idleTimeoutMs: 90_000 }, /whole minutes/],
      [{ idleTimeoutMs: 120_000, dataTimeoutMs: 60_000 }, /dataTimeoutMs must equal the idle timeout/],
      [{ dataTimeoutMs: 60_000 }, /dataTimeoutMs must equal the idle timeout \(900000 ms\)/],
      [{ active: 'off' }, /cannot refuse PORT\/EPRT/],
    ],
    takes: [{}, { idleTimeoutMs: 120_000, dataTimeoutMs: 120_000, active: 'on', tls: true, maxSessions: 3, maxPerAddress: 2 }],
  },
  {
    launcher: proftpdLauncher,
    create: createProftpdLauncher,
    prefix: 'wireprobe-proftpd-',
    refusedAt: 'pass',
    tooMany: /^530 Sorry, the maximum number of allowed clients \(2\) are already connected\.$/,
    tooManyFromAddress: /^530 Sorry, the maximum number of clients \(2\) from your host are already connected\.$/,
    activeOff: /^501 (PORT|EPRT): Operation not permitted$/,
    idle: /^421 Idle timeout \(1 seconds\): closing control connection$/,
    refuses: [...COMMON_REFUSALS, [{ idleTimeoutMs: 2500 }, /whole seconds/], [{ dataTimeoutMs: 100 }, /whole seconds/]],
    takes: [{}, { idleTimeoutMs: 1000, dataTimeoutMs: 2000, active: 'off', tls: true, maxSessions: 3, maxPerAddress: 2 }],
  },
];

describe.each(CASES)('$launcher.name (real)', (c) => {
  const name = c.launcher.name;

  /** Connects from `from` and expects to be turned away with `reply`, where the server refuses. */
  async function refused(server: LaunchedServer, from: string, reply: RegExp): Promise<void> {
    const client = await RawFtp.connect(server.port, from);
    if (c.refusedAt === 'pass') {
      expect(await client.reply()).toMatch(/^220 /m);
      expect(await client.logIn(server)).toMatch(reply);
    } else {
      expect(await client.reply()).toMatch(reply);
    }
    await client.closed;
  }

  it('is installed (scripts/install/ftp-servers.sh)', async () => {
    expect(await c.launcher.installed()).toBe(true);
    expect(c.launcher.protocol).toBe('ftp');
  });

  it('greets with 220, lets handle.login in and stores a 1 MiB passive upload byte for byte', async () => {
    const pasvRange = await freePortRange(4);
    await withServer(c.launcher, { port: 0, pasvRange, pasvAddress: '127.0.0.1' }, async (server) => {
      expect(server).toMatchObject({ name, protocol: 'ftp', host: '127.0.0.1', url: `ftp://127.0.0.1:${server.port}` });
      const login = server.login as NonNullable<LaunchedServer['login']>;
      const raw = await RawFtp.login(server);
      const epsv = Number(/\(\|\|\|(\d+)\|\)/.exec(await raw.command('EPSV'))?.[1]);
      expect(epsv).toBeGreaterThanOrEqual(pasvRange[0]);
      expect(epsv).toBeLessThanOrEqual(pasvRange[1]);
      expect(await raw.command('PASV')).toMatch(/^227 .*\(127,0,0,1,\d+,\d+\)/);
      hangUp([raw]);

      const payload = randomBytes(1 << 20);
      const remote = `${login.dir.replace(/\/$/, '')}/up.bin`;
      const client = new Client(10_000);
      try {
        await client.access({ host: server.host, port: server.port, user: login.user, password: login.password, secure: false });
        expect((await client.uploadFrom(Readable.from(payload), remote)).code).toBe(226);
      } finally {
        client.close();
      }
      const stored = await server.read?.(remote);
      expect(stored && sha256(stored)).toBe(sha256(payload));
      expect(existsSync(`${server.storage}/up.bin`)).toBe(true);
      expect(await server.read?.(`${login.dir}/missing.bin`)).toBeUndefined();
    });
  });

  it('takes a passive upload whose control and data connections both come from 127.0.0.2, as the fault proxy connects', async () => {
    await withServer(c.launcher, {}, async (server) => {
      const login = server.login as NonNullable<LaunchedServer['login']>;
      const raw = await RawFtp.login(server, '127.0.0.2');
      const upload = async (from: string, name: string, payload: Buffer): Promise<string> => {
        expect(await raw.command('TYPE I')).toMatch(/^200 /);
        const port = Number(/\(\|\|\|(\d+)\|\)/.exec(await raw.command('EPSV'))?.[1]);
        const data = net.connect({ port, host: '127.0.0.1', localAddress: from }).on('error', () => undefined);
        await new Promise((resolve) => data.once('connect', resolve));
        const first = await raw.command(`STOR ${login.dir.replace(/\/$/, '')}/${name}`);
        data.end(payload);
        return first.startsWith('150') ? raw.reply() : first;
      };
      const payload = randomBytes(300_000);
      expect(await upload('127.0.0.2', 'same.bin', payload)).toMatch(/^226[ -]/);
      expect((await server.read?.(`${login.dir}/same.bin`))?.equals(payload)).toBe(true);
      if (c.foreignData) expect(await upload('127.0.0.1', 'foreign.bin', payload)).toMatch(c.foreignData);
      hangUp([raw]);
    });
  });

  it('turns away the session past maxSessions as measured', async () => {
    await withServer(c.launcher, { maxSessions: 2 }, async (server) => {
      const clients = [await RawFtp.login(server, '127.0.0.2'), await RawFtp.login(server, '127.0.0.3')];
      try {
        await refused(server, '127.0.0.4', c.tooMany);
        expect(await clients[0]?.command('NOOP')).toMatch(/^200 /);
      } finally {
        hangUp(clients);
      }
    });
  });

  it('turns away the third session from 127.0.0.2 with maxPerAddress 2 and still lets 127.0.0.3 in', async () => {
    await withServer(c.launcher, { maxPerAddress: 2 }, async (server) => {
      const clients = [await RawFtp.login(server, '127.0.0.2'), await RawFtp.login(server, '127.0.0.2')];
      try {
        await refused(server, '127.0.0.2', c.tooManyFromAddress);
        clients.push(await RawFtp.login(server, '127.0.0.3'));
      } finally {
        hangUp(clients);
      }
    });
  });

  if (c.activeOff) {
    const reply = c.activeOff;
    it('refuses PORT and EPRT when active mode is off, and still offers passive mode', async () => {
      await withServer(c.launcher, { active: 'off' }, async (server) => {
        const raw = await RawFtp.login(server);
        expect(await raw.command('PORT 127,0,0,1,200,10')).toMatch(reply);
        expect(await raw.command('EPRT |1|127.0.0.1|51210|')).toMatch(reply);
        expect(await raw.command('PASV')).toMatch(/^227 /);
        hangUp([raw]);
      });
    });
  } else {
    it('says it cannot refuse active mode, and takes PORT with active mode on', async () => {
      expect(c.launcher.unsupported({ active: 'off' })).toMatch(/PORT/);
      await expect(c.launcher.start({ active: 'off' })).rejects.toThrow(RangeError);
      await withServer(c.launcher, { active: 'on' }, async (server) => {
        const raw = await RawFtp.login(server);
        expect(await raw.command('PORT 127,0,0,1,200,10')).toMatch(/^200 /);
        hangUp([raw]);
      });
    });
  }

  if (c.idle) {
    const reply = c.idle;
    it('closes a control connection idle for idleTimeoutMs with its 421', async () => {
      await withServer(c.launcher, { idleTimeoutMs: 1000 }, async (server) => {
        // Taken before the login: the server's idle clock starts at its last reply, after this, whatever
        // the load; taken after, a 230 read late left less than the timeout between the two.
        const started = Date.now();
        const raw = await RawFtp.login(server);
        expect(await raw.reply()).toMatch(reply);
        await raw.closed;
        expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      });
    });
  } else {
    it('says it cannot time out an idle connection in less than a whole minute', () => {
      expect(c.launcher.unsupported({ idleTimeoutMs: 1000 })).toMatch(/whole minutes/);
      expect(c.launcher.unsupported({ idleTimeoutMs: 60_000 })).toBeUndefined();
    });
  }

  it('offers AUTH TLS with a localhost certificate when tls is on', async () => {
    await withServer(c.launcher, { tls: true }, async (server) => {
      const login = server.login as NonNullable<LaunchedServer['login']>;
      const client = new Client(10_000);
      try {
        await client.access({
          host: server.host,
          port: server.port,
          user: login.user,
          password: login.password,
          secure: true,
          secureOptions: { rejectUnauthorized: false },
        });
        expect((client.ftp.socket as TLSSocket).getPeerCertificate().subject?.CN).toBe('localhost');
        const payload = randomBytes(100_000);
        const remote = `${login.dir.replace(/\/$/, '')}/tls.bin`;
        expect((await client.uploadFrom(Readable.from(payload), remote)).code).toBe(226);
        expect((await server.read?.(remote))?.equals(payload)).toBe(true);
      } finally {
        client.close();
      }
    });
  });

  for (const isolate of ['auto', 'never'] as const) {
    it(`leaves no process, port or directory behind after close() with sessions open (isolate ${isolate})`, async () => {
      const server = await c.create({ isolate }).start();
      try {
        const clients = [await RawFtp.login(server), await RawFtp.login(server, '127.0.0.2')];
        const data = net.connect(Number(/\(\|\|\|(\d+)\|\)/.exec((await clients[0]?.command('EPSV')) ?? '')?.[1]), '127.0.0.1').on('error', () => undefined);
        await new Promise((resolve) => data.once('connect', resolve));
        const pids = await server.processes();
        expect(pids.length).toBeGreaterThanOrEqual(3); // the server and two sessions at least
        expect(await portFree(server.port)).toBe(false);
        await server.close();
        expect(pids.filter((pid) => !gone(pid))).toEqual([]);
        expect(gone(-server.pid)).toBe(true);
        expect(await portFree(server.port)).toBe(true);
        expect(existsSync(server.storage)).toBe(false);
        await Promise.all(clients.map((client) => client.closed));
        data.destroy();
        await server.close(); // idempotent
      } finally {
        await server.close();
      }
    });
  }

  it('rejects with ServerNotInstalled when its binary is missing, leaving nothing behind', async () => {
    const missing = c.create({ binary: `wireprobe-no-such-${name}`, serversRoot: '/nonexistent' });
    expect(await missing.installed()).toBe(false);
    const { result: error, left } = await withPrivateTmp(() => missing.start().catch((e: unknown) => e));
    expect(error).toBeInstanceOf(ServerNotInstalled);
    expect((error as ServerNotInstalled).message).toMatch(new RegExp(`^${name} not found: `));
    expect((error as ServerNotInstalled).message).toContain(c.launcher.install);
    expect(left).toEqual([]);
  });

  it('rejects with its output when it cannot bind its port, leaving no process or directory behind', async () => {
    const taken = net.createServer().listen(0, '127.0.0.1');
    try {
      await new Promise((resolve) => taken.once('listening', resolve));
      const { port } = taken.address() as net.AddressInfo;
      // Its private directory goes in a temporary directory of this test's own (other tests start the same server meanwhile).
      const { left } = await withPrivateTmp(async (tmp) => {
        await expect(c.launcher.start({ port })).rejects.toThrow(new RegExp(`^${name} (exited|gave no 220)`));
        expect(await processesMentioning(tmp)).toEqual([]);
      });
      expect(left).toEqual([]);
    } finally {
      taken.close();
    }
  });

  it('says which options it cannot honour and refuses to start with them', async () => {
    for (const [options, reason] of c.refuses) expect(c.launcher.unsupported(options), JSON.stringify(options)).toMatch(reason);
    for (const options of c.takes) expect(c.launcher.unsupported(options), JSON.stringify(options)).toBeUndefined();
    await expect(c.launcher.start({ pasvAddress: '192.0.2.1' })).rejects.toThrow(RangeError);
  });
});
