import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startFtpServer, type FtpServerHandle, type FtpServerOptions } from '../../servers/ftp.js';
import { basicFtpClient } from '../../src/clients/basic-ftp.js';
import type { ClientReport, FtpJob, TlsMode } from '../../src/clients/types.js';
import { createPrivateCa, writeCaFile } from '../../src/tls/ca.js';
import { contentOf } from '../../src/util/content.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
/** TlsMode gains 'implicit' in another branch; the adapter already takes it. */
const IMPLICIT = 'implicit' as unknown as TlsMode;

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  const pending = cleanups;
  cleanups = [];
  await Promise.all(pending.map((close) => close()));
});

async function ftpServer(options: FtpServerOptions): Promise<FtpServerHandle> {
  const server = await startFtpServer({ users: { alice: 'secret-pw' }, anonymous: 'off', ...options });
  cleanups.push(() => server.close());
  return server;
}

/** A PEM file holding `pem`, removed after the test. */
async function pemFile(pem: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wireprobe-ftps-test-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return writeCaFile({ cert: pem, issue: () => Promise.reject(new Error('unused')) }, dir);
}

function job(server: FtpServerHandle, fields: Partial<FtpJob>): FtpJob {
  return {
    host: '127.0.0.1',
    port: server.port,
    user: 'alice',
    password: 'secret-pw',
    mode: 'passive',
    direction: 'upload',
    path: '/u.bin',
    content: contentOf(Buffer.alloc(0)),
    timeouts: { connect: 5000, greeting: 5000, socket: 5000, deadline: 20_000 },
    tls: 'starttls',
    ...fields,
  };
}

const run = (fields: FtpJob): Promise<ClientReport> => basicFtpClient.run(fields, new AbortController().signal);

describe('basic-ftp (the adapter) against the mock with FTPS', () => {
  for (const requireTlsReuse of [false, true]) {
    it(`AUTH TLS + PROT P upload and download, each data connection resuming the control session (requireTlsReuse ${requireTlsReuse})`, async () => {
      const content = randomBytes(300_000);
      const server = await ftpServer({ tls: 'explicit', requireTlsReuse, files: { '/d.bin': content } });
      const data = randomBytes(500_000);
      expect(await run(job(server, { content: contentOf(data) }))).toMatchObject({ ok: true });
      expect(server.files.map((f) => [f.path, f.bytes, f.sha256])).toEqual([['/u.bin', data.length, sha256(data)]]);
      const down = await run(job(server, { direction: 'download', path: '/d.bin' }));
      expect(down).toMatchObject({ ok: true, received: { bytes: content.length, sha256: sha256(content) } });
    });
  }

  it('implicit FTPS (secure: implicit) with requireTlsReuse: upload stored whole', async () => {
    const server = await ftpServer({ tls: 'implicit', requireTlsReuse: true });
    const data = randomBytes(100_000);
    expect(await run(job(server, { content: contentOf(data), tls: IMPLICIT }))).toMatchObject({ ok: true });
    expect(server.files[0]?.sha256).toBe(sha256(data));
  });

  it('starttls-verify: the issuing CA is trusted; another CA is not (certificate error, nothing stored)', async () => {
    const server = await ftpServer({ tls: 'explicit' });
    const data = randomBytes(1_000);
    const good = await pemFile(server.ca as string);
    expect(await run(job(server, { content: contentOf(data), tls: 'starttls-verify', ca: good }))).toMatchObject({ ok: true });
    const other = await pemFile((await createPrivateCa()).cert);
    const report = await run(job(server, { content: contentOf(data), tls: 'starttls-verify', ca: other, path: '/v.bin' }));
    expect(report).toMatchObject({ ok: false, error: { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', command: 'access' } });
    expect(server.stored()).toBe(1);
  });

  it('implicit-verify: the issuing CA is trusted; another CA is not', async () => {
    const server = await ftpServer({ tls: 'implicit' });
    const tls = 'implicit-verify' as unknown as TlsMode;
    expect(await run(job(server, { content: contentOf(randomBytes(100)), tls, ca: await pemFile(server.ca as string) }))).toMatchObject({ ok: true });
    const other = await pemFile((await createPrivateCa()).cert);
    const report = await run(job(server, { content: contentOf(randomBytes(100)), tls, ca: other }));
    expect(report).toMatchObject({ ok: false, error: { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', command: 'access' } });
  });

  it('a PROT P refusal (534): basic-ftp ignores it, starts TLS on a clear data connection, and the mock stores its ClientHello as the file', async () => {
    const server = await ftpServer({ tls: 'explicit', protP: 'refuse' });
    const data = randomBytes(1_000);
    // basic-ftp waits for a TLS handshake the mock never answers: its socket timeout ends it.
    const report = await run(job(server, { content: contentOf(data), timeouts: { connect: 5000, greeting: 5000, socket: 500, deadline: 20_000 } }));
    expect(report).toMatchObject({ ok: false, error: { code: 'ETIMEDOUT', command: 'uploadFrom' } });
    await server.idle();
    // Its data socket closed with a FIN: end of file for a stream-mode server (RFC 959 §3.4.1), so 226.
    const [stored] = server.files;
    expect(stored).toMatchObject({ path: '/u.bin', complete: true });
    expect(stored?.bytes).toBeGreaterThan(0);
    expect(stored?.sha256).not.toBe(sha256(data));
  });
});

const FTPLIB = `
import ftplib, io, ssl, sys
port, name, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ftps = ftplib.FTP_TLS(context=ssl._create_unverified_context(), timeout=10)
ftps.connect('127.0.0.1', port)
ftps.login('alice', 'secret-pw')
ftps.prot_p()
def store():
    try:
        return ftps.storbinary('STOR ' + name, io.BytesIO(b'x' * size))
    except ftplib.error_perm as e:
        return str(e)
    except OSError as e:
        # The data connection failed before the final reply was read: read it now.
        print('data connection:', type(e).__name__, file=sys.stderr)
        try:
            return ftps.getresp()
        except ftplib.error_perm as e:
            return str(e)
print(store())
ftps.quit()
`;

describe('Python ftplib (FTP_TLS, prot_p) against the mock', () => {
  it('does not resume the control session on data connections: taken without requireTlsReuse, 522 with it', async () => {
    const size = 20_000;
    const python = async (server: FtpServerHandle, name: string): Promise<string> =>
      (await promisify(execFile)('python3', ['-c', FTPLIB, String(server.port), name, String(size)], { timeout: 20_000 })).stdout.trim();
    const lax = await ftpServer({ tls: 'explicit' });
    expect(await python(lax, 'f.bin')).toMatch(/^226 /);
    expect(lax.files[0]?.sha256).toBe(sha256(Buffer.alloc(size, 'x')));
    const strict = await ftpServer({ tls: 'explicit', requireTlsReuse: true });
    expect(await python(strict, 'g.bin')).toBe('522 SSL connection failed: session reuse required');
    expect(strict.files.map((f) => [f.path, f.complete, f.received])).toEqual([['/g.bin', false, 0]]);
  });
});

describe('curl and lftp against the mock with requireTlsReuse', () => {
  it('both resume the control session on their PROT P data connections: the upload is stored whole', async () => {
    const server = await ftpServer({ tls: 'explicit', requireTlsReuse: true });
    const dir = await mkdtemp(join(tmpdir(), 'wireprobe-ftps-test-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const data = randomBytes(60_000);
    const file = join(dir, 'up.bin');
    await writeFile(file, data);
    const url = `ftp://127.0.0.1:${server.port}`;
    const exec = promisify(execFile);
    await exec('curl', ['-sS', '-k', '--ftp-ssl-reqd', '-u', 'alice:secret-pw', '-T', file, `${url}/curl.bin`], { timeout: 20_000 });
    const lftp = `set ssl:verify-certificate no; set ftp:ssl-force yes; set ftp:ssl-protect-data yes; set net:max-retries 1; open -u alice,secret-pw ${url}; put ${file} -o lftp.bin`;
    await exec('lftp', ['-c', lftp], { timeout: 20_000 });
    expect(server.files.map((f) => [f.path, f.complete, f.sha256])).toEqual([
      ['/curl.bin', true, sha256(data)],
      ['/lftp.bin', true, sha256(data)],
    ]);
  });
});
