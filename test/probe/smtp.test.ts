/**
 * `wireprobe probe smtp://...` against the mock SMTP server: healthy configurations, and defects planted
 * with the mock's knobs, with the fault proxy in front of it, or (for what neither can express: a server
 * that loses pipelined commands, ignores its SIZE, ends DATA at a bare LF, answers commands injected
 * before STARTTLS) with a small deliberately broken server defined here.
 */
import net from 'node:net';
import tls from 'node:tls';
import { generate } from 'selfsigned';
import { afterEach, describe, expect, it } from 'vitest';
import { startSmtpServer, type SmtpServerHandle, type SmtpServerOptions } from '../../servers/smtp.js';
import { parseFault } from '../../src/faults/parse.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/proxy.js';
import { renderSent, replyParser } from '../../src/probe/raw.js';
import { toProbeJson } from '../../src/probe/report.js';
import { runProbe } from '../../src/probe/run.js';
import { smtpLimitsGroup } from '../../src/probe/smtp-limits.js';
import { SMTP_IDS } from '../../src/probe/smtp-ids.js';
import { parseTarget } from '../../src/probe/target.js';
import { DEFAULT_PROBE_LIMITS, type Finding, type ProbeLimits, type ProbeReport } from '../../src/probe/types.js';

const FAST: ProbeLimits = { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: 1_000 };
const PASSWORD = 's3cret-pw';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function mock(options: SmtpServerOptions): Promise<SmtpServerHandle> {
  const server = await startSmtpServer(options);
  closers.push(() => server.close());
  return server;
}

async function proxied(server: { port: number }, ...faults: string[]): Promise<ProxyHandle> {
  const proxy = await startProxy({ upstream: { host: '127.0.0.1', port: server.port }, faults: faults.map((f) => parseFault(f)) });
  closers.push(() => proxy.close());
  return proxy;
}

/** id → status, in report order. */
function statuses(report: ProbeReport | readonly Finding[]): Record<string, string> {
  const findings = 'findings' in report ? report.findings : report;
  return Object.fromEntries(findings.map((f) => [f.id, f.status]));
}

function get(report: ProbeReport | readonly Finding[], id: string): Finding {
  const findings = 'findings' in report ? report.findings : report;
  const found = findings.find((f) => f.id === id);
  if (!found) throw new Error(`no finding ${id}`);
  return found;
}

/**
 * A deliberately broken SMTP server (the defects smtp-server cannot be configured into):
 * `sizeIgnored` advertises SIZE 1000 and takes anything; `flushInput` answers only the first command of
 * each read (the input-buffer flush of RFC 2920 §2); `bareLf` ends DATA at any line that is "." after
 * LF framing (SMTP smuggling); `injection` offers STARTTLS and keeps plaintext read before the handshake,
 * answering it inside TLS (CVE-2011-0411).
 */
async function brokenServer(defects: { sizeIgnored?: boolean; flushInput?: boolean; bareLf?: boolean; injection?: boolean }): Promise<{ port: number; delivered: () => number }> {
  const pems = defects.injection ? await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha256' }) : undefined;
  let delivered = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((raw) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    raw.on('error', () => undefined);
    let socket: net.Socket = raw;
    let buffer = '';
    let inData = false;
    let upgrading = false;
    const caps = ['250-broken.test', '250-PIPELINING', ...(defects.sizeIgnored ? ['250-SIZE 1000'] : []), ...(defects.injection ? ['250-STARTTLS'] : []), '250 8BITMIME'];
    const reply = (line: string): void => void socket.write(`${line}\r\n`);
    const process = (): void => {
      for (;;) {
        if (upgrading) return;
        const lf = buffer.indexOf('\n');
        if (lf === -1) return;
        const line = buffer.slice(0, lf).replace(/\r$/, '');
        buffer = buffer.slice(lf + 1);
        if (inData) {
          // Vulnerable framing: LF-separated lines, so "\n.\n" ends the data (smuggling).
          if (line === '.' && defects.bareLf) {
            inData = false;
            delivered++;
            reply('250 queued');
          }
          continue;
        }
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') socket.write(`${caps.join('\r\n')}\r\n`);
        else if (['HELO', 'MAIL', 'RCPT', 'RSET', 'NOOP'].includes(verb)) reply('250 ok');
        else if (verb === 'DATA') {
          inData = true;
          reply('354 go ahead');
        } else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else if (verb === 'STARTTLS' && pems) {
          reply('220 go ahead');
          upgrading = true;
          const secure = new tls.TLSSocket(raw, { isServer: true, key: pems.private, cert: pems.cert });
          secure.on('error', () => undefined);
          secure.on('secure', () => {
            socket = secure;
            upgrading = false;
            secure.on('data', (chunk: Buffer) => {
              buffer += chunk.toString('latin1');
              process();
            });
            process(); // the vulnerability: plaintext read before the handshake is still in `buffer`
          });
          raw.removeAllListeners('data');
          return;
        } else reply('500 unknown command');
        if (defects.flushInput) buffer = '';
      }
    };
    raw.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      process();
    });
    reply('220 broken.test ESMTP');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as net.AddressInfo).port, delivered: () => delivered };
}

describe('wireprobe probe smtp', () => {
  it('finds a healthy submission server conformant, with credentials used and never shown', async () => {
    const server = await mock({ tls: 'starttls', sizeLimit: 10_000, maxClients: 2, auth: 'required', users: { alice: PASSWORD } });
    const report = await runProbe(parseTarget(`smtp://alice:${PASSWORD}@127.0.0.1:${server.port}`), DEFAULT_PROBE_LIMITS);
    expect(report.target).toBe(`smtp://alice@127.0.0.1:${server.port}`);
    expect(report.findings.map((f) => f.id)).toEqual([...SMTP_IDS.slice(0, 2), 'smtp.starttls', 'smtp.starttls-injection', 'smtp.tls', 'smtp.auth', ...SMTP_IDS.slice(6)]);
    expect(statuses(report)).toEqual({
      'smtp.greeting': 'pass',
      'smtp.ehlo': 'pass',
      'smtp.starttls': 'pass',
      'smtp.starttls-injection': 'pass',
      // Genuine traits of the mock: its certificate is self-signed, and it offers AUTH before STARTTLS.
      'smtp.tls': 'warn',
      'smtp.auth': 'warn',
      'smtp.size': 'pass',
      'smtp.pipelining': 'pass',
      // Only with --send: on a vulnerable server the check itself delivers a message.
      'smtp.bare-lf': 'skip',
      'smtp.open-relay': 'pass',
      'smtp.session-limit': 'pass',
      'smtp.idle-timeout': 'skip',
    });
    expect(get(report, 'smtp.bare-lf').advice).toMatch(/^Not checked by default: .* give --send to run it\.$/);
    expect(get(report, 'smtp.tls').advice).toMatch(/self-signed/);
    expect(get(report, 'smtp.tls').value).toMatch(/^TLSv1\.[23]$/);
    expect(get(report, 'smtp.auth').advice).toMatch(/offered before STARTTLS.*credentials were accepted \(235\)/);
    expect(get(report, 'smtp.size').value).toBe(10_000);
    expect(get(report, 'smtp.session-limit').value).toBe(2);
    expect(get(report, 'smtp.session-limit').received.at(-1)).toMatch(/^#3 421 /);
    expect(typeof get(report, 'smtp.greeting').value).toBe('number');
    expect(get(report, 'smtp.ehlo').value).toContain('SIZE 10000');
    expect(report.summary).toEqual({ pass: 8, warn: 2, fail: 0, skip: 2 });
    // Non-destructive: no message was delivered.
    await server.idle();
    expect(server.messages).toEqual([]);
    // Credentials never appear: not the password, not the AUTH PLAIN payload.
    const json = JSON.stringify(toProbeJson(report));
    for (const secret of [PASSWORD, Buffer.from(`\0alice\0${PASSWORD}`).toString('base64'), Buffer.from(PASSWORD).toString('base64')]) {
      expect(json).not.toContain(secret);
    }
    expect(get(report, 'smtp.size').sent).toContain('AUTH PLAIN ***');
  });

  it('reports an open relay, missing STARTTLS and no SIZE on a server that accepts anything', async () => {
    const server = await mock({});
    const report = await runProbe(parseTarget(`smtp://127.0.0.1:${server.port}`), FAST);
    expect(statuses(report)).toEqual({
      'smtp.greeting': 'pass',
      'smtp.ehlo': 'pass',
      'smtp.starttls': 'warn',
      'smtp.starttls-injection': 'skip',
      'smtp.tls': 'skip',
      'smtp.auth': 'skip',
      'smtp.size': 'skip',
      'smtp.pipelining': 'pass',
      'smtp.bare-lf': 'skip',
      'smtp.open-relay': 'fail',
      'smtp.session-limit': 'pass',
      'smtp.idle-timeout': 'skip',
    });
    expect(get(report, 'smtp.open-relay').advice).toMatch(/^May be an open relay.*127\.0\.0\.1/);
    expect(get(report, 'smtp.open-relay').sent).toEqual(expect.arrayContaining(['RCPT TO:<probe@wireprobe-relay-test.invalid>', 'RSET']));
    expect(get(report, 'smtp.session-limit').value).toBeUndefined();
    await server.idle();
    expect(server.messages).toEqual([]);
  });

  it('reports a greeting that never comes once, and skips the rest without waiting on each', async () => {
    const server = await mock({});
    const proxy = await proxied(server, 'stall on connect');
    const report = await runProbe(parseTarget(`smtp://127.0.0.1:${proxy.port}`), FAST);
    expect(get(report, 'smtp.greeting')).toMatchObject({ status: 'fail', received: ['[timeout after 1000 ms]'] });
    expect(get(report, 'smtp.greeting').advice).toMatch(/^No greeting \[timeout after 1000 ms\]: the server accepted/);
    expect(report.findings.map((f) => f.id)).toEqual(expect.arrayContaining([...SMTP_IDS]));
    expect(report.summary).toEqual({ pass: 0, warn: 0, fail: 1, skip: SMTP_IDS.length - 1 });
  });

  it('reports a reset right after the greeting as a failed EHLO, and stops there', async () => {
    const server = await mock({});
    const proxy = await proxied(server, 'reset after greeting');
    const report = await runProbe(parseTarget(`smtp://127.0.0.1:${proxy.port}`), FAST);
    expect(get(report, 'smtp.greeting').status).toBe('pass');
    expect(get(report, 'smtp.ehlo')).toMatchObject({ status: 'fail' });
    expect(get(report, 'smtp.ehlo').advice).toBe('No reply to EHLO [RST].');
    expect(report.summary.skip).toBe(SMTP_IDS.length - 2);
  });

  it('turns a server that hangs at MAIL into findings, each session costing one bound', async () => {
    const server = await mock({ sizeLimit: 10_000 });
    const proxy = await proxied(server, 'stall before reply to MAIL');
    const report = await runProbe(parseTarget(`smtp://127.0.0.1:${proxy.port}`), FAST);
    expect(statuses(report)).toMatchObject({ 'smtp.greeting': 'pass', 'smtp.ehlo': 'pass', 'smtp.size': 'fail', 'smtp.pipelining': 'fail', 'smtp.bare-lf': 'skip', 'smtp.open-relay': 'warn' });
    expect(get(report, 'smtp.size').advice).toBe('MAIL with SIZE=1000 got no reply [timeout after 1000 ms].');
    expect(get(report, 'smtp.size').sent.at(-1)).toBe('MAIL FROM:<> SIZE=1000'); // nothing more on a stalled session
    expect(get(report, 'smtp.pipelining').advice).toMatch(/^Only 0 of 4 pipelined commands were answered \(none\) before \[timeout after 1000 ms\]/);
    expect(get(report, 'smtp.bare-lf').advice).toMatch(/^Not checked by default/);
    expect(get(report, 'smtp.open-relay').advice).toMatch(/^MAIL from an outside address got no reply \[timeout after 1000 ms\]: inconclusive/);
  });

  it.each([
    ['limit 2 reset', 'fail', /reset \(RST\) without a reply/],
    ['limit 2 close', 'fail', /closed without a reply/],
    ['limit 2 queue', 'warn', /no greeting within 1 s/],
    ['limit 2', 'pass', /The limit is 2 concurrent sessions.*421/],
  ])('measures a session limit of 2 refused by "%s" as %s', async (fault, status, advice) => {
    const server = await mock({});
    const proxy = await proxied(server, fault);
    const findings = await smtpLimitsGroup(parseTarget(`smtp://127.0.0.1:${proxy.port}`), FAST);
    const limit = get(findings, 'smtp.session-limit');
    expect(limit).toMatchObject({ status, value: 2 });
    expect(limit.advice).toMatch(advice);
    expect(limit.sent).toEqual(['#1 [connect]', '#2 [connect]', '#3 [connect]']);
  });

  it('stops the session ramp at --max-sessions', async () => {
    const server = await mock({ maxClients: 10 });
    const findings = await smtpLimitsGroup(parseTarget(`smtp://127.0.0.1:${server.port}`), { ...FAST, maxSessions: 3 });
    expect(get(findings, 'smtp.session-limit')).toMatchObject({ status: 'pass', sent: ['#1 [connect]', '#2 [connect]', '#3 [connect]'] });
    expect(get(findings, 'smtp.session-limit').advice).toMatch(/No limit reached: 3 concurrent sessions/);
    await server.idle();
  });

  it('measures the idle timeout only when allowed, and only as long as allowed', async () => {
    const server = await mock({});
    const target = parseTarget(`smtp://127.0.0.1:${server.port}`);
    expect(get(await smtpLimitsGroup(target, { ...FAST, maxSessions: 1 }), 'smtp.idle-timeout').status).toBe('skip');
    const idle = get(await smtpLimitsGroup(target, { ...FAST, maxSessions: 1, maxIdleSeconds: 1 }), 'smtp.idle-timeout');
    expect(idle).toMatchObject({ status: 'pass' });
    expect(idle.value).toBeUndefined();
    expect(idle.advice).toMatch(/Still open after 1 s idle/);
    expect(idle.received).toContain('[timeout after 1000 ms]');
  });

  it('reports an idle session closed silently, and one closed with a 421 first', async () => {
    const server = await mock({});
    const silent = await proxied(server, 'close after EHLO');
    const quiet = get(await smtpLimitsGroup(parseTarget(`smtp://127.0.0.1:${silent.port}`), { ...FAST, maxSessions: 1, maxIdleSeconds: 3 }), 'smtp.idle-timeout');
    expect(quiet).toMatchObject({ status: 'warn' });
    expect(quiet.advice).toMatch(/was closed after [\d.]+ s without a 421 first/);
    expect(quiet.value).toBeLessThan(3);
    const polite = await proxied(server, 'reply 421 "4.4.2 Idle timeout" after EHLO then close');
    const told = get(await smtpLimitsGroup(parseTarget(`smtp://127.0.0.1:${polite.port}`), { ...FAST, maxSessions: 1, maxIdleSeconds: 3 }), 'smtp.idle-timeout');
    expect(told).toMatchObject({ status: 'warn' }); // a 421 first, but far shorter than 5 minutes
    expect(told.advice).toMatch(/got "421 4\.4\.2 Idle timeout" after [\d.]+ s\. [\d.]+ s is shorter than the 5 minutes/);
  });

  it('reports a server that drops the connection at STARTTLS', async () => {
    const server = await mock({ tls: 'starttls' });
    const proxy = await proxied(server, 'reset after STARTTLS');
    const report = await runProbe(parseTarget(`smtp://127.0.0.1:${proxy.port}`), FAST);
    expect(get(report, 'smtp.starttls').status).toBe('fail');
    expect(get(report, 'smtp.starttls').advice).toMatch(/STARTTLS is advertised but got "\[RST\]", not 220/);
    expect(get(report, 'smtp.tls').status).toBe('skip');
    // Checks that need a session inside TLS say why they could not run.
    expect(get(report, 'smtp.size').advice).toMatch(/^Not checked: the session failed at starttls/);
  });

  it('detects lost pipelined commands, an unenforced SIZE and SMTP smuggling on a broken server', async () => {
    const broken = await brokenServer({ sizeIgnored: true, flushInput: true, bareLf: true });
    const report = await runProbe(parseTarget(`smtp://127.0.0.1:${broken.port}`), FAST);
    expect(get(report, 'smtp.size')).toMatchObject({ status: 'fail', value: 1000 });
    expect(get(report, 'smtp.size').advice).toMatch(/SIZE=1001, over the advertised 1000, was accepted/);
    expect(get(report, 'smtp.pipelining').status).toBe('fail');
    expect(get(report, 'smtp.pipelining').advice).toMatch(/^Only 1 of 4 pipelined commands were answered/);
    expect(get(report, 'smtp.bare-lf').status).toBe('skip'); // by default: the test would deliver here
    const sent = await runProbe(parseTarget(`smtp://127.0.0.1:${broken.port}`), { ...FAST, send: true });
    const smuggling = get(sent, 'smtp.bare-lf');
    expect(smuggling).toMatchObject({ status: 'fail', value: '\\n.\\n \\r\\n.\\n \\n.\\r\\n' });
    expect(smuggling.advice).toMatch(/^Vulnerable to SMTP smuggling/);
    expect(get(report, 'smtp.open-relay').status).toBe('fail');
  });

  it('detects STARTTLS command injection (CVE-2011-0411)', async () => {
    const broken = await brokenServer({ injection: true });
    const report = await runProbe(parseTarget(`smtp://127.0.0.1:${broken.port}`), FAST);
    expect(get(report, 'smtp.starttls-injection').status).toBe('fail');
    expect(get(report, 'smtp.starttls-injection').advice).toMatch(/^Vulnerable to STARTTLS command injection/);
  });

  it('delivers one test message with --send, and sees an undeclared oversized body refused', async () => {
    const server = await mock({ sizeLimit: 4_000 });
    const report = await runProbe(parseTarget(`smtp://127.0.0.1:${server.port}`), { ...FAST, send: true });
    expect(get(report, 'smtp.size')).toMatchObject({ status: 'pass', value: 4_000 });
    expect(get(report, 'smtp.size').advice).toMatch(/undeclared body of \d+ octets got 552/);
    expect(get(report, 'smtp.pipelining').advice).toMatch(/With --send a test message to postmaster was delivered/);
    await server.idle();
    expect(server.messages).toHaveLength(1);
    expect(server.messages[0]).toMatchObject({ from: '', to: ['postmaster'] }); // the mock keeps one copy of a repeated recipient
  });
});

describe('the raw client\'s reply parser and transcript (shared with the FTP checks)', () => {
  it.each([
    ['220 ready\r\n', { code: 220, lines: ['ready'], malformed: false, bareLf: false }, 11],
    ['250-a\r\n250-b\r\n250 c\r\nNEXT', { code: 250, lines: ['a', 'b', 'c'] }, 21],
    ['211-Features:\r\n MDTM\r\n SIZE\r\n211 End\r\n', { code: 211, lines: ['Features:', ' MDTM', ' SIZE', 'End'] }, 38],
    ['250\n', { code: 250, lines: [''], bareLf: true }, 4],
    ['hello\r\n', { code: 0, lines: ['hello'], malformed: true }, 7],
  ])('parses %j', (text, reply, consumed) => {
    expect(replyParser(text)).toMatchObject({ value: reply, consumed });
  });

  it.each([['250-a\r\n250 b'], ['220 rea'], ['']])('waits for more after %j', (text) => {
    expect(replyParser(text)).toBeUndefined();
  });

  it('shows what was written line by line, bare CR/LF visible, credentials redacted', () => {
    expect(renderSent('EHLO x\r\nPASS hunter2\r\nA\n.\nB\r\n')).toEqual(['EHLO x', 'PASS ***', 'A\\n.\\nB']);
    // Lines written behind an AUTH in the same write are its SASL responses, before any reply: all secret.
    expect(renderSent('EHLO x\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nAUTH LOGIN\r\nYWxpY2U=\r\nc2VjcmV0\r\n')).toEqual(['EHLO x', 'AUTH PLAIN ***', '***', '***', '***']);
  });
});
