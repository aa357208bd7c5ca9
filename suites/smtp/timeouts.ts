/**
 * smtp/timeouts: the server goes silent at each phase (no greeting, no reply to EHLO, MAIL, RCPT,
 * DATA, or to the final dot) and the proxy stops reading, so nothing moves either way. A conformant
 * client times the silence out and reports a temporary failure (RFC 5321 §4.5.3.2); one that never
 * reports is stopped at the runner's deadline and is `hung`. The stall after the dot is the duplicate
 * trap: the server holds the message while the client reports failure.
 */
import type { Timeouts } from '../../src/clients/types.js';
import type { Expect, SmtpScenario } from '../../src/engine/types.js';
import type { At } from '../../src/faults/types.js';
import type { Suite } from '../types.js';

const SUITE = 'smtp/timeouts';
const KiB = 1024;
const MESSAGE_BYTES = 4 * KiB;

/**
 * Short client timeouts keep the suite fast: 1 s is the smallest the process clients take (they count
 * in whole seconds). The deadline leaves room for the slowest client that does report (swaks at a
 * silent EHLO: EHLO, HELO and QUIT each wait 1 s) and stops one that waits for good (curl) early.
 */
const TIMEOUTS: Timeouts = { connect: 1_000, greeting: 1_000, socket: 1_000, deadline: 5_000 };

/** The RFC 5321 §4.5.3.2 minimum for the reply a client waits for, as the rule's second half. */
const RFC_WAIT: Readonly<Record<string, string>> = {
  greeting: '§4.5.3.2.1: the initial 220 message, 5 minutes',
  EHLO: '§4.5.3.2 lists no minimum for EHLO',
  MAIL: '§4.5.3.2.2: MAIL command, 5 minutes',
  RCPT: '§4.5.3.2.3: RCPT command, 5 minutes',
  DATA: '§4.5.3.2.4: DATA initiation, 2 minutes',
  dot: '§4.5.3.2.6: DATA termination, 10 minutes; the server may already hold the message, so a retry would deliver it twice (§6.1, RFC 1047)',
};

/** The expectation at a silent `step`: time out and report a failure. */
function timesOut(step: string): Expect {
  return {
    client: 'fails',
    rule: `RFC 5321 §4.5.3.2: a client MUST time out a silent server (per command) and report a temporary failure; ${RFC_WAIT[step]}`,
  };
}

/** Where the server goes silent: [scenario name, trigger, the reply the client waits for, title]. */
const POINTS: readonly (readonly [string, At, string, string])[] = [
  ['stall-no-greeting', 'connect', 'greeting', 'no greeting: the connection opens and nothing comes'],
  ['stall-before-ehlo-reply', { before: 'reply', to: 'EHLO' }, 'EHLO', 'no reply to EHLO'],
  ['stall-before-mail-reply', { before: 'reply', to: 'MAIL' }, 'MAIL', 'no reply to MAIL FROM'],
  ['stall-before-rcpt-reply', { before: 'reply', to: 'RCPT' }, 'RCPT', 'no reply to RCPT TO'],
  ['stall-before-data-reply', { before: 'reply', to: 'DATA' }, 'DATA', 'no 354 after DATA'],
  ['stall-after-dot', { before: 'reply', to: 'dot' }, 'dot', 'no 250 after the final dot (the duplicate-delivery trap)'],
];

const scenarios: SmtpScenario[] = POINTS.map(([name, at, step, title]) => ({
  id: `${SUITE}/${name}`,
  suite: SUITE,
  protocol: 'smtp' as const,
  title: `stall: ${title}`,
  fault: { kind: 'stall', at },
  expect: timesOut(step),
  messageBytes: MESSAGE_BYTES,
  timeouts: TIMEOUTS,
  // 1 s client timeouts against a 5 s deadline: a client starved by busy neighbours times out elsewhere.
  schedule: 'apart' as const,
}));

/** The smtp/timeouts suite: six stalls, 4 KiB message, 1 s client timeouts, 5 s deadline. */
export const timeouts: Suite = {
  name: SUITE,
  protocol: 'smtp',
  description: 'a silent server at every phase: which client timeout fires, after how long, or a hang',
  scenarios,
};
