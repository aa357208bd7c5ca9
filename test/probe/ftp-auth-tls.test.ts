/**
 * `ftp.auth-tls` and `ftp.tls-versions` (RFC 4217; RFC 8996): vsftpd with TLS as the launcher starts it
 * (session reuse required, anonymous logins allowed in clear text: warn), vsftpd with a user's
 * vsftpd.conf that requires TLS for logins and data and no session reuse (pass), and small responders for
 * what fails: no AUTH TLS at all, AUTH TLS listed but refused, PROT P refused on ftps:// (implicit TLS).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RealServerOptions } from '../../servers/real/index.js';
import { vsftpdLauncher } from '../../servers/real/vsftpd.js';
import { ftpAuthTlsChecks } from '../../src/probe/ftp-auth-tls.js';
import { ftpTlsVersionsChecks } from '../../src/probe/ftp-tls-versions.js';
import { createPrivateCa } from '../../src/tls/ca.js';
import { DEFAULT_PROBE_LIMITS, type Finding, type ProbeLimits, type ProbeTarget } from '../../src/probe/types.js';
import { startScriptedFtp } from './scripted-ftp.js';

const FAST: ProbeLimits = { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: 2_000 };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-authtls-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** vsftpd started as `options` say; the probe's target for it. */
async function vsftpd(options: RealServerOptions): Promise<ProbeTarget> {
  const server = await vsftpdLauncher.start(options);
  closers.push(() => server.close());
  return { protocol: 'ftp', host: server.host, port: server.port, user: server.login!.user, password: server.login!.password };
}

async function userConf(name: string, lines: readonly string[]): Promise<string> {
  const file = join(dir, name);
  // A certificate path that does not exist here: the launcher puts its own in (user-config-vsftpd.ts).
  await writeFile(file, [...lines, 'rsa_cert_file=/nonexistent/wireprobe/cert.pem', ''].join('\n'));
  return file;
}

const STRICT = ['ssl_enable=YES', 'allow_anon_ssl=YES', 'force_anon_logins_ssl=YES', 'force_anon_data_ssl=YES', 'require_ssl_reuse=NO'];

async function scripted(feat: readonly string[], auth: string): Promise<ProbeTarget> {
  const server = await startScriptedFtp(feat, { 'AUTH TLS': { reply: [auth] } });
  closers.push(() => server.close());
  return { protocol: 'ftp', host: server.host, port: server.port, user: 'anonymous', password: 'probe@example.test' };
}

/** An implicit-TLS FTP responder (ftps://) that logs in, takes PBSZ 0 and refuses PROT P. */
async function implicitFtp(): Promise<ProbeTarget> {
  const pair = await (await createPrivateCa()).issue({ kind: 'self-signed' });
  const server = tls.createServer({ cert: pair.cert, key: pair.key }, (socket) => {
    socket.on('error', () => socket.destroy());
    socket.write('220 implicit\r\n');
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let at = buffer.indexOf('\r\n'); at !== -1; at = buffer.indexOf('\r\n')) {
        const verb = buffer.slice(0, at).split(' ')[0]!.toUpperCase();
        buffer = buffer.slice(at + 2);
        const replies: Record<string, string> = { USER: '331 password', PASS: '230 in', PBSZ: '200 PBSZ=0', PROT: '536 PROT P not supported' };
        if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write(`${replies[verb] ?? '502 no'}\r\n`);
      }
    });
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return {
    protocol: 'ftp',
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    user: 'anonymous',
    password: 'probe@example.test',
    implicitTls: true,
  };
}

const one = async (found: Promise<Finding[]>): Promise<Finding> => (await found)[0]!;

describe('ftp.auth-tls', () => {
  it('vsftpd as the launcher starts it with TLS: the data connection must resume the TLS session; USER in clear text still gets 331 (warn)', async () => {
    const f = await one(ftpAuthTlsChecks(await vsftpd({ tls: true }), FAST));
    expect(f).toMatchObject({ id: 'ftp.auth-tls', status: 'warn', value: 'TLSv1.3' });
    expect(f.advice).toContain('USER before AUTH TLS got "331');
    expect(f.advice).toContain("must resume the control connection's TLS session");
    expect(f.received).toContain('522 SSL connection failed: session reuse required');
    expect(f.sent).not.toContain('[clear-text session] PASS ***');
  });

  it("passes vsftpd with a user's vsftpd.conf that forces TLS for logins and data and does not require session reuse", async () => {
    const f = await one(ftpAuthTlsChecks(await vsftpd({ configFile: await userConf('strict.conf', STRICT) }), FAST));
    expect(f).toMatchObject({ id: 'ftp.auth-tls', status: 'pass', value: 'TLSv1.3' });
    expect(f.advice).toContain('session reuse is not required');
    expect(f.advice).toMatch(/USER before AUTH TLS is refused \("530 /);
  });

  it('runs on ftps:// (implicit TLS) from the login on: PROT P refused fails', async () => {
    const target = await implicitFtp();
    const f = await one(ftpAuthTlsChecks(target, FAST));
    expect(f).toMatchObject({ id: 'ftp.auth-tls', status: 'fail', value: 'TLSv1.3' });
    expect(f.advice).toBe(
      'PROT P got "536 PROT P not supported", not 200: the data connections cannot be protected, files travel in clear text (RFC 4217 §9).',
    );
    expect(f.sent).toEqual(['USER anonymous', 'PASS ***', 'PBSZ 0', 'PROT P', 'QUIT']);
    const versions = await one(ftpTlsVersionsChecks(target, FAST));
    expect(versions).toMatchObject({ status: 'pass', value: 'TLSv1.2, TLSv1.3' });
  });

  it('warns when AUTH TLS is not offered, and fails when FEAT lists it but AUTH TLS is refused', async () => {
    const none = await one(ftpAuthTlsChecks(await scripted(['EPSV'], '502 not implemented'), FAST));
    expect(none).toMatchObject({ status: 'warn', value: 'not offered' });
    expect(none.advice).toMatch(/^AUTH TLS is not offered \("502 not implemented"\): logins and files travel in clear text/);
    const broken = await one(ftpAuthTlsChecks(await scripted(['AUTH TLS', 'PBSZ', 'PROT'], '431 no TLS today'), FAST));
    expect(broken.status).toBe('fail');
    expect(broken.advice).toMatch(/^FEAT lists AUTH TLS but AUTH TLS got "431 no TLS today", not 234/);
  });
});

describe('ftp.tls-versions', () => {
  it('vsftpd accepts TLS 1.2 and 1.3 only (pass)', async () => {
    const f = await one(ftpTlsVersionsChecks(await vsftpd({ tls: true }), FAST));
    expect(f).toMatchObject({ id: 'ftp.tls-versions', status: 'pass', value: 'TLSv1.2, TLSv1.3' });
    expect(f.received[0]).toMatch(/^\[TLSv1: refused: /);
  });

  it('is a skip when AUTH TLS is refused', async () => {
    const f = await one(ftpTlsVersionsChecks(await scripted(['EPSV'], '502 not implemented'), FAST));
    expect(f.status).toBe('skip');
    expect(f.advice).toBe('Not checked: AUTH TLS got 502 not implemented, not 234 (see ftp.auth-tls).');
  });
});
