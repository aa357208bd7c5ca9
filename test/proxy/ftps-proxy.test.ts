import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFtpServer, type FtpServerHandle, type FtpServerOptions } from '../../servers/ftp.js';
import { basicFtpClient } from '../../src/clients/basic-ftp.js';
import { lftpClient } from '../../src/clients/lftp.js';
import type { ClientReport, FtpJob } from '../../src/clients/types.js';
import { parseFault } from '../../src/faults/parse.js';
import { RawFtps } from '../helpers/raw-ftps.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/proxy.js';
import { createPrivateCa, writeCaFile, type KeyPair, type PrivateCa } from '../../src/tls/ca.js';
import { contentOf } from '../../src/util/content.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The run's CA (the proxy's certificate) and its PEM file for the client. */
let ca: PrivateCa;
let identity: KeyPair;
let caPath: string;
beforeAll(async () => {
  ca = await createPrivateCa();
  identity = await ca.issue();
  const dir = await mkdtemp(join(tmpdir(), 'wireprobe-ftps-proxy-test-'));
  caPath = await writeCaFile(ca, dir);
  return () => rm(dir, { recursive: true, force: true });
});

async function setup(server: FtpServerOptions, faults: string[] = []): Promise<{ server: FtpServerHandle; proxy: ProxyHandle }> {
  const ftp = await startFtpServer({ users: { alice: 'secret-pw' }, anonymous: 'off', ...server });
  cleanups.push(() => ftp.close());
  const mode = server.tls === 'implicit' ? 'implicit' : 'starttls';
  const proxy = await startProxy({
    upstream: { host: '127.0.0.1', port: ftp.port },
    protocol: 'ftp',
    faults: faults.map((f) => parseFault(f)),
    tls: { mode, identity },
  });
  cleanups.push(() => proxy.close());
  return { server: ftp, proxy };
}

function job(proxy: ProxyHandle, fields: Partial<FtpJob>): FtpJob {
  return {
    host: '127.0.0.1',
    port: proxy.port,
    user: 'alice',
    password: 'secret-pw',
    mode: 'passive',
    direction: 'upload',
    path: '/u.bin',
    content: contentOf(Buffer.alloc(0)),
    timeouts: { connect: 5000, greeting: 5000, socket: 5000, deadline: 20_000 },
    tls: 'starttls-verify',
    ca: caPath,
    ...fields,
  };
}

/** basic-ftp in-process; lftp for active mode, which basic-ftp lacks (curl 7.88 sends active data in clear: see the ftps suite). */
const run = (fields: FtpJob): Promise<ClientReport> => (fields.mode === 'active' ? lftpClient : basicFtpClient).run(fields, new AbortController().signal);

describe('FTPS through the TLS-terminating proxy', () => {
  for (const mode of ['passive', 'active'] as const) {
    it(`AUTH TLS, PROT P, ${mode}: the client verifies the proxy's certificate, the upload is stored whole, the data connection resumed on both legs`, async () => {
      const { server, proxy } = await setup({ tls: 'explicit', requireTlsReuse: true });
      const data = randomBytes(700_000);
      const report = await run(job(proxy, { content: contentOf(data), mode }));
      expect(report).toMatchObject({ ok: true });
      expect(server.files.map((f) => [f.path, f.bytes, f.sha256])).toEqual([['/u.bin', data.length, sha256(data)]]);
      await proxy.idle();
      const [session] = proxy.sessions();
      expect(session?.data).toMatchObject({ connections: 1, bytes: data.length, tls: { clientResumed: true, serverResumed: true } });
      expect(session?.tls).toMatchObject({ mode: 'starttls', client: expect.stringMatching(/^TLSv1\.[23] /), server: expect.stringMatching(/^TLSv1\.[23] /) });
      // The tracker read the conversation inside TLS: the password is redacted, the transfer seen.
      const text = session?.transcript.join('\n') ?? '';
      expect(text).toMatch(/C {2}STOR \S*u\.bin/);
      expect(text).not.toContain('secret-pw');
    });
  }

  it('implicit FTPS: a download comes back whole through TLS on both connections', async () => {
    const content = randomBytes(400_000);
    const { proxy } = await setup({ tls: 'implicit', files: { '/d.bin': content } });
    const down = await run(job(proxy, { direction: 'download', path: '/d.bin', tls: 'implicit-verify' }));
    expect(down).toMatchObject({ ok: true, received: { bytes: content.length, sha256: sha256(content) } });
    await proxy.idle();
    expect(proxy.sessions()[0]?.data).toMatchObject({ connections: 1, bytes: content.length });
  });

  it('a data fault inside TLS: an RST after STOR +64KiB cuts the protected upload at exactly 65536 octets', async () => {
    const { server, proxy } = await setup({ tls: 'explicit' }, ['reset after STOR +64KiB channel data']);
    const report = await run(job(proxy, { content: contentOf(randomBytes(1_000_000)) }));
    expect(report.ok).toBe(false);
    await proxy.idle();
    const [session] = proxy.sessions();
    expect(session?.data).toMatchObject({ bytes: 65_536, clientSaw: 'rst' });
    expect(server.files.every((f) => f.bytes <= 65_536)).toBe(true);
  });

  // basic-ftp sends FEAT as soon as the 230 comes: the RST waits for it (the client read the reply).
  it('a control fault inside TLS: an RST after the reply to PASS, the client then at FEAT', async () => {
    const { proxy } = await setup({ tls: 'explicit' }, ['reset after PASS']);
    const report = await run(job(proxy, { content: contentOf(randomBytes(1_000)) }));
    expect(report.ok).toBe(false);
    await proxy.idle();
    expect(proxy.sessions()[0]).toMatchObject({ phase: 'feat', clientSaw: 'rst' });
  });

  // curl 7.88's active-mode bug, by hand: the first octet is no TLS record, so TLS never starts.
  it('clear text on a PROT P data connection: the client reset at once, the 425 only after it, nothing stored', async () => {
    const { server, proxy } = await setup({ tls: 'explicit' });
    const { client } = await RawFtps.connect(proxy.port);
    cleanups.push(async () => client.close());
    expect(await client.auth()).toMatch(/^234/);
    expect(await client.login('alice', 'secret-pw')).toMatch(/^230/);
    expect(await client.command('PBSZ 0')).toMatch(/^200/);
    expect(await client.command('PROT P')).toMatch(/^200/);
    const data = await client.data('clear');
    expect(await client.command('STOR clear.bin')).toMatch(/^150/);
    const order: string[] = [];
    const reset = new Promise<void>((resolve) =>
      data.once('error', (error: NodeJS.ErrnoException) => {
        order.push(error.code ?? error.message);
        resolve();
      }),
    );
    const final = client.reply().then((reply) => void order.push(reply.slice(0, 3)));
    data.write('clear text, not a ClientHello\r\n');
    await Promise.all([reset, final]);
    expect(order).toEqual(['ECONNRESET', '425']);
    expect(server.files.filter((f) => f.path.endsWith('clear.bin') && f.complete)).toEqual([]);
    expect(proxy.sessions()[0]?.transcript.join('\n')).toMatch(/data 1: TLS handshake with the client failed \(clear text\): FIN to server/);
  });
});
