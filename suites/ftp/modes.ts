/**
 * ftp/modes: every client in every mode it has (passive: PASV/EPSV, the client connects; active:
 * PORT/EPRT, the server connects back) against the faults that break one mode and not the other. One
 * row per fault: the passive and active cells side by side show which mode works and why the other fails.
 */
import type { Expect, FtpScenario } from '../../src/engine/types.js';
import type { Fault } from '../../src/faults/types.js';
import type { Suite } from '../types.js';

const SUITE = 'ftp/modes';
const FILE_BYTES = 256 * 1024;

const works: Expect = { client: 'delivers', rule: 'RFC 959 §3.2, §4.1.2: with a working data connection the transfer completes' };
const reportsFailure = (rule: string): Expect => ({ client: 'fails', rule });

interface Row {
  readonly name: string;
  readonly title: string;
  readonly fault?: Fault;
  readonly direction?: 'upload' | 'download';
  readonly active?: 'on' | 'off';
  readonly passive: Expect;
  readonly activeExpect: Expect;
  /** Over IPv6, where it differs from the IPv4 expectation of that mode (FtpTransfer.expectIpv6). */
  readonly ipv6?: Partial<Readonly<Record<'passive' | 'active', Expect>>>;
  /** See Scenario.schedule; default shared. */
  readonly schedule?: 'apart';
  /** The active-mode runs' deadline, ms, where the scenario's would cut a client's own wait short. */
  readonly activeDeadline?: number;
}

const NO_EPSV = 'the client never sent EPSV (it used PASV), so the fault had nothing to answer';
const NO_EPRT = 'the client never sent EPRT (it used PORT), so the fault had nothing to answer';
const NO_227 = 'the client used EPSV, whose 229 carries no address (RFC 2428 §3), so there was nothing to misdirect';

const ROWS: readonly Row[] = [
  { name: 'baseline-upload', title: 'upload, nothing wrong', passive: works, activeExpect: works },
  { name: 'baseline-download', title: 'download, nothing wrong', direction: 'download', passive: works, activeExpect: works },
  {
    name: 'wrong-data-address',
    title: 'data address points to 127.0.0.2, where nothing listens (PASV behind NAT; PORT from behind NAT)',
    fault: { kind: 'dataport', how: 'wrong-address', at: 'connect' },
    passive: {
      client: 'delivers',
      rule: "A 227 address other than the control connection's is a NAT misconfiguration; robust clients connect to the control address instead (curl --ftp-skip-pasv-ip, its default) or use EPSV (RFC 2428 §3)",
      unfiredFine: NO_227,
    },
    activeExpect: reportsFailure(
      "RFC 2577 §3: a server refuses a PORT to an address other than the client's (500/504), or cannot connect back (425, RFC 959 §4.2); the client must report it",
    ),
  },
  {
    name: 'data-port-refused',
    title: 'the data port is closed: connection refused',
    fault: { kind: 'dataport', how: 'refused', at: 'connect' },
    passive: reportsFailure('RFC 959 §4.2: no data connection, no transfer; the client must report the failure'),
    activeExpect: reportsFailure('RFC 959 §4.2: the server cannot connect back (425); the client must report it'),
  },
  {
    name: 'data-port-blackholed',
    title: 'the data port drops SYNs (a firewall that drops packets): the connect gets no answer at all',
    fault: { kind: 'dataport', how: 'blackholed', at: 'connect' },
    passive: reportsFailure('RFC 959 §4.2: no data connection, no transfer; a connect that gets no answer must end in a reported timeout, not a hang'),
    activeExpect: reportsFailure('RFC 959 §4.2: the server cannot connect back (425, or the client times out first); the client must report it'),
    // A connect or a transfer that gets no answer against a 2 s timeout: apart from other runs.
    schedule: 'apart',
    // In active mode the client waits for the server's 425, which comes when the server gives up
    // connecting back: the mock after 5 s, vsftpd after its connect_timeout (60 s), pure-ftpd and
    // proftpd when the kernel does (some 2 minutes). curl waits for it up to its reply timeout (120 s,
    // no option sets it) and then reports (exit 28): with 15 s it read `hung` on every real server.
    // Passive runs keep 15 s: there the wait is the client's own connect.
    activeDeadline: 135_000,
  },
  {
    name: 'epsv-500',
    title: 'EPSV answered 500 (an old server or a NAT helper that only knows PASV)',
    fault: { kind: 'reply', code: 500, text: 'EPSV not understood', at: { before: 'EPSV' }, then: 'continue' },
    passive: { client: 'delivers', rule: 'RFC 2428 §3: a client whose EPSV is refused falls back to PASV', unfiredFine: NO_EPSV },
    activeExpect: { client: 'delivers', rule: 'EPSV plays no part in active mode', unfiredFine: 'active mode sends no EPSV' },
    ipv6: {
      passive: reportsFailure(
        "RFC 2428 §1: over IPv6 a 227 cannot name the server's address, so a client whose EPSV is refused has no fallback and must report it",
      ),
    },
  },
  {
    name: 'eprt-500',
    title: 'EPRT answered 500',
    fault: { kind: 'reply', code: 500, text: 'EPRT not understood', at: { before: 'EPRT' }, then: 'continue' },
    passive: { client: 'delivers', rule: 'EPRT plays no part in passive mode', unfiredFine: 'passive mode sends no EPRT' },
    activeExpect: { client: 'delivers', rule: 'RFC 2428 §2: a client whose EPRT is refused falls back to PORT', unfiredFine: NO_EPRT },
    ipv6: {
      active: reportsFailure(
        "RFC 2428 §1: over IPv6 a PORT cannot name the client's address, so a client whose EPRT is refused has no fallback and must report it",
      ),
    },
  },
  {
    name: 'active-refused',
    title: 'the server refuses active mode: 502 to PORT and EPRT',
    active: 'off',
    passive: works,
    activeExpect: reportsFailure('RFC 959 §4.2: 502 means the command is not implemented; the client must report it (or switch to passive)'),
  },
  {
    name: 'data-reset-on-open',
    title: 'the data connection is reset as it opens (a firewall that blocks data ports)',
    fault: { kind: 'reset', at: 'connect', channel: 'data' },
    passive: reportsFailure('RFC 959 §4.2: a transfer whose data connection fails must be reported as failed'),
    activeExpect: reportsFailure('RFC 959 §4.2: a transfer whose data connection fails must be reported as failed'),
  },
  {
    name: 'data-stall',
    title: 'the data connection opens, then nothing moves (a firewall that drops data packets)',
    fault: { kind: 'stall', at: 'connect', channel: 'data' },
    passive: reportsFailure('A transfer that makes no progress must end in a reported timeout, not a hang'),
    activeExpect: reportsFailure('A transfer that makes no progress must end in a reported timeout, not a hang'),
    // A connect or a transfer that gets no answer against a 2 s timeout: apart from other runs.
    schedule: 'apart',
  },
];

const scenarios: FtpScenario[] = ROWS.map((row) => ({
  id: `${SUITE}/${row.name}`,
  suite: SUITE,
  protocol: 'ftp',
  title: row.title,
  ...(row.fault ? { fault: row.fault } : {}),
  expect: row.passive,
  messageBytes: FILE_BYTES,
  ftp: {
    direction: row.direction ?? 'upload',
    expect: { active: row.activeExpect },
    ...(row.ipv6 ? { expectIpv6: row.ipv6 } : {}),
    ...(row.activeDeadline ? { deadline: { active: row.activeDeadline } } : {}),
  },
  ...(row.active ? { server: { active: row.active } } : {}),
  ...(row.schedule ? { schedule: row.schedule } : {}),
  timeouts: { socket: 2_000, deadline: 15_000 },
}));

export const modes: Suite = {
  name: SUITE,
  protocol: 'ftp',
  description:
    'passive and active side by side against wrong and refused data addresses, EPSV/EPRT refused, active mode off, data connections reset or stalled',
  scenarios,
};
