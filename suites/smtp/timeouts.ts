/**
 * smtp/timeouts: the server goes silent at each phase (no greeting, no reply to EHLO, MAIL, RCPT,
 * DATA, or to the final dot) and the proxy stops reading, so nothing moves either way. A conformant
 * client times the silence out and reports a temporary failure (RFC 5321 §4.5.3.2); one that never
 * reports is stopped at the runner's deadline and is `hung`. The stall after the dot is the duplicate
 * trap: the server holds the message while the client reports failure.
 */
import type { Expect, Scenario, Timeouts } from '../../src/engine/types.js';
import type { At } from '../../src/faults/types.js';
import type { Suite } from '../types.js';

const SUITE = 'smtp/timeouts';
const KiB = 1024;
const MESSAGE_BYTES = 4 * KiB;

/**
 * Short client timeouts keep the suite fast (process clients count in whole seconds). The deadline
 * leaves room for a client that times out and then says QUIT into the silence, and still stops one
 * that waits forever well before the suite's budget.
 */
const TIMEOUTS: Timeouts = { connect: 2_000, greeting: 2_000, socket: 2_000, deadline: 8_000 };

/** The RFC 5321 §4.5.3.2 timeout for the reply a client waits for, as the rule's second half. */
const RFC_WAIT: Readonly<Record<string, string>> = {
  greeting: '§4.5.3.2.1: the initial 220 message, 5 minutes',
  EHLO: '§4.5.3.2: a client SHOULD have a timeout for every command it sends (no specific value for EHLO)',
  MAIL: '§4.5.3.2.2: MAIL command, 5 minutes',
  RCPT: '§4.5.3.2.3: RCPT command, 5 minutes',
  DATA: '§4.5.3.2.4: DATA initiation, 2 minutes',
  dot: '§4.5.3.2.6: DATA termination, 10 minutes; the server may have taken the message (RFC 1047), so a retry can deliver it twice',
};

function timesOut(step: string): Expect {
  return {
    client: 'fails',
    rule: `RFC 5321 §4.5.3.2: a client times out a silent server and reports a temporary failure; ${RFC_WAIT[step]}`,
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

const scenarios: Scenario[] = POINTS.map(([name, at, step, title]) => ({
  id: `${SUITE}/${name}`,
  suite: SUITE,
  protocol: 'smtp' as const,
  title: `stall: ${title}`,
  fault: { kind: 'stall', at },
  expect: timesOut(step),
  messageBytes: MESSAGE_BYTES,
  timeouts: TIMEOUTS,
}));

export const timeouts: Suite = {
  name: SUITE,
  protocol: 'smtp',
  description: 'a silent server at every phase: which client timeout fires, after how long, or a hang',
  scenarios,
};
