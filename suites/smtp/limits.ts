/**
 * smtp/limits: a server at its session limit. Over the limit a connection gets `421` then a close
 * (vsftpd, exim, Postfix per client), an RST, or nothing at all while it waits in the backlog
 * (Postfix at its process limit): the proxy's `limit` fault, met by 5 parallel sends from clients
 * that open a connection per message. A pooled client meets the mock server's own limit (smtp-server's
 * maxClients: 421) with a pool smaller and larger than it. Greetings are held 1.5 s so the burst
 * really overlaps, even when the clients' processes start slowly on a loaded machine (400 ms was not
 * enough: 5 Python processes started further apart than that). Counted per message: reported delivered or failed, lost, twice.
 */
import type { Expect, SmtpScenario } from '../../src/engine/types.js';
import type { LimitFault } from '../../src/faults/types.js';
import type { Suite } from '../types.js';

const SUITE = 'smtp/limits';
const BURST = 5;
const LIMIT = 2;
/** How long each greeting is held: longer than a burst of client processes takes to start. */
const HOLD_MS = 1_500;

const accounts: Expect = {
  client: 'accounts',
  rule: 'RFC 5321 §3.8, §4.2.3: a 421 or a lost connection is a temporary failure to report (or retry), and nothing the server acknowledged may be lost or sent twice',
};

const common = {
  suite: SUITE,
  protocol: 'smtp' as const,
  expect: accounts,
  messageBytes: 4096,
  timeouts: { connect: 5000, greeting: 5000, socket: 5000, deadline: 15_000 },
  // Bursts whose sessions overlap only while greetings are held: apart, so a loaded machine cannot spread them.
  schedule: 'apart' as const,
};

const OVER: readonly (readonly [string, string, LimitFault['over']])[] = [
  ['over-limit-421', '421 then close', 'reply'],
  ['over-limit-reset', 'an RST', 'reset'],
  ['over-limit-backlog', 'no greeting until a session ends (a full backlog)', 'queue'],
];

/**
 * In the backlog the 5 sends get through 2 at a time, each greeting held HOLD_MS: the last is greeted
 * ~3 holds (4.7 s) after it connected, which a 5 s greeting timeout missed on a loaded machine. 10 s.
 */
const BACKLOG_TIMEOUTS = { ...common.timeouts, connect: 10_000, greeting: 10_000, deadline: 20_000 };

const scenarios: SmtpScenario[] = [
  ...OVER.map(([name, title, over]) => ({
    ...common,
    ...(over === 'queue' ? { timeouts: BACKLOG_TIMEOUTS } : {}),
    id: `${SUITE}/${name}`,
    title: `${BURST} parallel sends, a limit of ${LIMIT} sessions, ${title} over it`,
    fault: { kind: 'limit', max: LIMIT, over, at: 'connect' } as const,
    server: { greetingDelayMs: HOLD_MS },
    sends: { count: BURST, mode: 'parallel' as const },
    needs: 'connection-per-message' as const,
  })),
  ...(
    [
      ['pool-below-limit', 1],
      ['pool-above-limit', BURST],
    ] as const
  ).map(([name, connections]) => ({
    ...common,
    id: `${SUITE}/${name}`,
    title: `${BURST} parallel sends through a pool of ${connections}, the server allows ${LIMIT} clients (421 over)`,
    server: { greetingDelayMs: HOLD_MS, maxSessions: LIMIT },
    sends: { count: BURST, mode: 'parallel' as const, connections },
    needs: 'pool' as const,
  })),
];

export const limits: Suite = {
  name: SUITE,
  protocol: 'smtp',
  description: 'session limits: 421, RST or a silent backlog against bursts of sends',
  scenarios,
};
