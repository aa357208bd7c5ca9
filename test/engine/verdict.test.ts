import { describe, expect, it } from 'vitest';
import type { Expect, FtpReport, Outcome, SinkReport } from '../../src/engine/types.js';
import { judge, judgeFtp, type Transferred } from '../../src/engine/verdict.js';

const fails: Expect = { client: 'fails', rule: 'RULE' };
const delivers: Expect = { client: 'delivers', rule: 'RULE', mustSend: { step: 'QUIT', rule: 'QUIT RULE' } };
const reset: Outcome = { kind: 'reset', phase: 'rcpt', bytesSent: 0 };
const delivered: Outcome = { kind: 'delivered', phase: 'dot', bytesSent: 10 };
const none: SinkReport = { copies: 0, intact: true };
const one: SinkReport = { copies: 1, intact: true };
const steps = new Set(['EHLO', 'MAIL', 'RCPT', 'DATA', 'dot']);

describe('judge', () => {
  it.each([
    ['a reported failure when failure is expected', fails, reset, none, false, 'conformant', /reported the failure \(reset@rcpt\)/],
    ['a reported failure while the server kept the message (the duplicate trap)', fails, reset, one, false, 'conformant', /retry will deliver it twice/],
    ['a success where failure is required', fails, delivered, one, false, 'deviates', /reported success although/],
    ['a success with no copy at the server', delivers, delivered, none, false, 'deviates', /message is lost/],
    ['two copies at the server', delivers, delivered, { copies: 2, intact: true }, false, 'deviates', /duplicate delivery/],
    ['a corrupted copy', delivers, delivered, { copies: 1, intact: false }, false, 'deviates', /SHA-256 differs/],
    ['a hung client', fails, { kind: 'hung', phase: 'body', bytesSent: 0 } as Outcome, none, false, 'deviates', /never reported/],
    ['a delivery when delivery is expected', delivers, delivered, one, false, 'conformant', /delivered exactly once/],
    ['a failure when delivery is expected', delivers, reset, none, false, 'deviates', /did not deliver/],
    ['a fault that never fired', fails, delivered, one, true, 'unfired', /never fired/],
  ])('judges %s', (_name, expect_, outcome, sink, unfired, verdict, reason) => {
    const judged = judge({ expect: expect_, unfired, steps: new Set([...steps, 'QUIT']), outcome, sink });
    expect(judged.verdict).toBe(verdict);
    expect(judged.reason).toMatch(reason);
  });

  it('judges the client framing only where the scenario asks for it', () => {
    const violations = ['sent MAIL before the reply to EHLO (RFC 2920 §3.1)'];
    const base = { unfired: false, steps, outcome: delivered, sink: one, violations };
    expect(judge({ ...base, expect: { ...delivers, wellFormed: true } })).toEqual({
      verdict: 'deviates',
      reason: 'the client sent MAIL before the reply to EHLO (RFC 2920 §3.1)',
    });
    expect(judge({ ...base, steps: new Set([...steps, 'QUIT']), expect: delivers }).verdict).toBe('conformant');
  });

  it('calls AUTH or MAIL sent in clear a deviation where TLS was stripped, whatever the client reported; inside TLS they are fine', () => {
    const inClear: Expect = { ...fails, neverSends: { steps: ['AUTH', 'MAIL'], rule: 'CLEAR RULE' } };
    const base = { expect: inClear, unfired: false, steps, outcome: reset, sink: none };
    expect(judge({ ...base, clearSteps: new Set(['EHLO', 'AUTH']) })).toEqual({ verdict: 'deviates', reason: 'sent AUTH in clear; CLEAR RULE' });
    expect(judge({ ...base, clearSteps: new Set(['EHLO', 'MAIL']), outcome: delivered, sink: one }).verdict).toBe('deviates');
    expect(judge({ ...base, clearSteps: new Set(['EHLO']) }).verdict).toBe('conformant');
    // STARTTLS sent though not offered, MAIL inside TLS: delivered, nothing in clear.
    const secured = judge({ ...base, clearSteps: new Set(['EHLO', 'STARTTLS']), outcome: delivered, sink: one });
    expect(secured).toEqual({ verdict: 'conformant', reason: 'delivered, and sent none of AUTH, MAIL in clear; CLEAR RULE' });
  });

  it('names the step an unfired fault waited on when the client never sent it, and HELO sent instead of EHLO', () => {
    const base = { expect: fails, unfired: true, outcome: delivered, sink: one };
    const helo = new Set(['HELO', 'MAIL', 'RCPT', 'DATA', 'dot', 'QUIT']);
    expect(judge({ ...base, steps: helo, waitedOn: 'EHLO' }).reason).toBe(
      'the fault never fired: the client never sent EHLO (it greeted with HELO, RFC 5321 §4.1.1.1); the client saw delivered',
    );
    expect(judge({ ...base, steps: helo, waitedOn: 'BDAT LAST' }).reason).toBe('the fault never fired: the client never sent BDAT; the client saw delivered');
    expect(judge({ ...base, steps: new Set(['EHLO', 'MAIL', 'RCPT', 'BDAT']), waitedOn: 'dot' }).reason).toBe(
      'the fault never fired: the client never sent the end of data (<CRLF>.<CRLF>); the client saw delivered',
    );
    // Sent, yet unfired (a byte count never reached), or nothing the client sends: the plain reason.
    for (const waitedOn of ['DATA', 'greeting', 'handshake', undefined]) {
      expect(judge({ ...base, steps: helo, waitedOn }).reason).toBe('the fault never fired; the client saw delivered');
    }
  });

  it('says of messages reported delivered with no copy how many the server holds changed and how many are lost', () => {
    const messages = { sent: 5, transactions: 5, retried: 0, acknowledged: 5, reportedDelivered: 5, reportedFailed: 0, lost: 4, duplicated: 0 };
    const base = { expect: delivers, unfired: false, steps: new Set([...steps, 'QUIT']), outcome: delivered };
    const tally = '5 of 5 reported delivered, 0 reported failed';
    expect(judge({ ...base, messages: { ...messages, changed: 4 }, sink: { copies: 5, intact: false } }).reason).toBe(
      `4 message(s) reported delivered have no copy at the server: 4 at the server changed (size or SHA-256 differs from what was sent); ${tally}`,
    );
    expect(judge({ ...base, messages: { ...messages, changed: 1 }, sink: { copies: 2, intact: false } }).reason).toBe(
      `4 message(s) reported delivered have no copy at the server: 1 at the server changed (size or SHA-256 differs from what was sent), 3 lost (not at the server); ${tally}`,
    );
    expect(judge({ ...base, messages: { ...messages, changed: 0 }, sink: one }).reason).toBe(
      `4 message(s) reported delivered have no copy at the server: 4 lost (not at the server); ${tally}`,
    );
  });

  it('calls a fault waiting on QUIT that never fired a deviation when the client never sent QUIT', () => {
    const judged = judge({ expect: delivers, unfired: true, steps, outcome: delivered, sink: one });
    expect(judged).toEqual({ verdict: 'deviates', reason: 'never sent QUIT, so the fault waiting on it could not fire; QUIT RULE' });
  });
});

describe('judgeFtp', () => {
  const upload = (held: string | undefined, reported = true): Transferred => ({
    reported,
    sent: 'aa',
    bytes: 10,
    ...(held ? { held, heldBytes: held === 'aa' ? 10 : 4 } : {}),
  });
  const ftp = (sessions: number, connections = sessions): FtpReport => ({
    control: null,
    sessions,
    transfers: sessions,
    data: { connections, bytes: 10, clientSaw: null },
  });
  const stored: Outcome = { kind: 'delivered', phase: 'stor', bytesSent: 10 };
  const base = { unfired: false, download: false };

  it.each([
    [
      'an upload reported complete that the server holds differently',
      fails,
      stored,
      [upload('bb')],
      1,
      'deviates',
      /reported the upload complete, but the server holds 4 bytes with SHA-256 bb, not the 10 bytes with SHA-256 aa/,
    ],
    [
      'a success in one session where the cut must be reported',
      fails,
      stored,
      [upload('aa')],
      1,
      'deviates',
      /reported success where it had to stop and report a failure/,
    ],
    [
      'a client that reconnected and resumed to the whole file',
      fails,
      stored,
      [upload('aa')],
      3,
      'conformant',
      /recovered on its own: reconnected and resumed, and the server holds the whole file intact \(3 connections, 3 transfer commands\)/,
    ],
    [
      'a client that opened a new data connection (EPSV failed, then PASV) and delivered',
      fails,
      stored,
      [upload('aa')],
      [1, 2],
      'conformant',
      /recovered on its own: opened a new data connection, and the server holds the whole file intact/,
    ],
    ['a reported failure', fails, reset, [upload('bb', false)], 1, 'conformant', /reported the failure \(reset@rcpt\)/],
    [
      'parallel transfers, some turned away',
      { client: 'accounts', rule: 'RULE' } as Expect,
      reset,
      [upload('aa'), upload(undefined, false)],
      2,
      'conformant',
      /1 of 2 transfers reported complete and intact, 1 reported failed/,
    ],
  ] as const)('judges %s', (_name, expect_, outcome, transferred, sessions, verdict, reason) => {
    const [count, connections] = typeof sessions === 'number' ? [sessions, sessions] : sessions;
    const judged = judgeFtp({ ...base, expect: expect_, outcome, transferred, ftp: ftp(count, connections) });
    expect(judged.verdict).toBe(verdict);
    expect(judged.reason).toMatch(reason);
  });

  it('calls a short download reported complete a deviation, with both sizes and hashes, even where the rule is that the cut must be reported', () => {
    const short: Transferred = { reported: true, sent: 'a'.repeat(64), bytes: 8_388_608, held: 'b'.repeat(64), heldBytes: 1_048_576 };
    const retrieved: Outcome = { kind: 'delivered', phase: 'retr', bytesSent: 1_048_576 };
    const judged = judgeFtp({ ...base, download: true, expect: fails, outcome: retrieved, transferred: [short], ftp: ftp(1) });
    expect(judged).toEqual({
      verdict: 'deviates',
      reason: `reported the download complete, but it received 1048576 bytes with SHA-256 ${'b'.repeat(64)}, not the 8388608 bytes with SHA-256 ${'a'.repeat(64)} that the server served`,
    });
  });

  it('calls USER or PASS sent in clear a deviation where AUTH TLS was refused, whatever the client reported', () => {
    const noLogin: Expect = { ...fails, neverSends: { steps: ['USER', 'PASS'], rule: 'LOGIN RULE' } };
    const refused: Outcome = { kind: 'reply', code: 502, phase: 'auth', bytesSent: 0 };
    const judgedWith = (clear: string[]) =>
      judgeFtp({ ...base, expect: noLogin, outcome: refused, transferred: [upload(undefined, false)], ftp: ftp(1), clearSteps: new Set(clear) });
    expect(judgedWith(['AUTH', 'USER', 'PASS'])).toEqual({ verdict: 'deviates', reason: 'sent USER in clear (reply 502@auth); LOGIN RULE' });
    expect(judgedWith(['AUTH']).verdict).toBe('conformant');
  });

  it('judges a fault the server overtook as one that never fired, and says so (DataInfo.overtaken)', () => {
    const refused: Outcome = { kind: 'reply', code: 522, phase: 'stor', bytesSent: 262_144 };
    const evidence = { ...base, expect: fails, outcome: refused, transferred: [upload(undefined, false)], ftp: ftp(1) };
    expect(judgeFtp({ ...evidence, overtaken: true })).toEqual({
      verdict: 'unfired',
      reason:
        "the fault fired, but the server ended the data connection on its own before the fault's RST or FIN reached either end; the client saw reply 522@stor",
    });
    expect(judgeFtp(evidence).verdict).toBe('conformant');
  });
});
