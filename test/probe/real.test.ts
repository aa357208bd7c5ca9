/**
 * The probe against real servers with known settings (started by their launchers on loopback): what it
 * reports must be what was configured. vsftpd with max_clients 3 and idle_session_timeout 5 is reported
 * as a limit of 3 and an idle timeout of about 5 s; Postfix's message_size_limit is found enforced;
 * Postfix 3.7 as Debian ships it is found open to SMTP smuggling, and safe with smtpd_forbid_bare_newline.
 */
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createPostfixLauncher, postfixLauncher } from '../../servers/real/postfix.js';
import { proftpdLauncher } from '../../servers/real/proftpd.js';
import { vsftpdLauncher } from '../../servers/real/vsftpd.js';
import { runProbe } from '../../src/probe/run.js';
import { DEFAULT_PROBE_LIMITS, type Finding, type ProbeReport } from '../../src/probe/types.js';

const get = (report: ProbeReport, id: string): Finding => {
  const found = report.findings.find((f) => f.id === id);
  if (!found) throw new Error(`no finding ${id}`);
  return found;
};

/**
 * The bodies of the messages --send delivers besides bare-lf's, as Postfix stores them (LF line ends):
 * the pipelining check's, line-length's with its 1000-octet text line whole, chunking's two BDAT chunks.
 */
const SEND_MESSAGES = [
  'wireprobe test message (--send).\n',
  `${'x'.repeat(998)}\nwireprobe probe: the line above is 1000 octets with its CRLF.\n`,
  'wireprobe test message in two BDAT chunks (--send).\n',
];

describe('wireprobe probe against real servers', () => {
  it('reports vsftpd with max_clients 3 and idle_session_timeout 5 as a limit of 3 and an idle timeout of about 5 s', async () => {
    const server = await vsftpdLauncher.start({ maxSessions: 3, idleTimeoutMs: 5_000 });
    try {
      const { user, password } = server.login!;
      const report = await runProbe(
        { protocol: 'ftp', host: server.host, port: server.port, user, password },
        { ...DEFAULT_PROBE_LIMITS, maxSessions: 5, maxIdleSeconds: 8 },
      );
      expect(get(report, 'ftp.session-limit')).toMatchObject({ status: 'pass', value: 3 });
      const idle = get(report, 'ftp.idle-timeout');
      expect(idle.status).toBe('pass');
      expect(idle.value).toBeGreaterThanOrEqual(5);
      expect(idle.value).toBeLessThan(7);
      expect(idle.received.join('\n')).toMatch(/421 Timeout\./);
      // Right after the ramp left vsftpd at max_clients, the long transfer still gets its session, and outlives the idle timeout.
      expect(get(report, 'ftp.long-transfer')).toMatchObject({ status: 'pass', value: expect.stringMatching(/^226 after /) });
      expect(get(report, 'ftp.integrity').status).not.toBe('fail');
      // Nothing left behind: the probe's upload is deleted.
      expect(await readdir(server.storage)).toEqual([]);
      expect(JSON.stringify(report)).not.toContain(password);
    } finally {
      await server.close();
    }
  });

  it("measures vsftpd's data_connection_timeout 2 with --max-data-idle: 421 Data timeout, and the partial upload is deleted", async () => {
    const server = await vsftpdLauncher.start({ dataTimeoutMs: 2_000 });
    try {
      const { user, password } = server.login!;
      const report = await runProbe(
        { protocol: 'ftp', host: server.host, port: server.port, user, password },
        { ...DEFAULT_PROBE_LIMITS, maxSessions: 2, maxDataIdleSeconds: 10 },
      );
      const stall = get(report, 'ftp.data-timeout');
      expect(stall.status).toBe('pass');
      expect(stall.value).toMatch(/^closed after \d+(\.\d)? s idle with 421$/);
      expect(stall.received.join('\n')).toMatch(/421 Data timeout\. Reconnect\. Sorry\./);
      expect(stall.advice).toMatch(/the partial file was deleted\.$/);
      // The 8 MiB upload lands (the anonymous login may not read it back: anon_world_readable_only).
      expect(get(report, 'ftp.integrity')).toMatchObject({ status: 'warn', value: 8 * 1024 * 1024 });
      expect(get(report, 'ftp.integrity').advice).toMatch(
        /^The upload of 8MiB got 226 in [\d.]+ s \([\d.]+ MiB\/s\) and SIZE 8388608, but RETR was refused \(550 /,
      );
      expect(get(report, 'ftp.feat')).toMatchObject({ status: 'pass', value: expect.stringContaining('REST STREAM') });
      // vsftpd's EPSV ALL refuses PASV and PORT only (postlogin.c checks those two).
      expect(get(report, 'ftp.epsv')).toMatchObject({ status: 'warn', value: 'EPRT accepted after EPSV ALL' });
      expect(await readdir(server.storage)).toEqual([]);
      expect(JSON.stringify(report)).not.toContain(password);
    } finally {
      await server.close();
    }
  });

  it("reports proftpd's TimeoutStalled 2 as a stall closed without a reply, and its 8 MiB upload and resume as intact", async () => {
    const server = await proftpdLauncher.start({ dataTimeoutMs: 2_000 });
    try {
      const { user, password } = server.login!;
      const report = await runProbe(
        { protocol: 'ftp', host: server.host, port: server.port, user, password },
        { ...DEFAULT_PROBE_LIMITS, maxSessions: 2, maxDataIdleSeconds: 10 },
      );
      const stall = get(report, 'ftp.data-timeout');
      expect(stall.status).toBe('warn');
      expect(stall.value).toMatch(/^closed after \d+(\.\d)? s idle without a reply$/);
      expect(stall.advice).toMatch(/the control connection ended too \(\[closed by server\]\) without a reply/);
      expect(get(report, 'ftp.integrity')).toMatchObject({ status: 'pass', value: 8 * 1024 * 1024 });
      expect(get(report, 'ftp.resume')).toMatchObject({ status: 'pass', value: 4 * 1024 * 1024 });
      expect(get(report, 'ftp.epsv').advice).toMatch(/after EPSV ALL, PASV \(500\), PORT \(500\), EPRT \(500\) refused/);
      expect(await readdir(server.storage)).toEqual([]);
      expect(JSON.stringify(report)).not.toContain(password);
    } finally {
      await server.close();
    }
  });

  it('finds the message size limit of Postfix enforced: the SIZE it advertises, 552 above it', async () => {
    const server = await postfixLauncher.start({ messageSizeLimit: 100_000 });
    try {
      const report = await runProbe({ protocol: 'smtp', host: server.host, port: server.port }, DEFAULT_PROBE_LIMITS);
      expect(get(report, 'smtp.size')).toMatchObject({ status: 'pass', value: 100_000 });
      expect(get(report, 'smtp.size').received.join('\n')).toMatch(/552/);
      expect(get(report, 'smtp.greeting').status).toBe('pass');
      expect(get(report, 'smtp.open-relay').status).not.toBe('pass'); // the launcher accepts every domain from loopback
      expect(await server.messages?.()).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('finds Postfix 3.7 as Debian ships it open to SMTP smuggling with --send: the LF look-alikes end DATA (smtpd_forbid_bare_newline is off before 3.9)', async () => {
    const server = await postfixLauncher.start({});
    try {
      const report = await runProbe({ protocol: 'smtp', host: server.host, port: server.port }, { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: 2_000, send: true });
      const bareLf = get(report, 'smtp.bare-lf');
      expect(bareLf).toMatchObject({ status: 'fail', value: '\\n.\\n \\r\\n.\\n \\n.\\r\\n' });
      expect(bareLf.advice).toMatch(
        /^Vulnerable to SMTP smuggling: \\n\.\\n \\r\\n\.\\n \\n\.\\r\\n ended the message and it was accepted \(\\n\.\\n got "250 2\.0\.0 Ok: queued as /,
      );
      // One message per look-alike that ended DATA, each holding only the text before it, beside
      // the other checks' --send messages.
      await server.settle?.();
      const bodies = (await server.messages!()).map((m) => m.toString('latin1').replace(/^[\s\S]*?\n\n/, ''));
      expect(bodies.sort()).toEqual(['A\n', 'A\n', 'A\n', ...SEND_MESSAGES].sort());
    } finally {
      await server.close();
    }
  });

  it.each(['normalize', 'reject'])('finds Postfix with smtpd_forbid_bare_newline = %s safe from SMTP smuggling: no look-alike ends DATA', async (mode) => {
    // The exclusions default to $mynetworks, which holds loopback: empty, or the probe would be exempt.
    const fixed = createPostfixLauncher({ mainCf: [`smtpd_forbid_bare_newline = ${mode}`, 'smtpd_forbid_bare_newline_exclusions ='] });
    const server = await fixed.start({});
    try {
      const report = await runProbe({ protocol: 'smtp', host: server.host, port: server.port }, { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: 2_000, send: true });
      const bareLf = get(report, 'smtp.bare-lf');
      expect(bareLf).toMatchObject({ status: 'pass' });
      expect(bareLf.value).toBeUndefined();
      expect(bareLf.advice).toBe(
        'None of \\n.\\n \\r\\n.\\n \\n.\\r\\n \\r.\\r \\r\\n.\\r \\r.\\r\\n, each at the end of a write on its own transaction, ended the message: the server waited for <CRLF>.<CRLF>.',
      );
      expect(bareLf.received.filter((line) => line.endsWith('[timeout after 2000 ms]'))).toHaveLength(6);
      await server.settle?.();
      const bodies = (await server.messages!()).map((m) => m.toString('latin1').replace(/^[\s\S]*?\n\n/, ''));
      expect(bodies.sort()).toEqual([...SEND_MESSAGES].sort()); // nothing from bare-lf
    } finally {
      await server.close();
    }
  });
});
