/**
 * Pinned outcomes: the text and object forms a scenario file may use, and the verdict that compares a
 * client's outcome with its pin, after the integrity checks it never replaces.
 */
import { describe, expect, it } from 'vitest';
import { parsePin } from '../../src/config/pin.js';
import type { Expect, FtpReport, Outcome, SinkReport } from '../../src/engine/types.js';
import { formatPin, judge, judgeFtp } from '../../src/engine/verdict.js';

describe('a pin', () => {
  it.each([
    ['reset@data', 'smtp', { kind: 'reset', phase: 'data' }],
    ['  Reset @ BODY ', 'smtp', { kind: 'reset', phase: 'body' }],
    ['reply 451@rcpt', 'smtp', { kind: 'reply', code: 451, phase: 'rcpt' }],
    ['reply 552', 'smtp', { kind: 'reply', code: 552 }],
    ['closed', 'smtp', { kind: 'closed' }],
    ['delivered', 'ftp', { kind: 'delivered' }],
    ['reset@transfer', 'ftp', { kind: 'reset', phase: 'transfer' }],
    ['timeout@epsv', 'ftp', { kind: 'timeout', phase: 'epsv' }],
    [{ kind: 'reply', code: 421, phase: 'greeting' }, 'ftp', { kind: 'reply', code: 421, phase: 'greeting' }],
  ] as const)('reads %j (%s)', (value, protocol, pin) => {
    expect(parsePin(value, protocol)).toEqual(pin);
    expect(parsePin(formatPin(pin), protocol)).toEqual(pin);
  });

  it.each([
    ['rest@data', 'smtp', /unknown outcome kind "rest"/],
    ['reset@rpct', 'smtp', /unknown SMTP phase "rpct"/],
    ['reset@upload', 'ftp', /unknown FTP phase "upload"/],
    ['closed 421', 'smtp', /only a reply has a code/],
    ['reply 999', 'smtp', /bad reply code 999/],
    ['delivered@dot', 'smtp', /delivered has no phase/],
    ['reset at data', 'smtp', /expected KIND\[ CODE\]\[@PHASE\]/],
    [{ kind: 'reset', when: 'data' }, 'smtp', /unknown key "when"/],
    [{ kind: 'reply', code: '451' }, 'smtp', /a code is a number/],
    [42, 'smtp', /expected an outcome such as/],
  ] as const)('refuses %j (%s)', (value, protocol, problem) => {
    expect(() => parsePin(value, protocol)).toThrow(problem);
  });
});

describe('the verdict with a pin', () => {
  const fails: Expect = { client: 'fails', rule: 'RULE' };
  const reset: Outcome = { kind: 'reset', phase: 'body', bytesSent: 100 };
  const none: SinkReport = { copies: 0, intact: true };
  const base = { expect: fails, unfired: false, steps: new Set<string>(), outcome: reset, sink: none };

  it('is conformant when the outcome matches the pin, and deviates naming both when not', () => {
    expect(judge({ ...base, pinned: { kind: 'reset', phase: 'body' } })).toEqual({
      verdict: 'conformant',
      reason: 'got the pinned outcome reset@body (reset@body)',
    });
    expect(judge({ ...base, pinned: { kind: 'reset' } }).verdict).toBe('conformant');
    expect(judge({ ...base, pinned: { kind: 'closed', phase: 'body' } })).toEqual({ verdict: 'deviates', reason: 'pinned closed@body, got reset@body' });
    expect(judge({ ...base, pinned: { kind: 'delivered' } })).toEqual({ verdict: 'deviates', reason: 'pinned delivered, got reset@body' });
  });

  it('replaces the rule: a pinned success is conformant where the rule says fail', () => {
    const delivered: Outcome = { kind: 'delivered', phase: 'dot', bytesSent: 100 };
    const judged = judge({ ...base, outcome: delivered, sink: { copies: 1, intact: true }, pinned: { kind: 'delivered' } });
    expect(judged.verdict).toBe('conformant');
  });

  it('never replaces the integrity checks or unfired', () => {
    const delivered: Outcome = { kind: 'delivered', phase: 'dot', bytesSent: 100 };
    const pinned = { kind: 'delivered' } as const;
    expect(judge({ ...base, outcome: delivered, sink: { copies: 2, intact: true }, pinned }).reason).toMatch(/duplicate delivery/);
    expect(judge({ ...base, outcome: delivered, sink: none, pinned }).reason).toMatch(/the message is lost/);
    expect(judge({ ...base, unfired: true, pinned: { kind: 'reset' } }).verdict).toBe('unfired');
  });

  it('judges an FTP transfer by its pin after the file is checked', () => {
    const ftp: FtpReport = { control: 'rst', sessions: 1, transfers: 1, data: { connections: 1, bytes: 10, clientSaw: null } };
    const evidence = { expect: fails, unfired: false, outcome: { ...reset, phase: 'transfer' }, download: false, ftp };
    const cut = { reported: false, sent: 'a', bytes: 10 };
    expect(judgeFtp({ ...evidence, transferred: [cut], pinned: { kind: 'closed' } })).toEqual({
      verdict: 'deviates',
      reason: 'pinned closed, got reset@transfer',
    });
    const short = { reported: true, sent: 'a', bytes: 10, held: 'b', heldBytes: 5 };
    expect(judgeFtp({ ...evidence, transferred: [short], pinned: { kind: 'reset' } }).reason).toMatch(
      /reported the upload complete, but the server holds 5 bytes/,
    );
  });
});
