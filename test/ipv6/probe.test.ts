/**
 * `wireprobe probe` over IPv6: `[::1]` URLs parse (RFC 3986 §3.2.2), the mocks listen on ::1, the
 * report names the address family, and FTP data connections go over EPSV/EPRT (RFC 2428), PASV being
 * judged as RFC 2428 §1 and §4 ask: refused is right, a 227 naming an IPv4 address is a warning.
 */
import { describe, expect, it } from 'vitest';
import { startFtpServer, type FtpServerOptions } from '../../servers/ftp.js';
import { startSmtpServer } from '../../servers/smtp.js';
import { formatProbeReport } from '../../src/probe/report.js';
import { runProbe } from '../../src/probe/run.js';
import { parseTarget } from '../../src/probe/target.js';
import { ftpDataChecks } from '../../src/probe/ftp-data.js';
import { toProbeJson } from '../../src/report/probe.js';
import { byId, expectClean, LIMITS, PASSWORD, USER } from '../helpers/ftp-probe.js';
import { runCli } from '../helpers/cli-process.js';

/** The mock FTP server on ::1 with the probe's account, closed after `body`. */
async function withFtpOnV6(options: FtpServerOptions, body: (url: string, server: Awaited<ReturnType<typeof startFtpServer>>) => Promise<void>): Promise<void> {
  const server = await startFtpServer({ host: '::1', users: { [USER]: PASSWORD }, ...options });
  try {
    await body(`ftp://${USER}:${PASSWORD}@[::1]:${server.port}`, server);
  } finally {
    await server.close();
  }
}

describe('parsing [::1] targets', () => {
  it.each([
    ['smtp://[::1]:2525', { protocol: 'smtp', host: '::1', port: 2525 }],
    ['ftp://user:pw@[::1]:2121', { protocol: 'ftp', host: '::1', port: 2121, user: 'user', password: 'pw' }],
    ['ftp://[::1]', { protocol: 'ftp', host: '::1', port: 21, user: 'anonymous' }],
    ['smtp://[0:0:0:0:0:0:0:1]:25/', { protocol: 'smtp', host: '0:0:0:0:0:0:0:1', port: 25 }],
  ])('reads %s', (text, expected) => {
    expect(parseTarget(text)).toMatchObject(expected);
  });

  it.each([
    ['smtp://::1:25', /an IPv6 address goes in brackets, as in smtp:\/\/\[::1\]:25/],
    ['smtp://[::1:25', /"\[" without "\]"/],
    ['smtp://[::1]25', /unexpected "25" after "\]"/],
    ['smtp://[127.0.0.1]:25', /not an IPv6 address/],
    ['ftp://u:pw@[::1]:70000', /bad port "70000"/],
  ])('refuses %s in one line', (text, message) => {
    expect(() => parseTarget(text)).toThrow(message);
  });
});

describe('probing over ::1', () => {
  it('probes the mock SMTP server on ::1 and reports the address family', async () => {
    const server = await startSmtpServer({ host: '::1' });
    try {
      const report = await runProbe(parseTarget(`smtp://[::1]:${server.port}`), { ...LIMITS, maxSessions: 2 });
      expect(report).toMatchObject({ target: `smtp://[::1]:${server.port}`, address: '::1', family: 6 });
      expect(report.findings.find((f) => f.id === 'smtp.greeting')?.status).toBe('pass');
      expect(report.findings.find((f) => f.id === 'smtp.ehlo')?.status).toBe('pass');
      expect(formatProbeReport(report).split('\n')[0]).toBe(`wireprobe probe smtp://[::1]:${server.port} (smtp, IPv6 ::1)`);
      expect(toProbeJson(report)).toMatchObject({ address: '::1', family: 6 });
    } finally {
      await server.close();
    }
  });

  it('probes the mock FTP server on ::1: EPSV and EPRT carry the data, PASV refused passes, only the missing TLS warns', async () => {
    await withFtpOnV6({}, async (url, server) => {
      const report = await runProbe(parseTarget(url), { ...LIMITS, maxSessions: 2 });
      const findings = report.findings;
      expect(report).toMatchObject({ target: `ftp://${USER}@[::1]:${server.port}`, family: 6, address: '::1' });
      // The mock runs without FTPS: ftp.auth-tls warns that TLS is not offered, whatever the family.
      expect(
        findings.filter((f) => f.status === 'warn' || f.status === 'fail').map((f) => [f.id, f.status, f.value]),
        JSON.stringify(findings, null, 1),
      ).toEqual([['ftp.auth-tls', 'warn', 'not offered']]);
      expect(byId(findings, 'ftp.pasv-address')).toMatchObject({ status: 'pass', value: 425 });
      expect(byId(findings, 'ftp.pasv-address').advice).toMatch(/RFC 2428 §1 replaces PASV with EPSV/);
      expect(byId(findings, 'ftp.pasv-connect').status).toBe('skip');
      expect(byId(findings, 'ftp.epsv').status).toBe('pass');
      expect(byId(findings, 'ftp.active')).toMatchObject({ status: 'pass', value: 200 });
      expect(byId(findings, 'ftp.active').sent.some((l) => /^EPRT \|2\|::1\|\d+\|$/.test(l))).toBe(true);
      expect(byId(findings, 'ftp.port-bounce').sent.some((l) => /^EPRT \|1\|127\.0\.0\.2\|\d+\|$/.test(l))).toBe(true);
      // The passive-range series asks EPSV only: a 227 has no port the probe could use over IPv6.
      expect(byId(findings, 'ftp.pasv-range').sent.filter((l) => l === 'PASV')).toEqual([]);
      expect(byId(findings, 'ftp.pasv-range').status).toBe('pass');
      // The transfers (integrity, resume) never ask PASV: EPSV works, so it is the mode kept.
      for (const id of ['ftp.integrity', 'ftp.resume']) {
        expect(byId(findings, id).status, id).toBe('pass');
        expect(
          byId(findings, id).sent.filter((l) => l === 'PASV'),
          id,
        ).toEqual([]);
      }
      expectClean(server, findings);
    });
  });

  it('warns when a server answers PASV on an IPv6 control connection with a 227 naming an IPv4 address', async () => {
    await withFtpOnV6({ pasvAddress: '127.0.0.1' }, async (url) => {
      const findings = await ftpDataChecks(parseTarget(url), LIMITS);
      expect(byId(findings, 'ftp.pasv-address')).toMatchObject({ status: 'warn', value: '127.0.0.1' });
      expect(byId(findings, 'ftp.pasv-address').advice).toMatch(/an IPv4 address, while the control connection is ::1.*§4 says EPSV MUST be used/);
      expect(byId(findings, 'ftp.pasv-connect').status).toBe('skip');
      expect(byId(findings, 'ftp.epsv').status).toBe('pass');
    });
  });

  it('runs `wireprobe probe smtp://[::1]:PORT` from the command line, the title naming IPv6', async () => {
    const server = await startSmtpServer({ host: '::1' });
    try {
      const { code, stdout, stderr } = await runCli(['probe', `smtp://[::1]:${server.port}`, '--timeout', '2000', '--max-sessions', '2']);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout.split('\n')[0]).toBe(`wireprobe probe smtp://[::1]:${server.port} (smtp, IPv6 ::1)`);
    } finally {
      await server.close();
    }
  });
});
