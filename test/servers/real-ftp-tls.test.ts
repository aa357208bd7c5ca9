import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Client } from 'basic-ftp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curlFtpClient } from '../../src/clients/curl-ftp.js';
import { ftplibClient } from '../../src/clients/ftplib.js';
import { lftpClient } from '../../src/clients/lftp.js';
import type { ClientReport, FtpClientAdapter, FtpJob, TlsMode } from '../../src/clients/types.js';
import { createPrivateCa, type PrivateCa, writeCaFile } from '../../src/tls/ca.js';
import type { LaunchedServer, ProcessLauncher } from '../../servers/real/common.js';
import { proftpdLauncher } from '../../servers/real/proftpd.js';
import { pureFtpdLauncher } from '../../servers/real/pure-ftpd.js';
import type { RealServerOptions } from '../../servers/real/types.js';
import { vsftpdLauncher } from '../../servers/real/vsftpd.js';
import { contentOf } from '../../src/util/content.js';

/** Another helper adds the implicit modes to TlsMode; until then they are strings the adapters compare. */
const IMPLICIT_VERIFY = 'implicit-verify' as TlsMode;

let ca: PrivateCa;
let caDir: string;
let caFile: string;

beforeAll(async () => {
  ca = await createPrivateCa();
  caDir = await mkdtemp(join(tmpdir(), 'wireprobe-test-ca-'));
  caFile = await writeCaFile(ca, caDir);
});

afterAll(async () => {
  await rm(caDir, { recursive: true, force: true });
});

/**
 * Starts `launcher` with TLS on, a certificate from the private CA, and TLS 1.2 at most (vsftpd 3.0.3
 * over TLS 1.3 fails uploads with 426 about half the time: see RealServerOptions.tlsMaxVersion).
 */
async function withServer(launcher: ProcessLauncher, options: RealServerOptions, task: (server: LaunchedServer) => Promise<void>): Promise<void> {
  const server = await launcher.start({ tls: true, tlsCertificate: await ca.issue(), tlsMaxVersion: 'TLSv1.2', ...options });
  try {
    await task(server);
  } finally {
    await server.close();
  }
}

/** Uploads 256 KiB with `client` over TLS (`tls`, verified against the private CA by default); the report and what the server stored. */
async function upload(client: FtpClientAdapter, server: LaunchedServer, tls: TlsMode = 'starttls-verify', withCa = true) {
  const login = server.login as NonNullable<LaunchedServer['login']>;
  const data = randomBytes(256 * 1024);
  const path = `${login.dir.replace(/\/$/, '')}/${client.name}-${randomBytes(4).toString('hex')}.bin`;
  const job: FtpJob = {
    host: '127.0.0.1',
    port: server.port,
    user: login.user,
    password: login.password,
    mode: 'passive',
    direction: 'upload',
    path,
    content: contentOf(data),
    timeouts: { connect: 5000, greeting: 5000, socket: 5000, deadline: 20_000 },
    tls,
    ...(withCa ? { ca: caFile } : {}),
  };
  const report: ClientReport = await client.run(job, new AbortController().signal);
  const stored = await server.read?.(path);
  return { report, intact: stored?.equals(data) === true };
}

/** A failed report's message ('' for a success). */
function messageOf(report: ClientReport | undefined): string {
  return report && !report.ok ? report.error.message : '';
}

/** Each client uploads at once (one session each); every upload succeeds and is stored byte for byte. */
async function uploadsIntact(clients: readonly FtpClientAdapter[], server: LaunchedServer, tls: TlsMode = 'starttls-verify'): Promise<void> {
  const results = await Promise.all(clients.map((client) => upload(client, server, tls)));
  results.forEach(({ report, intact }, i) => {
    expect(report, clients[i]?.name).toMatchObject({ ok: true });
    expect(intact, clients[i]?.name).toBe(true);
  });
}

/** basic-ftp (secure: true, resuming the TLS session on data connections) uploading over AUTH TLS; its final reply code. */
async function basicFtpUpload(server: LaunchedServer): Promise<number> {
  const login = server.login as NonNullable<LaunchedServer['login']>;
  const client = new Client(5000);
  try {
    await client.access({ host: '127.0.0.1', port: server.port, user: login.user, password: login.password, secure: true, secureOptions: { ca: ca.cert } });
    const response = await client.uploadFrom(Readable.from(randomBytes(64 * 1024)), `${login.dir.replace(/\/$/, '')}/basic.bin`);
    return response.code;
  } finally {
    client.close();
  }
}

/** The first reply to `line` on a plain (no TLS) control connection, after the greeting. */
async function plainReply(port: number, line: string): Promise<string> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.setEncoding('latin1');
  let text = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      let sent = false;
      socket.on('error', reject);
      socket.on('close', () => resolve(text.trim()));
      socket.on('data', (chunk: string) => {
        text += chunk;
        if (!sent && /^220 .*\r\n/m.test(text)) {
          sent = true;
          text = '';
          socket.write(`${line}\r\n`);
        } else if (sent && /^\d{3} .*\r\n/m.test(text)) resolve(text.trim());
      });
    });
  } finally {
    socket.destroy();
  }
}

describe('vsftpd with TLS (real)', () => {
  it('requires session reuse by default: curl, lftp and basic-ftp resume it and upload; ftplib does not and gets 522', async () => {
    await withServer(vsftpdLauncher, {}, async (server) => {
      expect(server.tls).toEqual({ explicit: true, required: false, requireReuse: true });
      await uploadsIntact([curlFtpClient, lftpClient], server);
      expect(await basicFtpUpload(server)).toBe(226);
      const ftplib = await upload(ftplibClient, server);
      expect(ftplib.report).toMatchObject({ ok: false, error: { responseCode: 522, command: 'storbinary' } });
      expect(messageOf(ftplib.report)).toMatch(/522 SSL connection failed: session reuse required/);
    });
  });

  it('with require_ssl_reuse=NO lets ftplib upload too, and curl and lftp still do', async () => {
    await withServer(vsftpdLauncher, { tlsSessionReuse: false }, async (server) => {
      expect(server.tls).toEqual({ explicit: true, required: false, requireReuse: false });
      await uploadsIntact([curlFtpClient, lftpClient, ftplibClient], server);
    });
  });

  it('with tlsRequired refuses a clear-text login with 530', async () => {
    await withServer(vsftpdLauncher, { tlsRequired: true }, async (server) => {
      expect(server.tls).toMatchObject({ explicit: true, required: true });
      expect(await plainReply(server.port, 'USER anonymous')).toBe('530 Anonymous sessions must use encryption.');
    });
  });

  it('with tlsImplicit (implicit_ssl) speaks TLS from the first byte: curl, lftp and ftplib upload over implicit FTPS', async () => {
    await withServer(vsftpdLauncher, { tlsImplicit: true, tlsSessionReuse: false }, async (server) => {
      expect(server.tls).toEqual({ explicit: false, implicitPort: server.port, required: false, requireReuse: false });
      await uploadsIntact([curlFtpClient, lftpClient, ftplibClient], server, IMPLICIT_VERIFY);
    });
  });

  it('a verifying client without the private CA refuses the certificate: curl exit 60, lftp exit 1, ftplib SSLCertVerificationError', async () => {
    await withServer(vsftpdLauncher, {}, async (server) => {
      const [curl, lftp, ftplib] = await Promise.all([curlFtpClient, lftpClient, ftplibClient].map((c) => upload(c, server, 'starttls-verify', false)));
      expect(curl?.report).toMatchObject({ ok: false, error: { exitCode: 60 } });
      expect(lftp?.report).toMatchObject({ ok: false, error: { exitCode: 1 } });
      expect(ftplib?.report).toMatchObject({ ok: false, error: { code: 'SSLCertVerificationError', command: 'login' } });
    });
  });
});

describe('vsftpd without TLS (real)', () => {
  it('refuses AUTH TLS (530): curl exit 64, lftp exit 1, ftplib error_perm 530 at login; none logs in in clear text', async () => {
    const server = await vsftpdLauncher.start({});
    try {
      expect(server.tls).toBeUndefined();
      const [curl, lftp, ftplib] = await Promise.all([curlFtpClient, lftpClient, ftplibClient].map((c) => upload(c, server)));
      expect(curl?.report).toMatchObject({ ok: false, error: { exitCode: 64 } });
      expect(lftp?.report).toMatchObject({ ok: false, error: { exitCode: 1 } });
      expect(messageOf(lftp?.report)).toMatch(/ftp:ssl-force is set and server does not support or allow SSL/);
      expect(ftplib?.report).toMatchObject({ ok: false, error: { code: 'error_perm', responseCode: 530, command: 'login' } });
    } finally {
      await server.close();
    }
  });
});

describe('pure-ftpd with TLS (real)', () => {
  it('with tlsRequired (-Y 2) refuses a clear-text login and takes uploads over TLS, never requiring session reuse (ftplib uploads)', async () => {
    await withServer(pureFtpdLauncher, { tlsRequired: true }, async (server) => {
      expect(server.tls).toEqual({ explicit: true, required: true, requireReuse: false });
      expect(await plainReply(server.port, 'USER wireprobe')).toMatch(/^421-Sorry, cleartext sessions and weak ciphers are not accepted on this server\./);
      await uploadsIntact([curlFtpClient, lftpClient, ftplibClient], server);
    });
  });
});

describe('proftpd with TLS (real)', () => {
  it('with tlsSessionReuse refuses ftplib data connections; curl and lftp resume and upload', async () => {
    await withServer(proftpdLauncher, { tlsSessionReuse: true, tlsRequired: true }, async (server) => {
      expect(server.tls).toEqual({ explicit: true, required: true, requireReuse: true });
      expect(await plainReply(server.port, 'USER wireprobe')).toMatch(/^5\d\d /);
      await uploadsIntact([curlFtpClient, lftpClient], server);
      const ftplib = await upload(ftplibClient, server);
      expect(ftplib.report).toMatchObject({ ok: false, error: { responseCode: 425, command: 'storbinary' } });
      // The data connection's TLS error or the reply itself, whichever ftplib meets first: the reply is read either way.
      expect(messageOf(ftplib.report)).toMatch(/425 Unable to build data connection: Operation not permitted/);
    });
  });

  it('with tlsImplicit (UseImplicitSSL) takes an ftps:// upload from curl, lftp and ftplib', async () => {
    await withServer(proftpdLauncher, { tlsImplicit: true }, async (server) => {
      expect(server.tls).toEqual({ explicit: false, implicitPort: server.port, required: false, requireReuse: false });
      await uploadsIntact([curlFtpClient, lftpClient, ftplibClient], server, IMPLICIT_VERIFY);
    });
  });
});
