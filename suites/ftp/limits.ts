/**
 * ftp/limits: a server at its session limit, as FTP servers answer it: 421 at connect (vsftpd's
 * max_clients, the mock's own maxSessions), 530 at PASS (proftpd's MaxClients), a close with no reply,
 * an RST, or no greeting until a session ends (a full backlog). Bursts of parallel uploads, each on its
 * own connection, meet the limit; greetings are held 1.5 s so the burst really overlaps, even when the
 * clients' processes start slowly on a loaded machine. Every upload a
 * client reports complete must be at the server intact; the rest must be reported failed. Per-address
 * limits (vsftpd's max_per_ip) count sessions from one client address: the uploads connect from
 * 127.0.0.2 and 127.0.0.3 in turn, and the proxy connects onward from the same address.
 */
import type { Expect, FtpScenario } from '../../src/engine/types.js';
import type { LimitFault } from '../../src/faults/types.js';
import type { Suite } from '../types.js';

const SUITE = 'ftp/limits';
const BURST = 4;
const LIMIT = 2;
/** How long each greeting is held: longer than a burst of client processes takes to start. */
const HOLD_MS = 1_500;

const accounts: Expect = {
  client: 'accounts',
  rule: 'RFC 959 §4.2: 421 (or a lost connection) is a failure to report or retry; every upload reported complete must be at the server, intact',
};

const common = {
  suite: SUITE,
  protocol: 'ftp' as const,
  messageBytes: 64 * 1024,
  timeouts: { socket: 5_000, deadline: 15_000 },
  // Bursts of client processes that must all start within a held greeting: apart from other runs.
  schedule: 'apart' as const,
};
const burst = { direction: 'upload' as const, parallel: BURST };
/** Two client addresses, so each holds half of a burst. */
const SOURCES = ['127.0.0.2', '127.0.0.3'];

const OVER: readonly (readonly [string, string, LimitFault['over']])[] = [
  ['over-limit-421', '421 then close', 'reply'],
  ['over-limit-close', 'a close with no reply', 'close'],
  ['over-limit-reset', 'an RST', 'reset'],
  ['over-limit-backlog', 'no greeting until a session ends (a full backlog)', 'queue'],
];

const scenarios: FtpScenario[] = [
  ...OVER.map(
    ([name, title, over]): FtpScenario => ({
      ...common,
      id: `${SUITE}/${name}`,
      title: `${BURST} parallel uploads, a limit of ${LIMIT} sessions, ${title} over it`,
      fault: { kind: 'limit', max: LIMIT, over, at: 'connect' },
      expect: accounts,
      ftp: burst,
      server: { greetingDelayMs: HOLD_MS },
    }),
  ),
  {
    ...common,
    id: `${SUITE}/server-limit-421`,
    title: `${BURST} parallel uploads, the server itself allows ${LIMIT} sessions (421 Too many users)`,
    expect: accounts,
    ftp: burst,
    server: { greetingDelayMs: HOLD_MS, maxSessions: LIMIT },
  },
  {
    ...common,
    id: `${SUITE}/under-limit`,
    title: `${BURST} parallel uploads, the server allows ${BURST}`,
    expect: { client: 'delivers', rule: 'Under the session limit every upload completes' },
    ftp: burst,
    server: { greetingDelayMs: HOLD_MS, maxSessions: BURST },
  },
  {
    ...common,
    id: `${SUITE}/per-address-421`,
    title: `${BURST} parallel uploads from 2 addresses, the server allows 1 session per address (421 Too many connections from your address)`,
    expect: accounts,
    ftp: { ...burst, sources: SOURCES },
    server: { greetingDelayMs: HOLD_MS, maxPerAddress: 1 },
  },
  {
    ...common,
    id: `${SUITE}/per-address-under`,
    title: '2 parallel uploads from 2 addresses, the server allows 1 session per address',
    expect: { client: 'delivers', rule: 'A per-address limit counts each client address on its own: one session from each completes' },
    ftp: { direction: 'upload', parallel: SOURCES.length, sources: SOURCES },
    server: { greetingDelayMs: HOLD_MS, maxPerAddress: 1 },
  },
  {
    ...common,
    id: `${SUITE}/530-at-pass`,
    title: "the limit answered at login: 530 to PASS, then close (proftpd's MaxClients)",
    fault: { kind: 'reply', code: 530, text: 'Sorry, the maximum number of clients (2) has been reached', at: { before: 'PASS' }, then: 'close' },
    expect: { client: 'fails', rule: 'RFC 959 §4.2: 530 to PASS means not logged in; the client must report the failure' },
    ftp: { direction: 'upload' },
  },
];

export const limits: Suite = {
  name: SUITE,
  protocol: 'ftp',
  description: 'session limits: 421 (in all or per client address), 530 at PASS, a silent close, an RST or a full backlog against parallel uploads',
  scenarios,
};
