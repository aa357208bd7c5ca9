/**
 * slowItself (src/engine/smtp-run.ts): when a user's SMTP server's own pace, not the scenario's fault,
 * explains a client's timeout: the end of the data answered late (past QUIT too), and the body left
 * unread, in all or at a stretch behind a throttle that alone outlasts the timeout.
 */
import { describe, expect, it } from 'vitest';
import { slowItself } from '../../src/engine/smtp-run.js';
import type { SmtpTarget } from '../../src/engine/targets.js';
import type { Outcome, SinkReport, SmtpScenario } from '../../src/engine/types.js';
import type { SessionInfo } from '../../src/proxy/proxy.js';
import { sessionInfo } from '../helpers/session-info.js';

const MiB = 1024 * 1024;
const target = { name: 'box', host: '127.0.0.1', port: 25, delaysGreeting: false, external: true } as unknown as SmtpTarget;
const throttle = (bytesPerSecond: number) => ({ kind: 'throttle', bytesPerSecond, at: 'connect', toward: 'server' }) as const;

function scenario(messageBytes: number, bytesPerSecond: number): SmtpScenario {
  return {
    id: 's/large',
    suite: 's',
    title: 'large',
    protocol: 'smtp',
    expect: { client: 'delivers', rule: 'r' },
    messageBytes,
    fault: throttle(bytesPerSecond),
    timeouts: { socket: 2000, deadline: 20_000 },
  } as SmtpScenario;
}

function session(over: Partial<SessionInfo>): SessionInfo {
  return sessionInfo({ phase: 'dot', faultFired: true, steps: ['EHLO', 'MAIL', 'RCPT', 'DATA', 'dot'], transactions: 1, ...over });
}

const stored: SinkReport = { copies: 1, intact: true };

function slow(s: SmtpScenario, outcome: Outcome, atReport: SessionInfo): string | undefined {
  return slowItself(target, s, outcome, { sink: stored, sessions: [session({})], atReport: [atReport], messages: 1, unfired: false });
}

describe('slowItself at the end of the data, behind a throttle', () => {
  const fast = scenario(4 * MiB, 64 * MiB);
  const owed = session({ waiting: { for: 'reply', ms: 1500, step: 'dot' }, dotBacklog: 64 * 1024 });

  it('excuses a timeout at the dot, and past it (QUIT sent) with the dot still owed', () => {
    expect(slow(fast, { kind: 'timeout', phase: 'dot', bytesSent: 4 * MiB }, owed)).toMatch(
      /^the server took the message but left the end of the data unanswered 1\.4 s after the throttle/,
    );
    expect(slow(fast, { kind: 'timeout', phase: 'quit', bytesSent: 4 * MiB }, owed)).toMatch(
      /^the server took the message but left the end of the data unanswered/,
    );
  });

  it('not past the dot when its reply came, nor when the throttle held the tail for most of the wait', () => {
    expect(slow(fast, { kind: 'timeout', phase: 'quit', bytesSent: 4 * MiB }, session({ waiting: { for: 'reply', ms: 1500, step: 'QUIT' } }))).toBeUndefined();
    const held = session({ waiting: { for: 'reply', ms: 1500, step: 'dot' }, dotBacklog: 1536 * 1024 }); // 1.5 MiB at 1 MiB/s
    expect(slow(scenario(4 * MiB, MiB), { kind: 'timeout', phase: 'dot', bytesSent: 4 * MiB }, held)).toBeUndefined();
  });
});

describe('slowItself in the body', () => {
  const inBody: Outcome = { kind: 'timeout', phase: 'body', bytesSent: MiB };

  it('counts the time left unread in all when the throttle alone would not outlast the timeout', () => {
    const quick = scenario(4 * MiB, 64 * MiB); // 62 ms at the throttle's pace
    expect(slow(quick, inBody, session({ unreadMs: 1200, unreadLongestMs: 300 }))).toMatch(/^the server itself left the message unread for 1\.2 s in all/);
    expect(slow(quick, inBody, session({ unreadMs: 900, unreadLongestMs: 900 }))).toBeUndefined();
  });

  it('needs one stretch of nine tenths of the timeout when the throttle alone outlasts it (a client timing its whole write fails anyway)', () => {
    const paced = scenario(50 * MiB, 12 * MiB); // 4.2 s at the throttle's pace, against 2 s
    expect(slow(paced, inBody, session({ unreadMs: 3000, unreadLongestMs: 1000 }))).toBeUndefined();
    expect(slow(paced, inBody, session({ unreadMs: 3000, unreadLongestMs: 1900 }))).toMatch(
      /^the server itself left the message unread for 1\.9 s at a stretch/,
    );
  });
});
