/** silentItself: when a user's server's own silence, no fault firing, explains a client's timeout. */
import { describe, expect, it } from 'vitest';
import { silentItself } from '../../src/engine/own-silence.js';
import type { Outcome, Scenario } from '../../src/engine/types.js';
import type { SessionInfo } from '../../src/proxy/proxy.js';
import { sessionInfo } from '../helpers/session-info.js';

const scenario: Scenario = {
  id: 's/clean',
  suite: 's',
  title: 'clean',
  protocol: 'ftp',
  expect: { client: 'delivers', rule: 'r' },
  messageBytes: 1024,
  timeouts: { connect: 5000, greeting: 2000, socket: 1000 },
  ftp: { direction: 'upload' },
};

function session(over: Partial<SessionInfo>): SessionInfo {
  return sessionInfo({ index: 0, phase: 'stor', steps: ['USER', 'PASS', 'STOR'], transactions: 1, greetedAfterMs: 3, ...over });
}

const timedOut: Outcome = { kind: 'timeout', phase: 'user', bytesSent: 0 };
const REASON_END =
  "its own pace or load, or a session it stopped serving, not the scenario's fault, whose timeouts are scaled for a server that answers at once";

/** silentItself with these sessions as the run's and as they were at the report. */
function silent(outcome: Outcome, atReport: SessionInfo[], options: { sessions?: SessionInfo[]; unfired?: boolean; fault?: true } = {}) {
  const s = options.fault ? { ...scenario, fault: { kind: 'reset', at: 'connect' } as const } : scenario;
  return silentItself(s, outcome, { sessions: options.sessions ?? atReport, atReport, unfired: options.unfired ?? false });
}

describe('silentItself', () => {
  it("lets a throttle toward the server fire, out of the body, for a silence longer by a command's octets at its rate and a tick; not in the body, for the dot, or with another fault", () => {
    const throttle = { kind: 'throttle', bytesPerSecond: 1024 * 1024, at: 'connect', toward: 'server' } as const;
    const throttled = { ...scenario, protocol: 'smtp' as const, fault: throttle };
    const run = (phase: string, waiting: SessionInfo['waiting'], fired: SessionInfo['faultsFired'] = [throttle], fault: Scenario['fault'] = throttle) =>
      silentItself(
        { ...throttled, fault },
        { ...timedOut, phase },
        { sessions: [session({ faultFired: true, faultsFired: fired, waiting })], atReport: [session({ waiting })], unfired: false },
      );
    // The bound: 900 ms, and 4096 octets at 1 MiB/s (3.9 ms) and a tick (50 ms).
    expect(run('ehlo', { for: 'reply', ms: 954, step: 'EHLO' })).toMatch(
      /^the server itself left a command unanswered \(1\.0 s of silence\), no fault holding it back \(only a throttle toward the server/,
    );
    expect(run('ehlo', { for: 'reply', ms: 953, step: 'EHLO' })).toBeUndefined();
    const slow = { ...throttle, bytesPerSecond: 1024 }; // 4 s for a pipelined envelope's octets
    expect(run('mail', { for: 'reply', ms: 2000, step: 'MAIL' }, [slow], slow)).toBeUndefined();
    expect(run('body', { for: 'reply', ms: 2000, step: 'DATA' })).toBeUndefined();
    expect(run('quit', { for: 'reply', ms: 2000, step: 'dot' })).toBeUndefined(); // a QUIT behind the dot: the throttle may hold the tail
    expect(run('ehlo', { for: 'reply', ms: 2000, step: 'EHLO' }, [throttle, { kind: 'reset', at: 'connect' }])).toBeUndefined();
    expect(run('ehlo', { for: 'reply', ms: 2000, step: 'EHLO' }, [{ ...throttle, toward: 'client' }])).toBeUndefined();
  });

  it('explains a timeout by a reply the server owed as long as the client waits (nine tenths of its socket timeout)', () => {
    expect(silent(timedOut, [session({}), session({ waiting: { for: 'reply', ms: 950 } })])).toBe(
      `the server itself left a command unanswered (0.9 s of silence), no fault firing (timeout@user: the client timed out, as it should on a silent server): ${REASON_END}`,
    );
    expect(silent(timedOut, [session({ waiting: { for: 'reply', ms: 850 } })])).toBeUndefined();
  });

  it('explains one by a greeting owed as long as the shortest client timeout (here the socket timeout)', () => {
    const ungreeted = session({ steps: [], phase: 'greeting', greetedAfterMs: undefined, waiting: { for: 'greeting', ms: 2100 } });
    expect(silent({ ...timedOut, phase: 'greeting' }, [ungreeted])).toMatch(
      /^the server itself left the client without its greeting \(2\.1 s of silence\), no fault firing/,
    );
    expect(silent({ ...timedOut, phase: 'greeting' }, [session({ steps: [], waiting: { for: 'greeting', ms: 850 } })])).toBeUndefined();
  });

  it('leaves the client judged when nothing was owed as it reported (a silence the server ended does not count)', () => {
    expect(silent(timedOut, [session({}), session({})])).toBeUndefined();
  });

  it('leaves it judged when a fault fired: in a session, or where only the run saw it (a listener fault)', () => {
    const waiting = { for: 'reply', ms: 5000 } as const;
    expect(silent(timedOut, [session({ waiting, faultFired: true })])).toBeUndefined();
    const fired = session({ faultsFired: [{ kind: 'stall', at: { before: 'STOR' } }] });
    expect(silent(timedOut, [session({ waiting })], { sessions: [fired, session({})] })).toBeUndefined();
    expect(silent(timedOut, [session({ waiting })], { fault: true, unfired: false })).toBeUndefined();
    expect(silent(timedOut, [session({ waiting })], { fault: true, unfired: true })).toMatch(/^the server itself left a command unanswered/);
  });

  it('explains a hang the same way: the stall scenarios judge how a client waits on a silent server', () => {
    const hung: Outcome = { kind: 'hung', phase: 'user', bytesSent: 0 };
    expect(silent(hung, [session({ waiting: { for: 'reply', ms: 20_000 } })])).toMatch(
      /^the server itself left a command unanswered \(20\.0 s of silence\), no fault firing \(hung@user: the client was still waiting at the run's deadline\): /,
    );
    expect(silent(hung, [session({ waiting: { for: 'reply', ms: 10 } })])).toBeUndefined();
  });

  it('explains a hang at the dot cut by the deadline short of the client timeout, when the server took half of it', () => {
    const atDot: Outcome = { kind: 'hung', phase: 'dot', bytesSent: 1024 };
    const smtp = { ...scenario, protocol: 'smtp' as const, fault: { kind: 'throttle', bytesPerSecond: 1024, at: 'connect', toward: 'server' } as const };
    const fired = [session({ faultFired: true, faultsFired: [smtp.fault] })];
    const run = (outcome: Outcome, ms: number, unreadMs?: number) =>
      silentItself(smtp, outcome, {
        sessions: fired,
        atReport: [session({ waiting: { for: 'reply', ms, step: 'dot' }, ...(unreadMs ? { unreadMs } : {}) })],
        unfired: false,
      });
    expect(run(atDot, 400, 200)).toBe(
      "the run's deadline came while the server itself still owed the client the reply to the end of the data (0.4 s so far), short of the client's own timeout for it (1.0 s) (hung@dot: the client was still waiting at the run's deadline): the server's pace or load used up the scenario's deadline, scaled for a server that answers at once, before the client could show how it ends the wait",
    );
    expect(run(atDot, 400)).toBeUndefined(); // the server took less than half the wait: the deadline is the client's
    expect(run(atDot, 1000, 200)).toBeUndefined(); // the client waited its whole timeout: hung is its own
    expect(run({ ...atDot, phase: 'rcpt' }, 400, 200)).toBeUndefined(); // anywhere else, as a retry loop would be
    expect(run({ ...atDot, kind: 'timeout' }, 400, 200)).toBeUndefined();
  });

  it('says nothing of outcomes other than a timeout or a hang (a reset, a reply, delivered)', () => {
    const sessions = [session({ waiting: { for: 'reply', ms: 5000 } })];
    for (const outcome of [
      { kind: 'delivered', phase: 'user', bytesSent: 0 },
      { kind: 'reset', phase: 'user', bytesSent: 0 },
      { kind: 'reply', phase: 'user', bytesSent: 0, code: 451 },
    ] as Outcome[]) {
      expect(silent(outcome, sessions)).toBeUndefined();
    }
  });
});
