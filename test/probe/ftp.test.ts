/**
 * The FTP checks of `wireprobe probe` against the mock FTP server, with the fault proxy in front where
 * that is how a defect is planted. Each planted defect must come out as one exact id, status and value.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startFtpServer } from '../../servers/ftp.js';
import { FTP_FINDINGS } from '../../src/probe/ftp-ids.js';
import { ftpDataChecks } from '../../src/probe/ftp-data.js';
import { ftpIntegrityChecks } from '../../src/probe/ftp-integrity.js';
import { ftpLimitChecks } from '../../src/probe/ftp-limits.js';
import { ftpLoginChecks, ftpSessionUsable } from '../../src/probe/ftp-login.js';
import { PROBE_CHECKS } from '../../src/probe/registry.js';
import { runProbe } from '../../src/probe/run.js';
import { parseTarget } from '../../src/probe/target.js';
import { startLateGreeter } from '../helpers/late-greeter.js';
import { byId, expectClean, LIMITS, PASSWORD, PAYLOAD_OCTETS, probe, statuses, USER, withTarget } from '../helpers/ftp-probe.js';

describe('FTP probe, healthy mock server', () => {
  it('passes every check, skips mlsd (no MLST), and quota, data-timeout, idle-timeout and long-transfer unless allowed, and cleans up', async () => {
    await withTarget({}, [], async ({ server, target }) => {
      const findings = await probe(target, PROBE_CHECKS.ftp.groups);
      expect(findings.map((f) => f.id)).toEqual(FTP_FINDINGS.map((f) => f.id));
      // The mock runs without FTPS here: FEAT leaves AUTH TLS out, and a server without TLS is a warning.
      expect(
        findings.filter((f) => f.status === 'warn' || f.status === 'fail').map((f) => [f.id, f.status]),
        JSON.stringify(findings, null, 1),
      ).toEqual([['ftp.auth-tls', 'warn']]);
      expect(findings.filter((f) => f.status === 'skip').map((f) => f.id)).toEqual([
        'ftp.tls-versions',
        'ftp.mlsd',
        'ftp.quota',
        'ftp.data-timeout',
        'ftp.idle-timeout',
        'ftp.long-transfer',
      ]);
      expect(byId(findings, 'ftp.idle-timeout').status).toBe('skip');
      expect(byId(findings, 'ftp.data-timeout').status).toBe('skip');
      expect(ftpSessionUsable(findings)).toBe(true);
      expect(byId(findings, 'ftp.login')).toMatchObject({ status: 'pass', value: 230 });
      expect(byId(findings, 'ftp.login').advice).toMatch(/wrong password got 530/);
      expect(byId(findings, 'ftp.login').sent).toContain('PASS ***');
      expect(byId(findings, 'ftp.feat').value).toMatch(/SIZE/);
      expect(byId(findings, 'ftp.pasv-address')).toMatchObject({ status: 'pass', value: '127.0.0.1' });
      expect(byId(findings, 'ftp.active')).toMatchObject({ status: 'pass', value: 200 });
      expect(byId(findings, 'ftp.port-bounce')).toMatchObject({ status: 'pass', value: 500 });
      expect(byId(findings, 'ftp.port-bounce').sent.some((l) => /^PORT 127,0,0,2,\d+,\d+$/.test(l))).toBe(true);
      expect(byId(findings, 'ftp.epsv').advice).toMatch(/after EPSV ALL, PASV \(550\), PORT \(550\), EPRT \(550\) refused as RFC 2428 §3 requires\.$/);
      expect(byId(findings, 'ftp.epsv').value).toEqual(expect.any(Number));
      expect(byId(findings, 'ftp.integrity')).toMatchObject({ status: 'pass', value: PAYLOAD_OCTETS });
      expect(byId(findings, 'ftp.integrity').advice).toMatch(
        /^Uploaded 8MiB of random octets in [\d.]+ s \([\d.]+ MiB\/s\): 226, SIZE 8388608, and the download's SHA-256 matches; the probe's file was deleted\.$/,
      );
      expect(byId(findings, 'ftp.resume')).toMatchObject({ status: 'pass', value: PAYLOAD_OCTETS / 2 });
      expect(byId(findings, 'ftp.session-limit')).toMatchObject({ status: 'pass' });
      expect(byId(findings, 'ftp.session-limit').value).toBeUndefined();
      expect(server.files.length).toBeGreaterThan(0);
      expect(server.files[0]?.path).toMatch(/^\/wireprobe-probe-[0-9a-f]{12}\.bin$/);
      expectClean(server, findings);
    });
  });

  it('runs through runProbe: every id once, the report naming the target without its password', async () => {
    await withTarget({}, [], async ({ server, target }) => {
      const report = await runProbe(target, { ...LIMITS, maxSessions: 2 });
      expect(report).toMatchObject({ protocol: 'ftp', target: `ftp://${USER}@127.0.0.1:${target.port}` });
      expect(report.findings.map((f) => f.id)).toEqual(FTP_FINDINGS.map((f) => f.id));
      expect(report.summary).toEqual({ pass: FTP_FINDINGS.length - 7, warn: 1, fail: 0, skip: 6 });
      expect(JSON.stringify(report)).not.toContain(PASSWORD);
      expectClean(server, report.findings);
    });
  });

  it('logs in anonymously when the target names no user, and does not try a wrong password', async () => {
    await withTarget({}, [], async ({ target }) => {
      const findings = await ftpLoginChecks({ protocol: 'ftp', host: target.host, port: target.port }, LIMITS);
      expect(statuses(findings)).toEqual({ 'ftp.greeting': 'pass', 'ftp.login': 'pass', 'ftp.feat': 'pass' });
      expect(byId(findings, 'ftp.login').advice).toMatch(/anonymous.*not tried/);
    });
  });
});

describe('FTP probe, planted defects', () => {
  it('fails pasv-address when PASV advertises 127.0.0.9 while the control address works, and never connects to 127.0.0.9', async () => {
    await withTarget({ pasvAddress: '127.0.0.9' }, [], async ({ server, target }) => {
      const findings = await probe(target, [ftpDataChecks]);
      expect(byId(findings, 'ftp.pasv-address')).toMatchObject({ status: 'fail', value: '127.0.0.9' });
      expect(byId(findings, 'ftp.pasv-address').advice).toBe(
        'PASV advertises 127.0.0.9 (not the control address 127.0.0.1; not connected to: the probe uses the control address, as curl and lftp do), and the control address with that port works: clients that follow the 227 fail; set pasv_address / MasqueradeAddress / -P to the address clients reach.',
      );
      // Like curl and lftp, the probe uses the control address: so does pasv-connect.
      expect(byId(findings, 'ftp.pasv-connect').status).toBe('pass');
      expect(byId(findings, 'ftp.epsv').status).toBe('pass');
      expect(findings.flatMap((f) => f.received).filter((l) => l.includes('127.0.0.9:'))).toEqual([]);
      expectClean(server, findings);
    });
  });

  it('never connects to the address a 227 names: a listener on that address and port sees no connection', async () => {
    // The passive port is pinned (to a port just seen free) so that 127.0.0.5 can listen on the very port the 227 names.
    const probePort = net.createServer();
    await new Promise<void>((resolve) => probePort.listen(0, '127.0.0.1', resolve));
    const port = (probePort.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probePort.close(() => resolve()));
    const decoy = net.createServer((socket) => socket.destroy());
    let decoyConnections = 0;
    decoy.on('connection', () => (decoyConnections += 1));
    await new Promise<void>((resolve) => decoy.listen(port, '127.0.0.5', resolve));
    try {
      await withTarget({ pasvAddress: '127.0.0.5', pasvRange: [port, port] }, [], async ({ target }) => {
        const findings = await probe(target, [ftpDataChecks]);
        expect(byId(findings, 'ftp.pasv-address')).toMatchObject({ status: 'fail', value: '127.0.0.5' });
        expect(byId(findings, 'ftp.pasv-connect').status).toBe('pass');
      });
      expect(decoyConnections).toBe(0);
    } finally {
      await new Promise<void>((resolve) => decoy.close(() => resolve()));
    }
  });

  it('fails pasv-address when the proxy rewrites the 227 to a wrong address (dataport wrong-address)', async () => {
    await withTarget({}, ['dataport wrong-address'], async ({ target }) => {
      const findings = await probe(target, [ftpDataChecks]);
      expect(byId(findings, 'ftp.pasv-address')).toMatchObject({ status: 'fail', value: '127.0.0.2' });
      expect(byId(findings, 'ftp.pasv-connect').status).toBe('pass');
    });
  });

  it('warns on epsv when EPSV is answered 502, and integrity still runs over PASV', async () => {
    await withTarget({ epsv: 'off' }, [], async ({ server, target }) => {
      const findings = await probe(target, [ftpDataChecks, ftpIntegrityChecks]);
      expect(byId(findings, 'ftp.epsv')).toMatchObject({ status: 'warn', value: 502 });
      expect(byId(findings, 'ftp.epsv').advice).toMatch(/^EPSV is not supported \(502 /);
      expect(byId(findings, 'ftp.pasv-connect').status).toBe('pass');
      expect(byId(findings, 'ftp.integrity')).toMatchObject({ status: 'pass', value: PAYLOAD_OCTETS });
      expectClean(server, findings);
    });
  });

  it('warns on active when PORT is refused (active mode off)', async () => {
    await withTarget({ active: 'off' }, [], async ({ target }) => {
      const findings = await probe(target, [ftpDataChecks]);
      expect(byId(findings, 'ftp.active')).toMatchObject({ status: 'warn', value: 502 });
      expect(byId(findings, 'ftp.active').advice).toMatch(/^Active mode is refused \(502 /);
      expect(byId(findings, 'ftp.pasv-connect').status).toBe('pass');
    });
  });

  it('fails pasv-connect and epsv when the data port is blackholed, within the reply timeout', async () => {
    await withTarget({}, ['dataport blackholed'], async ({ target }) => {
      const started = performance.now();
      const findings = await probe(target, [ftpDataChecks]);
      expect(byId(findings, 'ftp.pasv-address')).toMatchObject({ status: 'pass', value: '127.0.0.1' });
      const connect = byId(findings, 'ftp.pasv-connect');
      expect(connect.status).toBe('fail');
      expect(connect.value).toEqual(expect.any(Number));
      expect(connect.advice).toMatch(/did not answer within 2 s: a firewall drops the passive ports/);
      expect(byId(findings, 'ftp.epsv').status).toBe('fail');
      expect(byId(findings, 'ftp.active').status).toBe('fail');
      expect(performance.now() - started).toBeLessThan(20_000);
    });
  });

  it('fails pasv-connect when the passive port is refused (dataport refused)', async () => {
    await withTarget({}, ['dataport refused'], async ({ target }) => {
      const findings = await probe(target, [ftpDataChecks]);
      expect(byId(findings, 'ftp.pasv-connect').status).toBe('fail');
      expect(byId(findings, 'ftp.pasv-connect').advice).toMatch(/refused the connection: the passive port is not forwarded/);
    });
  });

  it('fails integrity when the server silently keeps only the first 4 MiB of an 8 MiB upload, and still deletes the file', async () => {
    await withTarget({ truncateUploadsAt: 4 * 1024 * 1024 }, [], async ({ server, target }) => {
      const findings = await probe(target, [ftpIntegrityChecks]);
      const integrity = byId(findings, 'ftp.integrity');
      expect(integrity).toMatchObject({ status: 'fail', value: 4_194_304 });
      expect(integrity.advice).toMatch(
        /^The server answered 226 to an upload of 8MiB \(8388608 octets\) but kept 4194304 \(SIZE 4194304, the download's SHA-256 is [0-9a-f]{16}…, the upload's [0-9a-f]{16}…\): it loses data silently/,
      );
      // What REST and APPE should bring is unknown once the file is not what was sent: said, not guessed.
      expect(byId(findings, 'ftp.resume').status).toBe('skip');
      expect(byId(findings, 'ftp.resume').advice).toMatch(/could not be read back as uploaded \(see ftp\.integrity\)/);
      expect(server.files[0]).toMatchObject({ bytes: 4_194_304, received: PAYLOAD_OCTETS, complete: true });
      expectClean(server, findings);
    });
  });

  it("fails resume when STOR after REST leaves zeros where the file's first octets were (bftpd 4.9's defect)", async () => {
    await withTarget({ restStorZeroes: true }, [], async ({ server, target }) => {
      const findings = await probe(target, [ftpIntegrityChecks], { uploadOctets: 100 * 1024 });
      expect(byId(findings, 'ftp.integrity').status).toBe('pass');
      const resume = byId(findings, 'ftp.resume');
      expect(resume).toMatchObject({ status: 'fail', value: 51_200 });
      expect(resume.advice).toBe(
        "STOR of the last 52200 octets after REST 51200 got 226, but the file then held 103400 octets that differ from the 103400 it held before: a client resuming an upload with REST+STOR (lftp, Python's ftplib) gets a corrupt file (REST 51200 then RETR brought the last 51200 octets; REST STREAM is not in FEAT, so clients may not use it; APPE added 1000 octets in place).",
      );
      expectClean(server, findings);
    });
  });

  it('uploads the size given (--upload-size 100KiB): a truncation at 1000 octets fails integrity', async () => {
    await withTarget({ truncateUploadsAt: 1000 }, [], async ({ server, target }) => {
      const findings = await probe(target, [ftpIntegrityChecks], { uploadOctets: 100 * 1024 });
      expect(byId(findings, 'ftp.integrity')).toMatchObject({ status: 'fail', value: 1000 });
      expect(byId(findings, 'ftp.integrity').advice).toMatch(/^The server answered 226 to an upload of 100KiB \(102400 octets\) but kept 1000 /);
      expect(server.files[0]).toMatchObject({ bytes: 1000, received: 102_400, complete: true });
      expectClean(server, findings);
    });
  });

  it('warns on integrity when SIZE is not supported (and not advertised)', async () => {
    await withTarget({ sizeCommand: 'off' }, [], async ({ server, target }) => {
      const findings = await probe(target, [ftpLoginChecks, ftpIntegrityChecks]);
      expect(byId(findings, 'ftp.feat').status).toBe('pass');
      expect(byId(findings, 'ftp.integrity')).toMatchObject({ status: 'warn', value: PAYLOAD_OCTETS });
      expect(byId(findings, 'ftp.integrity').advice).toMatch(/SIZE is not supported \(502 /);
      expectClean(server, findings);
    });
  });

  it('fails feat when FEAT advertises SIZE but SIZE answers 502', async () => {
    await withTarget({ sizeCommand: 'advertised-only' }, [], async ({ target }) => {
      const findings = await probe(target, [ftpLoginChecks]);
      expect(byId(findings, 'ftp.feat').status).toBe('fail');
      expect(byId(findings, 'ftp.feat').advice).toMatch(/^FEAT advertises SIZE \(502 SIZE not implemented\) but it does not work/);
    });
  });

  it('fails session-limit at 2 when sessions over the limit are reset (proxy limit 2 reset)', async () => {
    await withTarget({}, ['limit 2 reset'], async ({ target }) => {
      const findings = await probe(target, [ftpLimitChecks]);
      expect(byId(findings, 'ftp.session-limit')).toMatchObject({ status: 'fail', value: 2 });
      expect(byId(findings, 'ftp.session-limit').advice).toMatch(/admits 2 sessions in all .*reset \(RST\)/);
      expect(byId(findings, 'ftp.session-limit').received.some((l) => l.startsWith('#3 ') && l.includes('[RST]'))).toBe(true);
    });
  });

  it('fails session-limit at 2 when sessions over the limit are closed without a reply (proxy limit 2 close)', async () => {
    await withTarget({}, ['limit 2 close'], async ({ target }) => {
      const findings = await probe(target, [ftpLimitChecks]);
      expect(byId(findings, 'ftp.session-limit')).toMatchObject({ status: 'fail', value: 2 });
      expect(byId(findings, 'ftp.session-limit').advice).toMatch(/closed without a reply/);
    });
  });

  it("passes session-limit at 3 when the server's own limit answers 421", async () => {
    await withTarget({ maxSessions: 3 }, [], async ({ target }) => {
      const findings = await probe(target, [ftpLimitChecks]);
      expect(byId(findings, 'ftp.session-limit')).toMatchObject({ status: 'pass', value: 3 });
      expect(byId(findings, 'ftp.session-limit').advice).toMatch(/^The server admits 3 sessions in all .*421 Too many users/);
    });
  });

  it('tells a per-address limit from a total one (maxPerAddress 2)', async () => {
    await withTarget({ maxPerAddress: 2 }, [], async ({ target }) => {
      const findings = await probe(target, [ftpLimitChecks]);
      expect(byId(findings, 'ftp.session-limit')).toMatchObject({ status: 'pass', value: 2 });
      expect(byId(findings, 'ftp.session-limit').advice).toMatch(/admits 2 sessions per client address/);
    });
  });

  describe('a session not greeted within the bound while others are held', () => {
    const ramp = async (after: number | 'freed' | 'never', more: { nth?: number; closeFirstAfter?: number } = {}) => {
      const server = await startLateGreeter('220 late ftp', { nth: 3, after, ...more });
      try {
        const findings = await probe(parseTarget(`ftp://127.0.0.1:${server.port}`), [ftpLimitChecks], { replyTimeoutMs: 1_000, maxSessions: 4 });
        return byId(findings, 'ftp.session-limit');
      } finally {
        await server.close();
      }
    };

    it('is no limit when its greeting comes with the others still open (a slow lookup of its own)', async () => {
      const limit = await ramp(2_000);
      expect(limit).toMatchObject({ status: 'pass' });
      expect(limit.value).toBeUndefined();
      expect(limit.advice).toMatch(
        /^4 sessions at once were all admitted.* Greeted late with the others still open, so not held back by them: session 3 after [\d.]+ s\./,
      );
    });

    it('is a limit that queues in silence when it is greeted only once another session ended', async () => {
      const limit = await ramp('freed');
      expect(limit).toMatchObject({ status: 'warn', value: 2 });
      expect(limit.advice).toMatch(/^The server admits 2 sessions; the next one got no greeting for 3 s, then 220 late ftp once one of them ended/);
      expect(limit.sent).toContain('#1 QUIT');
    });

    it('is no limit when it is not greeted even once another session ended', async () => {
      const limit = await ramp('never');
      expect(limit).toMatchObject({ status: 'warn' });
      expect(limit.value).toBeUndefined();
      expect(limit.advice).toMatch(/^With 2 sessions open, the next got no greeting in 3 s, nor in the 1 s after one of them ended: no session limit shown/);
    });

    it('is a limit when it is greeted late once the server itself ended a held session (an idle timeout of its own)', async () => {
      const limit = await ramp('freed', { closeFirstAfter: 2_000 });
      expect(limit).toMatchObject({ status: 'warn', value: 2 });
      expect(limit.advice).toMatch(/^The server admits 2 sessions; the next one got no greeting for [\d.]+ s, then 220 late ftp once one of them ended/);
      expect(limit.sent).not.toContain('#1 QUIT');
      expect(limit.received).toEqual(expect.arrayContaining(['#1 421 idle too long', '#3 220 late ftp']));
    });

    it('measures nothing when the first session is never greeted', async () => {
      const limit = await ramp('never', { nth: 1 });
      expect(limit).toMatchObject({ status: 'skip', advice: 'Not measured: the first session got no greeting in 3 s (see ftp.greeting).' });
    });
  });

  it('warns on session-limit when the limit is answered 530 at PASS (proftpd MaxClients)', async () => {
    await withTarget({ maxSessions: 3, sessionLimitReply: '530' }, [], async ({ target }) => {
      const findings = await probe(target, [ftpLimitChecks]);
      expect(byId(findings, 'ftp.session-limit')).toMatchObject({ status: 'warn', value: 3 });
      expect(byId(findings, 'ftp.session-limit').advice).toMatch(/refused at PASS with 530 Sorry, the maximum number of clients \(3\)/);
      expect(JSON.stringify(findings)).not.toContain(PASSWORD);
    });
  });

  it('passes idle-timeout at about 1 s when the idle close sends 421 first', async () => {
    await withTarget({ idleTimeoutMs: 1000 }, [], async ({ target }) => {
      const findings = await probe(target, [ftpLimitChecks], { maxIdleSeconds: 2, maxSessions: 2 });
      const idle = byId(findings, 'ftp.idle-timeout');
      expect(idle.status).toBe('pass');
      expect(idle.value).toBeGreaterThanOrEqual(0.8);
      expect(idle.value).toBeLessThanOrEqual(1.5);
      expect(idle.received.some((l) => l.startsWith('421 '))).toBe(true);
    });
  });

  it('warns on idle-timeout at about 1 s when the idle close sends no 421', async () => {
    await withTarget({ idleTimeoutMs: 1000, idleClose: 'silent' }, [], async ({ target }) => {
      const findings = await probe(target, [ftpLimitChecks], { maxIdleSeconds: 2, maxSessions: 2 });
      const idle = byId(findings, 'ftp.idle-timeout');
      expect(idle.status).toBe('warn');
      expect(idle.value).toBeGreaterThanOrEqual(0.8);
      expect(idle.value).toBeLessThanOrEqual(1.5);
      expect(idle.advice).toMatch(/closed it without a 421/);
      expect(idle.received).toContain('[closed by server]');
    });
  });

  it('passes idle-timeout with no value when nothing closes within the allowed wait', async () => {
    await withTarget({}, [], async ({ target }) => {
      const findings = await probe(target, [ftpLimitChecks], { maxIdleSeconds: 1, maxSessions: 1 });
      expect(byId(findings, 'ftp.idle-timeout')).toMatchObject({ status: 'pass' });
      expect(byId(findings, 'ftp.idle-timeout').value).toBeUndefined();
    });
  });

  it('warns on a greeting slower than 3 s (value: seconds)', async () => {
    await withTarget({ greetingDelayMs: 3200 }, [], async ({ target }) => {
      const [greeting] = await ftpLoginChecks(target, { ...LIMITS, replyTimeoutMs: 5000 });
      expect(greeting).toMatchObject({ id: 'ftp.greeting', status: 'warn' });
      expect(greeting?.value).toBeGreaterThan(3); // what a warn means; the mock's 3.2 s timer may fire a few ms early
      expect(greeting?.advice).toMatch(/reverse DNS/);
    });
  });

  it('fails greeting and skips the rest when nothing listens', async () => {
    const server = await startFtpServer({});
    const port = server.port;
    await server.close();
    const findings = await probe({ protocol: 'ftp', host: '127.0.0.1', port }, PROBE_CHECKS.ftp.groups, { replyTimeoutMs: 1000 });
    expect(byId(findings, 'ftp.greeting').status).toBe('fail');
    expect(byId(findings, 'ftp.greeting').advice).toMatch(/was refused/);
    expect(findings.filter((f) => f.id !== 'ftp.greeting' && f.status !== 'skip')).toEqual([]);
    expect(ftpSessionUsable(findings)).toBe(false);
  });

  it('logs in with a user name and password outside ASCII, sent as UTF-8 as FTP clients send them', async () => {
    const user = 'ünï';
    const password = 'pä§s €uro';
    await withTarget({ users: { [user]: password } }, [], async ({ target }) => {
      const findings = await ftpLoginChecks({ ...target, user, password }, LIMITS);
      expect(byId(findings, 'ftp.login')).toMatchObject({ status: 'pass', value: 230 });
      expect(JSON.stringify(findings)).not.toContain(password);
    });
  });

  it('logs a named user in inside TLS when FEAT lists AUTH TLS, so a server that refuses USER in clear text is checked too', async () => {
    await withTarget({ tls: 'explicit', requireTls: true }, [], async ({ target }) => {
      const findings = await probe(target, [ftpLoginChecks, ftpDataChecks]);
      const login = byId(findings, 'ftp.login');
      expect(login).toMatchObject({ status: 'pass', value: 230 });
      expect(login.advice).toMatch(/^Logged in as probe \(331 then 230, inside TLS after AUTH TLS\); a wrong password got 530\.$/);
      expect(login.sent.slice(0, 4)).toEqual(['FEAT', 'AUTH TLS', 'USER probe', 'PASS ***']);
      // The data checks ran after PBSZ 0 and PROT P, over TLS data connections.
      expect(byId(findings, 'ftp.pasv-connect').status).toBe('pass');
    });
  });

  it('logs in in clear text, saying so, when FEAT lists AUTH TLS and AUTH TLS is refused (as opportunistic clients do)', async () => {
    await withTarget({ tls: 'explicit' }, ['reply 500 before AUTH then continue'], async ({ target }) => {
      const findings = await ftpLoginChecks(target, LIMITS);
      const login = byId(findings, 'ftp.login');
      expect(login).toMatchObject({ status: 'pass', value: 230 });
      expect(login.advice).toMatch(/^Logged in as probe \(331 then 230, in clear text: FEAT lists AUTH TLS but it was refused \(see ftp\.auth-tls;/);
      expect(login.sent.slice(0, 4)).toEqual(['FEAT', 'AUTH TLS', 'USER probe', 'PASS ***']);
    });
  });

  it.each([
    ['off', { tls: 'explicit' }, 'pass', ['USER probe', 'PASS ***']],
    ['require', {}, 'fail', ['FEAT']],
  ] as const)('with --starttls %s logs in as told', async (starttls, options, status, sent) => {
    await withTarget(options, [], async ({ target }) => {
      const findings = await ftpLoginChecks(target, { ...LIMITS, starttls });
      const login = byId(findings, 'ftp.login');
      expect(login.status).toBe(status);
      expect(login.sent.slice(0, sent.length)).toEqual(sent);
      if (starttls === 'require') {
        expect(login.advice).toBe(
          'FEAT lists no AUTH TLS, and --starttls require asks for TLS: the login as probe was not tried, so its password was not sent in clear text (--starttls off sends it in clear).',
        );
        expect(login.sent).not.toContain('USER probe');
      }
    });
  });

  it('fails login on a wrong password of the target, and skips the checks that need a login', async () => {
    await withTarget({}, [], async ({ target }) => {
      const findings = await probe({ ...target, password: 'not-it' }, [ftpLoginChecks, ftpDataChecks]);
      expect(byId(findings, 'ftp.login')).toMatchObject({ status: 'fail', value: 530 });
      expect(byId(findings, 'ftp.pasv-address').status).toBe('skip');
      expect(JSON.stringify(findings)).not.toContain('not-it');
    });
  });
});
