/** silentItself: when a user's server's own silence, no fault firing, explains a client's timeout. */
import { describe, expect, it } from 'vitest';
import { silentItself } from '../../src/engine/own-silence.js';
import type { Outcome, Scenario } from '../../src/engine/types.js';
import type { SessionInfo } from '../../src/proxy/proxy.js';

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
  return {
    index: 0,
    phase: 'stor',
    bodyBytes: 0,
    faultFired: false,
    steps: ['USER', 'PASS', 'STOR'],
    accepted: 0,
    transactions: 1,
    violations: [],
    clientSaw: null,
    transcript: [],
    greetedAfterMs: 3,
    greetingWaitMs: 3,
    replyWaitMs: 5,
    ...over,
  };
}

const timedOut: Outcome = { kind: 'timeout', phase: 'stor', bytesSent: 0 };

describe('silentItself', () => {
  it('explains a timeout by a command the server left unanswered as long as the client waits', () => {
    expect(silentItself(scenario, timedOut, [session({}), session({ replyWaitMs: 950 })])).toBe(
      "the server itself left a command unanswered (0.9 s of silence), no fault firing (timeout@stor: the client timed out, as it should on a silent server): its own pace or load, or a session it stopped serving, not the scenario's fault, whose timeouts are scaled for a server that answers at once",
    );
  });

  it('explains a timeout by a greeting that came no sooner than the shortest client timeout (here the socket timeout), or never', () => {
    const late = session({ steps: [], phase: 'greeting', greetedAfterMs: 2500, greetingWaitMs: 2500, replyWaitMs: 0 });
    expect(silentItself(scenario, { ...timedOut, phase: 'greeting' }, [late])).toMatch(
      /^the server itself sent its greeting late \(2\.5 s of silence\), no fault firing/,
    );
    const never = session({ steps: [], phase: 'greeting', greetedAfterMs: undefined, greetingWaitMs: 2100, replyWaitMs: 0 });
    expect(silentItself(scenario, { ...timedOut, phase: 'greeting' }, [never])).toMatch(/^the server itself sent no greeting \(2\.1 s of silence\)/);
  });

  it('leaves the client judged when the server answered in time', () => {
    expect(silentItself(scenario, timedOut, [session({ replyWaitMs: 850 })])).toBeUndefined();
    // A late greeting in a session where the client went on to send commands did not make it time out.
    expect(silentItself(scenario, timedOut, [session({ greetingWaitMs: 2500 })])).toBeUndefined();
    expect(silentItself(scenario, timedOut, [session({ steps: [], greetingWaitMs: 850 })])).toBeUndefined();
  });

  it('leaves it judged when a fault fired in any session: it may have held the reply', () => {
    expect(silentItself(scenario, timedOut, [session({ replyWaitMs: 5000, faultFired: true })])).toBeUndefined();
    const fired = session({ faultsFired: [{ kind: 'stall', at: { before: 'STOR' } }] });
    expect(silentItself(scenario, timedOut, [fired, session({ replyWaitMs: 5000 })])).toBeUndefined();
  });

  it('explains a hang the same way: the stall scenarios judge how a client waits on a silent server', () => {
    expect(silentItself(scenario, { kind: 'hung', phase: 'stor', bytesSent: 0 }, [session({ replyWaitMs: 20_000 })])).toMatch(
      /^the server itself left a command unanswered \(20\.0 s of silence\), no fault firing \(hung@stor: the client was still waiting at the run's deadline\): /,
    );
    expect(silentItself(scenario, { kind: 'hung', phase: 'stor', bytesSent: 0 }, [session({ replyWaitMs: 10 })])).toBeUndefined();
  });

  it('says nothing of outcomes other than a timeout or a hang (a reset, a reply, delivered)', () => {
    const sessions = [session({ replyWaitMs: 5000 })];
    for (const outcome of [
      { kind: 'delivered', phase: 'stor', bytesSent: 0 },
      { kind: 'reset', phase: 'stor', bytesSent: 0 },
      { kind: 'reply', phase: 'stor', bytesSent: 0, code: 451 },
    ] as Outcome[]) {
      expect(silentItself(scenario, outcome, sessions)).toBeUndefined();
    }
  });
});
