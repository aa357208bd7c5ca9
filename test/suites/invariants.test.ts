import { describe, expect, it } from 'vitest';
import type { Result, Scenario } from '../../src/engine/types.js';
import { invariantViolations, reached } from './invariants.js';

const SENT = 'a'.repeat(64);
const HELD = 'b'.repeat(64);

const scenario: Scenario = {
  id: 'ftp/resets/reset-data-mid-stor',
  suite: 'ftp/resets',
  protocol: 'ftp',
  title: 'RST mid-STOR',
  fault: { kind: 'reset', at: { after: 'STOR', bytes: 1024 }, channel: 'data' },
  expect: { client: 'fails', rule: 'report it' },
  messageBytes: 4096,
  ftp: { direction: 'upload' },
  timeouts: { deadline: 15_000 },
};

const transcript = [
  '+     1.0ms #1 S  220 ready',
  '+     2.0ms #1 C  USER u',
  '+     3.0ms #1 S  331 password',
  '+     4.0ms #1 C  PASS ***',
  '+     5.0ms #1 S  230 in',
  '+     6.0ms #1 C  EPSV',
  '+     7.0ms #1 S  229 Entering Extended Passive Mode (|||4242|)',
  '+     8.0ms #1 C  STOR f.bin',
  '+     9.0ms #1 !! data 1: fault fired: reset',
  '+    10.0ms #2 S  220 ready',
  '+    11.0ms #2 C  USER u',
  '+    12.0ms #2 S  331 password',
  '+    13.0ms #2 C  PASS ***',
  '+    14.0ms #2 S  230 in',
  '+    15.0ms #2 C  SIZE f.bin',
  '+    16.0ms #2 S  213 1024',
  '+    17.0ms #2 C  STOR f.bin',
];

/** lftp reconnected and resumed: the whole file at the server, recovered on its own. */
const recovered: Result = {
  id: `${scenario.id}/lftp/passive`,
  scenarioId: scenario.id,
  column: 'lftp/passive',
  suite: scenario.suite,
  protocol: 'ftp',
  client: 'lftp',
  mode: 'passive',
  server: 'mock',
  title: scenario.title,
  fault: scenario.fault!,
  faultFired: true,
  outcome: { kind: 'delivered', phase: 'stor', bytesSent: 3072 },
  sink: { copies: 1, intact: true },
  ftp: { control: null, sessions: 2, transfers: 2, data: { connections: 2, bytes: 4096, clientSaw: null } },
  expected: 'fails',
  verdict: 'conformant',
  reason: 'recovered on its own: reconnected and resumed, and the server holds the whole file intact',
  durationMs: 2_000,
  transcript,
};

const names = (result: Result): string[] => invariantViolations(result, scenario).map((v) => v.invariant);

describe('the suite invariants', () => {
  it('hold for a recovery with the whole file at the server', () => {
    expect(invariantViolations(recovered, scenario)).toEqual([]);
  });

  it('catch a false success: delivered and conformant with a short file at the server', () => {
    expect(names({ ...recovered, sink: { copies: 0, intact: true } })).toEqual(['no false success']);
  });

  it('catch a false success: delivered and conformant with fewer octets relayed than the file holds', () => {
    expect(names({ ...recovered, ftp: { ...recovered.ftp!, data: { connections: 2, bytes: 4095, clientSaw: null } } })).toEqual(['no false success']);
  });

  it('catch a deviation that does not carry both hashes', () => {
    const sink = { copies: 0, intact: false, sha256: { sent: SENT, held: HELD } };
    const stale: Result = { ...recovered, verdict: 'deviates', sink, reason: `the server holds 4096 bytes with SHA-256 ${HELD}, not ${SENT}` };
    expect(names(stale)).toEqual([]);
    expect(names({ ...stale, sink: { copies: 0, intact: false } })).toEqual(['deviation hashes']);
    expect(names({ ...stale, sink: { copies: 0, intact: false, sha256: { sent: SENT, held: SENT } } })).toEqual(['deviation hashes']);
    expect(names({ ...stale, reason: 'reported the upload complete' })).toEqual(['deviation hashes']);
  });

  it('catch a phase the client never reached in the session the outcome is seen through', () => {
    // A failure: the first session the fault struck (#1), not the retry after it.
    const failed: Result = { ...recovered, outcome: { kind: 'reset', phase: 'stor', bytesSent: 0 }, sink: { copies: 0, intact: true } };
    expect(names(failed)).toEqual([]);
    expect(names({ ...failed, outcome: { ...failed.outcome!, phase: 'epsv' } })).toEqual([]);
    expect(names({ ...failed, outcome: { ...failed.outcome!, phase: 'transfer' } })).toEqual([]);
    expect(names({ ...failed, outcome: { ...failed.outcome!, phase: 'size' } })).toEqual(['phase reached']);
    // A success, and a failure with no strike: the last session (#2).
    expect(names({ ...recovered, outcome: { ...recovered.outcome!, phase: 'size' } })).toEqual([]);
    expect(names({ ...recovered, outcome: { ...recovered.outcome!, phase: 'epsv' } })).toEqual(['phase reached']);
    const unstruck = transcript.filter((line) => !line.includes('fault fired'));
    expect(names({ ...failed, transcript: unstruck, outcome: { ...failed.outcome!, phase: 'epsv' } })).toEqual(['phase reached']);
  });

  it('reads the phases a transcript shows', () => {
    expect(reached([], 'connect')).toBe(true);
    expect(reached([], 'greeting')).toBe(false);
    expect(reached(transcript.slice(0, 1), 'greeting')).toBe(true);
    expect(reached(['+     1.0ms #3 !! over the session limit: reply'], 'greeting')).toBe(true);
    expect(reached(['+     1.0ms #3 !! over the session limit: reset'], 'greeting')).toBe(false);
    expect(reached(transcript.slice(0, 7), 'transfer')).toBe(false);
    expect(reached(transcript.slice(0, 8), 'transfer')).toBe(true);
    expect(reached(transcript.slice(0, 8), 'stor')).toBe(true);
    expect(reached(transcript, 'site')).toBe(false);
    expect(reached(['+  2020.3ms #1 C  \\xff\\xf4\\xffSTOR f.bin'], 'stor')).toBe(true);
  });

  it('catch a failure the fault cannot cause', () => {
    const failed: Result = { ...recovered, outcome: { kind: 'reply', code: 426, phase: 'stor', bytesSent: 0 }, sink: { copies: 0, intact: true } };
    expect(names(failed)).toEqual([]);
    expect(names({ ...failed, outcome: { ...failed.outcome!, code: 530 } })).toEqual(['fault consequence']);
    expect(names({ ...failed, outcome: { kind: 'refused', phase: 'connect', bytesSent: 0 } })).toEqual(['fault consequence']);
    const fault = { kind: 'reply', code: 530, at: { before: 'PASS' }, then: 'close' } as const;
    const injected: Result = { ...failed, fault, outcome: { ...failed.outcome!, code: 530 } };
    expect(names(injected)).toEqual([]);
  });

  it('catch a hang reported before the deadline passed', () => {
    const outcome = { kind: 'hung', phase: 'stor', bytesSent: 0 } as const;
    const hung: Result = { ...recovered, verdict: 'deviates', outcome, sink: { copies: 0, intact: true }, durationMs: 15_000 };
    expect(names(hung)).toEqual([]);
    expect(names({ ...hung, durationMs: 14_999 })).toEqual(['hung at deadline']);
  });
});
