/**
 * The FTP probe tells the truth: no false pass, no false fail, no check hidden by another. Each case is
 * a class of server (planted on the mock) on which an earlier probe got it wrong: REST refused in ASCII
 * type, REST that must come right before the transfer, EPSV ALL honoured in part, OPTS UTF8 ON refused
 * by a server that is always in UTF-8, a stalled upload and the server's data-connection timeout.
 */
import { describe, expect, it } from 'vitest';
import { FtpSession } from '../../src/probe/ftp-control.js';
import { ftpDataChecks } from '../../src/probe/ftp-data.js';
import { ftpDataTimeoutChecks } from '../../src/probe/ftp-data-timeout.js';
import { ftpIntegrityChecks } from '../../src/probe/ftp-integrity.js';
import { ftpLoginChecks } from '../../src/probe/ftp-login.js';
import { byId, expectClean, LIMITS, PAYLOAD_OCTETS, probe, withTarget } from '../helpers/ftp-probe.js';

describe('FTP probe: REST and FEAT', () => {
  it('passes feat on a server that refuses REST in ASCII type but takes it after TYPE I', async () => {
    await withTarget({ restRule: 'binary-only' }, [], async ({ target }) => {
      // The server does refuse REST in ASCII: what the probe sent before TYPE I came first.
      const raw = await FtpSession.open(target, LIMITS);
      if (!raw.ok) throw new Error('no session');
      await raw.session.loginAs(target);
      expect((await raw.session.command('REST 0')).ok && (await raw.session.command('TYPE I')).ok).toBe(true);
      expect(
        raw.session
          .take()
          .received.filter((l) => /^\d{3} /.test(l))
          .slice(-2),
      ).toEqual(['504 REST not allowed in ASCII mode', '200 Switch to "binary" transfer mode.']);
      await raw.session.quit();

      const feat = byId(await probe(target, [ftpLoginChecks]), 'ftp.feat');
      expect(feat.status).toBe('pass');
      expect(feat.value).toContain('REST STREAM');
      expect(feat.advice).toMatch(/; MDTM, REST, SIZE answered as advertised/);
      expect(feat.sent.indexOf('TYPE I')).toBeGreaterThan(-1);
      expect(feat.sent.indexOf('TYPE I')).toBeLessThan(feat.sent.indexOf('REST 0'));
    });
  });

  it('reports a 501 to OPTS UTF8 ON without failing feat (RFC 2640 does not define the command)', async () => {
    await withTarget({ optsUtf8: 'refuse' }, [], async ({ target }) => {
      const feat = byId(await probe(target, [ftpLoginChecks]), 'ftp.feat');
      expect(feat.status).toBe('pass');
      expect(feat.advice).toMatch(/ OPTS UTF8 ON got 501 OPTS: UTF8 is always on \(not a fault: RFC 2640 defines the UTF8 feature, not this command/);
      expect(feat.received).toContain('501 OPTS: UTF8 is always on');
    });
  });

  it('passes resume on a server that cancels a REST followed by anything but the transfer: data connection first, then REST, RETR', async () => {
    await withTarget({ restRule: 'immediate' }, [], async ({ server, target }) => {
      // The server does cancel: REST, then EPSV gets 503 (the order the probe used to send).
      const raw = await FtpSession.open(target, LIMITS);
      if (!raw.ok) throw new Error('no session');
      await raw.session.loginAs(target);
      await raw.session.command('REST 10');
      expect(raw.session.take().received.at(-1)).toBe('350 Restarting next transfer at 10');
      expect((await raw.session.command('EPSV')).ok && raw.session.take().received.at(-1)).toBe(
        '503 REST must be followed by RETR, STOR or APPE; restart cancelled',
      );
      await raw.session.quit();

      const findings = await probe(target, [ftpIntegrityChecks]);
      expect(byId(findings, 'ftp.integrity')).toMatchObject({ status: 'pass', value: PAYLOAD_OCTETS });
      const resume = byId(findings, 'ftp.resume');
      expect(resume).toMatchObject({ status: 'pass', value: PAYLOAD_OCTETS / 2 });
      expect(resume.advice).toBe(
        `REST ${PAYLOAD_OCTETS / 2} then RETR brought the last ${PAYLOAD_OCTETS / 2} octets; APPE added 1000 octets in place; STOR of the last ${PAYLOAD_OCTETS / 2 + 1000} octets after REST ${PAYLOAD_OCTETS / 2} left the file as it was.`,
      );
      const rest = resume.sent.indexOf(`REST ${PAYLOAD_OCTETS / 2}`);
      expect(resume.sent[rest - 1]).toBe('EPSV');
      expect(resume.sent[rest + 1]).toMatch(/^RETR wireprobe-probe-[0-9a-f]{12}\.bin$/);
      // REST+STOR too, REST right before STOR (the server cancels a restart with any command between).
      const restStor = resume.sent.lastIndexOf(`REST ${PAYLOAD_OCTETS / 2}`);
      expect(restStor).toBeGreaterThan(rest);
      expect(resume.sent[restStor + 1]).toMatch(/^STOR wireprobe-probe-[0-9a-f]{12}\.bin$/);
      expectClean(server, findings);
    });
  });
});

describe('FTP probe: EPSV ALL', () => {
  it('names PORT in the value when EPSV ALL is honoured for PASV and EPRT but not PORT', async () => {
    await withTarget({ epsvAllRefuses: ['PASV', 'EPRT'] }, [], async ({ target }) => {
      const epsv = byId(await probe(target, [ftpDataChecks]), 'ftp.epsv');
      expect(epsv).toMatchObject({ status: 'warn', value: 'PORT accepted after EPSV ALL' });
      expect(epsv.advice).toMatch(/; but after EPSV ALL, PORT \(200 [^)]*\) was accepted \(PASV \(550\), EPRT \(550\) refused\): RFC 2428 §3/);
      // Only the probe's own address was named, and nothing was transferred after EPSV ALL.
      const after = epsv.sent.slice(epsv.sent.indexOf('EPSV ALL'));
      expect(after.filter((l) => l.startsWith('PORT ')).every((l) => l.startsWith('PORT 127,0,0,1,'))).toBe(true);
      expect(after.some((l) => /^(LIST|RETR|STOR)/.test(l))).toBe(false);
    });
  });

  it('names every one accepted when EPSV ALL is answered 200 but ignored', async () => {
    await withTarget({ epsvAllRefuses: [] }, [], async ({ target }) => {
      const epsv = byId(await probe(target, [ftpDataChecks]), 'ftp.epsv');
      expect(epsv).toMatchObject({ status: 'warn', value: 'PASV, PORT, EPRT accepted after EPSV ALL' });
    });
  });
});

describe('FTP probe: large uploads', () => {
  it('fails integrity when a middlebox resets the data connection after 4 MiB of the 8 MiB upload', async () => {
    await withTarget({}, ['reset after STOR +4MiB channel data'], async ({ server, target }) => {
      const findings = await probe(target, [ftpIntegrityChecks]);
      const integrity = byId(findings, 'ftp.integrity');
      expect(integrity.status, integrity.advice).toBe('fail');
      expect(integrity.advice).toMatch(
        /^An upload of 8MiB (was cut short: the data connection was closed after \d+ octets had been sent, then 426 Connection closed; transfer aborted; the server holds \d+;|ended with 426 Connection closed; transfer aborted instead of 226; the server holds \d+:)/,
      );
      // The value is what the server kept, as SIZE says: what the mock recorded.
      expect(integrity.value).toBe(server.files[0]?.bytes);
      expect(byId(findings, 'ftp.resume').status).toBe('skip');
      expect(server.files[0]).toMatchObject({ complete: false });
      expect(server.files[0]!.received).toBeLessThan(PAYLOAD_OCTETS);
      expectClean(server, findings);
    });
  });
});

describe('FTP probe: stalled uploads (--max-data-idle)', () => {
  it("measures the mock's 1 s data-connection timeout: 426, and the partial upload is deleted", async () => {
    await withTarget({ dataIdleTimeoutMs: 1000 }, [], async ({ server, target }) => {
      const findings = await probe(target, [ftpDataTimeoutChecks], { maxDataIdleSeconds: 5 });
      const f = byId(findings, 'ftp.data-timeout');
      expect(f.status).toBe('pass');
      expect(f.value).toMatch(/^closed after \d+(\.\d)? s idle with 426$/);
      expect(f.advice).toMatch(
        / with "426 Connection closed; transfer aborted" \(the data connection closed\), as RFC 959 §4\.2 asks; .*the partial file was deleted\.$/,
      );
      expect(server.files).toHaveLength(1);
      expect(server.files[0]).toMatchObject({ received: 65_536, complete: false });
      expectClean(server, findings);
    });
  });

  it('reports a server without a data timeout as still open after the bound, and aborts the upload itself', async () => {
    await withTarget({}, [], async ({ server, target }) => {
      const findings = await probe(target, [ftpDataTimeoutChecks], { maxDataIdleSeconds: 1 });
      expect(byId(findings, 'ftp.data-timeout')).toMatchObject({ status: 'pass', value: 'still open after 1 s' });
      expect(server.files[0]).toMatchObject({ received: 65_536, complete: false });
      expectClean(server, findings);
    });
  });

  it('is skipped unless allowed', async () => {
    await withTarget({ dataIdleTimeoutMs: 1000 }, [], async ({ server, target }) => {
      const findings = await probe(target, [ftpDataTimeoutChecks]);
      expect(byId(findings, 'ftp.data-timeout').status).toBe('skip');
      expect(byId(findings, 'ftp.data-timeout').advice).toMatch(/--max-data-idle/);
      expect(server.files).toEqual([]);
    });
  });
});
