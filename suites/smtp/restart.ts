/**
 * smtp/restart: the server restarts between two messages. Right after the first message's 250 every
 * open connection is dropped (FIN, or RST) and the port refuses connections (or resets them) for
 * 5 s; the second message follows 300 ms later (with 1.5 s, a starved runner, 16 runs at once on two
 * busy cores, once sent it after the port was back). A pooled client holds the dropped connection idle:
 * does it notice, does the second message arrive exactly once, or is its failure reported? Clients
 * that connect per message meet the closed port: for them it stays closed 10 s, since a client
 * started as a new process per message (Python's takes 2 s to start on a loaded machine) must meet it
 * however long it takes to come back, and a refused client ends its run at once.
 */
import type { Expect, SmtpScenario } from '../../src/engine/types.js';
import type { RefuseFault } from '../../src/faults/types.js';
import type { Suite } from '../types.js';

const SUITE = 'smtp/restart';

const accounts: Expect = {
  client: 'accounts',
  rule: 'RFC 5321 §3.8, §4.5.4.1: a dropped connection or a refused port is a temporary failure, reported or retried later; no message lost, none twice',
};

/** [name, title, how open sessions are dropped, how new connections are turned away, for how long (ms), needs]. */
const CASES: readonly (readonly [string, string, RefuseFault['drop'], RefuseFault['mode'], number, SmtpScenario['needs']])[] = [
  ['pool-fin-refused', 'pooled connection closed (FIN), port refused', 'close', 'refuse', 5000, 'pool'],
  ['pool-rst-reset', 'pooled connection reset (RST), connections reset', 'reset', 'reset', 5000, 'pool'],
  ['per-message-refused', 'port refused when the second message comes', 'close', 'refuse', 10_000, 'connection-per-message'],
];

const scenarios: SmtpScenario[] = CASES.map(([name, title, drop, mode, ms, needs]) => ({
  id: `${SUITE}/${name}`,
  suite: SUITE,
  protocol: 'smtp',
  title: `restart between two messages: ${title}`,
  fault: { kind: 'refuse', ms, mode, drop, at: { after: 'dot' }, connection: 1 },
  expect: accounts,
  messageBytes: 4096,
  sends: { count: 2, mode: 'sequential', gapMs: 300 },
  needs,
  timeouts: { connect: 3000, greeting: 3000, socket: 3000, deadline: 15_000 },
}));

export const restart: Suite = {
  name: SUITE,
  protocol: 'smtp',
  description: 'a server restart between two messages, under pooled and per-message clients',
  scenarios,
};
