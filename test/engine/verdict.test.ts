import { describe, expect, it } from 'vitest';
import type { Expect, Outcome, SinkReport } from '../../src/engine/types.js';
import { judge } from '../../src/engine/verdict.js';

const fails: Expect = { client: 'fails', rule: 'RULE' };
const delivers: Expect = { client: 'delivers', rule: 'RULE', mustSend: { step: 'QUIT', rule: 'QUIT RULE' } };
const reset: Outcome = { kind: 'reset', phase: 'rcpt', bytesSent: 0 };
const delivered: Outcome = { kind: 'delivered', phase: 'dot', bytesSent: 10 };
const none: SinkReport = { copies: 0, intact: true };
const one: SinkReport = { copies: 1, intact: true };
const sent = new Set(['EHLO', 'MAIL', 'RCPT', 'DATA', 'dot']);

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
    const judged = judge({ expect: expect_, unfired, sent: new Set([...sent, 'QUIT']), outcome, sink });
    expect(judged.verdict).toBe(verdict);
    expect(judged.reason).toMatch(reason);
  });

  it('judges the client framing only where the scenario asks for it', () => {
    const violations = ['sent MAIL before the reply to EHLO (RFC 2920 §3.1)'];
    const base = { unfired: false, sent, outcome: delivered, sink: one, violations };
    expect(judge({ ...base, expect: { ...delivers, wellFormed: true } })).toEqual({
      verdict: 'deviates',
      reason: 'the client sent MAIL before the reply to EHLO (RFC 2920 §3.1)',
    });
    expect(judge({ ...base, sent: new Set([...sent, 'QUIT']), expect: delivers }).verdict).toBe('conformant');
  });

  it('calls a fault waiting on QUIT that never fired a deviation when the client never sent QUIT', () => {
    const judged = judge({ expect: delivers, unfired: true, sent, outcome: delivered, sink: one });
    expect(judged).toEqual({ verdict: 'deviates', reason: 'never sent QUIT, so the fault waiting on it could not fire; QUIT RULE' });
  });
});
