/**
 * The mock FTP server's planted-defect knobs (servers/ftp/defects.ts and friends): each one off by
 * default, and each doing exactly the one wrong thing it names when on.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Client } from 'basic-ftp';
import { describe, expect, it } from 'vitest';
import { startFtpServer, type FtpServerHandle, type FtpServerOptions } from '../../servers/ftp.js';
import { connectRaw } from '../../src/probe/raw-connect.js';
import type { RawConnection } from '../../src/probe/raw.js';

/** Starts a server, runs `body` with it, and always closes it. */
async function withServer(options: FtpServerOptions, body: (server: FtpServerHandle) => Promise<void>): Promise<void> {
  const server = await startFtpServer(options);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

/** A raw control connection that has read the greeting; from `localAddress` if given. */
async function connect(server: FtpServerHandle, localAddress?: string): Promise<RawConnection> {
  const result = await connectRaw({ host: server.host, port: server.port, timeoutMs: 3000, ...(localAddress ? { localAddress } : {}) });
  if (!result.ok) throw new Error(`connect failed: ${result.failure.event}`);
  const greeting = await result.conn.readReply();
  expect(greeting.ok && greeting.value.code).toBe(220);
  return result.conn;
}

/** Sends `line` and returns the reply's code and lines joined (or the event that came instead). */
async function ask(conn: RawConnection, line: string): Promise<string> {
  const reply = await conn.command(line);
  return reply.ok ? `${reply.value.code} ${reply.value.lines.join('\n')}` : reply.event;
}

/** Connects and logs in as anonymous (230 at USER). */
async function login(server: FtpServerHandle, localAddress?: string): Promise<RawConnection> {
  const conn = await connect(server, localAddress);
  expect(await ask(conn, 'USER anonymous')).toMatch(/^230/);
  return conn;
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('the mock FTP server by default', () => {
  it('answers EPSV, honours EPSV ALL (PASV, PORT and EPRT refused after it), and answers SIZE', async () => {
    await withServer({ files: { 'f.bin': Buffer.alloc(7) } }, async (server) => {
      const conn = await login(server);
      // Without FTPS the mock lists no AUTH TLS, PBSZ or PROT (RFC 2389: only what works).
      expect(await ask(conn, 'FEAT')).toBe('211 Extensions supported\n MDTM\n SIZE\n TYPE A,I,L\n UTF8\nEnd');
      expect(await ask(conn, 'SIZE f.bin')).toBe('213 7');
      expect(await ask(conn, 'EPSV')).toMatch(/^229 .*\(\|\|\|\d+\|\)/);
      expect(await ask(conn, 'PASV')).toMatch(/^227 /);
      expect(await ask(conn, 'EPSV ALL')).toMatch(/^200 /);
      expect(await ask(conn, 'PASV')).toMatch(/^550 PASV not allowed after EPSV ALL/);
      expect(await ask(conn, 'PORT 127,0,0,1,200,1')).toMatch(/^550 /);
      expect(await ask(conn, 'EPRT |1|127.0.0.1|51201|')).toMatch(/^550 /);
      expect(await ask(conn, 'EPSV')).toMatch(/^229 /);
      conn.destroy();
    });
  });

  it('refuses a session over maxSessions with 421 before any greeting', async () => {
    await withServer({ maxSessions: 1 }, async (server) => {
      const first = await login(server);
      const second = await connectRaw({ host: server.host, port: server.port, timeoutMs: 3000 });
      if (!second.ok) throw new Error('connect failed');
      const reply = await second.conn.readReply();
      expect(reply.ok && reply.value.code).toBe(421);
      expect((await second.conn.waitForEnd()).end).toBe('closed');
      first.destroy();
    });
  });
});

describe('epsv', () => {
  it("'off' answers EPSV and EPSV ALL with 502 and leaves PASV working", async () => {
    await withServer({ epsv: 'off' }, async (server) => {
      const conn = await login(server);
      expect(await ask(conn, 'EPSV')).toMatch(/^502 /);
      expect(await ask(conn, 'EPSV ALL')).toMatch(/^502 /);
      expect(await ask(conn, 'PASV')).toMatch(/^227 /);
      conn.destroy();
    });
  });

  it("'unknown' answers EPSV with 500, as a server that never heard of it", async () => {
    await withServer({ epsv: 'unknown' }, async (server) => {
      const conn = await login(server);
      expect(await ask(conn, 'EPSV')).toMatch(/^500 'EPSV': command not understood/);
      conn.destroy();
    });
  });
});

describe('sizeCommand', () => {
  it("'off' answers SIZE with 502 and leaves SIZE out of FEAT (and only SIZE, beside the TLS lines of a mock without FTPS)", async () => {
    await withServer({ sizeCommand: 'off', files: { 'f.bin': Buffer.alloc(7) } }, async (server) => {
      const conn = await login(server);
      const feat = await ask(conn, 'FEAT');
      expect(feat).toBe('211 Extensions supported\n MDTM\n TYPE A,I,L\n UTF8\nEnd');
      expect(await ask(conn, 'SIZE f.bin')).toMatch(/^502 /);
      expect(await ask(conn, 'MDTM f.bin')).toMatch(/^213 \d{14}/);
      conn.destroy();
    });
  });

  it("'advertised-only' lists SIZE in FEAT but answers it with 502", async () => {
    await withServer({ sizeCommand: 'advertised-only', files: { 'f.bin': Buffer.alloc(7) } }, async (server) => {
      const conn = await login(server);
      expect(await ask(conn, 'FEAT')).toMatch(/\n SIZE\n/);
      expect(await ask(conn, 'SIZE f.bin')).toMatch(/^502 /);
      conn.destroy();
    });
  });
});

describe('restRule, optsUtf8, epsvAllRefuses', () => {
  it('by default takes REST in ASCII type and before anything, and OPTS UTF8 ON', async () => {
    await withServer({}, async (server) => {
      const conn = await login(server);
      expect(await ask(conn, 'REST 10')).toMatch(/^350 /);
      expect(await ask(conn, 'EPSV')).toMatch(/^229 /);
      expect(await ask(conn, 'OPTS UTF8 ON')).toMatch(/^200 /);
      conn.destroy();
    });
  });

  it("'binary-only' lists REST STREAM and answers REST with 504 until TYPE I", async () => {
    await withServer({ restRule: 'binary-only' }, async (server) => {
      const conn = await login(server);
      expect(await ask(conn, 'FEAT')).toMatch(/\n REST STREAM\n/);
      expect(await ask(conn, 'REST 0')).toBe('504 REST not allowed in ASCII mode');
      expect(await ask(conn, 'TYPE I')).toMatch(/^200 /);
      expect(await ask(conn, 'REST 0')).toMatch(/^350 /);
      expect(await ask(conn, 'TYPE A')).toMatch(/^200 /);
      expect(await ask(conn, 'REST 0')).toMatch(/^504 /);
      conn.destroy();
    });
  });

  it("'immediate' answers 503 to a command between REST and the transfer, and takes REST right before it", async () => {
    await withServer({ restRule: 'immediate' }, async (server) => {
      const conn = await login(server);
      expect(await ask(conn, 'REST 10')).toMatch(/^350 /);
      expect(await ask(conn, 'PASV')).toBe('503 REST must be followed by RETR, STOR or APPE; restart cancelled');
      expect(await ask(conn, 'PASV')).toMatch(/^227 /);
      conn.destroy();
    });
  });

  it("optsUtf8 'refuse' answers OPTS UTF8 ON with 501; epsvAllRefuses ['PASV'] lets PORT and EPRT through after EPSV ALL", async () => {
    await withServer({ optsUtf8: 'refuse', epsvAllRefuses: ['PASV'] }, async (server) => {
      const conn = await login(server);
      expect(await ask(conn, 'OPTS UTF8 ON')).toBe('501 OPTS: UTF8 is always on');
      expect(await ask(conn, 'EPSV ALL')).toMatch(/^200 /);
      expect(await ask(conn, 'PASV')).toMatch(/^550 /);
      expect(await ask(conn, 'PORT 127,0,0,1,200,1')).toMatch(/^200 /);
      expect(await ask(conn, 'EPRT |1|127.0.0.1|51201|')).toMatch(/^200 /);
      conn.destroy();
    });
  });
});

describe('truncateUploadsAt', () => {
  it('keeps only the first N octets of an upload and still answers 226', async () => {
    await withServer({ users: { alice: 'pw' }, truncateUploadsAt: 1000 }, async (server) => {
      const payload = randomBytes(100_000);
      const client = new Client(10_000);
      try {
        await client.access({ host: server.host, port: server.port, user: 'alice', password: 'pw' });
        expect((await client.uploadFrom(Readable.from(payload), 'big.bin')).code).toBe(226);
        expect(await client.size('big.bin')).toBe(1000);
        expect((await client.appendFrom(Readable.from(Buffer.from('more')), 'big.bin')).code).toBe(226);
      } finally {
        client.close();
      }
      expect(server.files.map((f) => [f.path, f.bytes, f.received, f.complete])).toEqual([
        ['/big.bin', 1000, 100_000, true],
        ['/big.bin', 1000, 4, true],
      ]);
      expect(server.files[0]?.sha256).toBe(sha256(payload.subarray(0, 1000)));
      expect(server.read('big.bin')?.equals(payload.subarray(0, 1000))).toBe(true);
    });
  });

  it('is off by default (0) and refuses a negative or fractional count', async () => {
    await expect(startFtpServer({ truncateUploadsAt: -1 })).rejects.toThrow(RangeError);
    await expect(startFtpServer({ truncateUploadsAt: 1.5 })).rejects.toThrow(RangeError);
  });
});

describe('idleClose', () => {
  it("'reply' (the default) sends 421 before closing an idle control connection", async () => {
    await withServer({ idleTimeoutMs: 300 }, async (server) => {
      const conn = await login(server);
      const reply = await conn.readReply(3000);
      expect(reply.ok && reply.value.code).toBe(421);
      expect((await conn.waitForEnd(3000)).end).toBe('closed');
    });
  });

  it("'silent' closes an idle control connection with a FIN and no reply", async () => {
    await withServer({ idleTimeoutMs: 300, idleClose: 'silent' }, async (server) => {
      const conn = await login(server);
      const reply = await conn.readReply(3000);
      expect(reply.ok ? reply.value.code : reply.end).toBe('closed');
      expect(reply.ms).toBeGreaterThanOrEqual(200);
      expect(conn.pending).toBe('');
    });
  });

  it("'reset' closes an idle control connection with an RST", async () => {
    await withServer({ idleTimeoutMs: 300, idleClose: 'reset' }, async (server) => {
      const conn = await login(server);
      const reply = await conn.readReply(3000);
      expect(reply.ok ? reply.value.code : reply.end).toBe('rst');
    });
  });
});

describe("sessionLimitReply '530'", () => {
  it('greets a session over maxSessions, then refuses it at PASS with 530 and closes it', async () => {
    await withServer({ users: { alice: 'pw' }, maxSessions: 1, sessionLimitReply: '530' }, async (server) => {
      const first = await connect(server);
      expect(await ask(first, 'USER alice')).toMatch(/^331/);
      expect(await ask(first, 'PASS pw')).toMatch(/^230/);
      const second = await connect(server);
      expect(await ask(second, 'USER alice')).toMatch(/^331/);
      expect(await ask(second, 'PASS pw')).toBe('530 Sorry, the maximum number of clients (1) are already connected.');
      expect((await second.waitForEnd()).end).toBe('closed');
      first.destroy();
      await server.idle();
      const third = await connect(server);
      expect(await ask(third, 'USER alice')).toMatch(/^331/);
      expect(await ask(third, 'PASS pw')).toMatch(/^230/);
      third.destroy();
    });
  });

  it('refuses a session over maxPerAddress at PASS, while another client address gets in', async () => {
    await withServer({ maxPerAddress: 1, sessionLimitReply: '530' }, async (server) => {
      const first = await login(server, '127.0.0.1');
      const second = await connect(server, '127.0.0.1');
      expect(await ask(second, 'USER anonymous')).toMatch(/^331/);
      expect(await ask(second, 'PASS x')).toBe('530 Sorry, the maximum number of clients (1) from your host are already connected.');
      const other = await login(server, '127.0.0.2');
      other.destroy();
      first.destroy();
    });
  });
});
