/**
 * Invariants every FTP result must meet, whatever a timing-dependent cell's exact outcome: each can fail,
 * and test/suites/invariants.test.ts shows how. They stand where a cell cannot be pinned to one outcome
 * (lftp's own retry loop, a reply racing a cut), so a wide expectation still proves something:
 *
 * - `no false success`: reported delivered and judged conformant only with every file whole at the
 *   receiving end (the sink's copies, intact, no differing hashes) and at least its octets relayed by the
 *   proxy's own count on the data connections.
 * - `deviation hashes`: a transfer reported complete that deviates is an integrity failure that carries
 *   both SHA-256s (sent and held, not equal) and names the sent one in its reason, or a whole file moved
 *   where the client had to stop (ftp/tls: lftp after PROT P refused), said so in its reason.
 * - `phase reached`: the outcome's phase is a step the client really reached in the transcript of the
 *   session the outcome is seen through (a failure's first session the fault struck, else the last):
 *   it sent that command, was greeted, or sent a transfer command for `transfer`.
 * - `fault consequence`: a reported failure is one the fault can cause: a wire failure (RST, FIN, a
 *   timeout), a refusal only from a fault that refuses connections, and a reply only with the code the
 *   fault injects or a transient one a server gives for a broken connection or transfer (never, say, a 530).
 * - `hung at deadline`: `hung` only once the runner's deadline had passed.
 */
import { DEFAULT_TIMEOUTS } from '../../src/engine/protocol-run.js';
import type { Fault } from '../../src/faults/types.js';
import type { OutcomeKind, Result, Scenario } from '../../src/engine/types.js';

/** FTP transfers a scenario runs at once (1 for SMTP). */
const parallelOf = (scenario: Scenario): number => (scenario.protocol === 'ftp' ? (scenario.ftp.parallel ?? 1) : 1);

/** One broken invariant: its name (as in the file comment) and what the result showed. */
export interface Violation {
  readonly invariant: 'no false success' | 'deviation hashes' | 'phase reached' | 'fault consequence' | 'hung at deadline';
  readonly detail: string;
}

/** Commands that move a file over a data connection: the `transfer` phase is reached only after one. */
const TRANSFER_VERBS = new Set(['STOR', 'STOU', 'APPE', 'RETR', 'LIST', 'NLST', 'MLSD']);

/**
 * Replies a server gives when a connection or transfer breaks under it (RFC 959 §4.2: 421 service
 * closing, 425 cannot open the data connection, 426 transfer aborted, 450/451 action not taken or aborted).
 */
const BROKEN_TRANSFER_REPLIES: ReadonlySet<number> = new Set([421, 425, 426, 450, 451]);

/** What a failure reported under each checked fault kind may be; kinds not listed are not checked. */
const WIRE_FAILURES: Readonly<Partial<Record<Fault['kind'], readonly OutcomeKind[]>>> = {
  reset: ['reset', 'closed', 'timeout', 'reply'],
  close: ['reset', 'closed', 'timeout', 'reply'],
  stall: ['reset', 'closed', 'timeout', 'reply'],
  refuse: ['reset', 'closed', 'timeout', 'reply', 'refused'],
  reply: ['reset', 'closed', 'timeout', 'reply'],
  throttle: ['timeout'],
};

const HEX64 = /^[0-9a-f]{64}$/;

/** Every invariant `result` (one run of `scenario`) breaks; empty when it meets them all or never ran. */
export function invariantViolations(result: Result, scenario: Scenario): Violation[] {
  const outcome = result.outcome;
  if (!outcome) return [];
  return [
    ...noFalseSuccess(result, scenario),
    ...deviationHashes(result),
    ...phaseReached(result, scenario),
    ...faultConsequence(result),
    ...hungAtDeadline(result, scenario),
  ];
}

function noFalseSuccess(result: Result, scenario: Scenario): Violation[] {
  if (result.outcome?.kind !== 'delivered' || result.verdict !== 'conformant') return [];
  const files = parallelOf(scenario);
  const sink = result.sink;
  const bad = (detail: string): Violation[] => [{ invariant: 'no false success', detail }];
  if (!sink || sink.copies !== files || !sink.intact || sink.sha256) {
    return bad(`delivered and conformant, but the sink holds ${JSON.stringify(sink)} for ${files} file(s)`);
  }
  const relayed = result.ftp?.data.bytes ?? 0;
  const whole = files * scenario.messageBytes;
  if (relayed < whole) return bad(`delivered and conformant, but only ${relayed} of ${whole} octets went over the data connections`);
  return [];
}

function deviationHashes(result: Result): Violation[] {
  if (result.outcome?.kind !== 'delivered' || result.verdict !== 'deviates') return [];
  const hashes = result.sink?.sha256;
  const whole = hashes && HEX64.test(hashes.sent) && (HEX64.test(hashes.held) || hashes.held === 'nothing') && hashes.sent !== hashes.held;
  if (whole && result.sink?.intact === false && result.reason.includes(hashes.sent)) return [];
  if (result.sink?.intact && !hashes && result.reason.includes('where it had to stop and report a failure')) return [];
  return [{ invariant: 'deviation hashes', detail: `reported complete and deviates, with sink ${JSON.stringify(result.sink)}: ${result.reason}` }];
}

/** The transcript lines of the session the outcome is about: the last one, or for parallel transfers all. */
function sessionLines(result: Result, scenario: Scenario): readonly string[] {
  const sessionOf = (line: string): number => Number(/ #(\d+) /.exec(line)?.[1] ?? 0);
  if (parallelOf(scenario) > 1) return result.transcript;
  // The session the outcome is seen through (src/engine/ftp-run.ts): a failure's first one the fault struck.
  const failed = result.outcome !== null && result.outcome.kind !== 'delivered' && result.outcome.kind !== 'hung';
  const resume = scenario.protocol === 'ftp' && scenario.ftp.resume === true;
  const struck = failed && !resume ? result.transcript.find((line) => / !! (data \d+: )?fault fired/.test(line)) : undefined;
  const session = struck ? sessionOf(struck) : Math.max(0, ...result.transcript.map(sessionOf));
  return result.transcript.filter((line) => sessionOf(line) === session);
}

/** Whether the transcript shows the client at `phase`: see FtpPhase in src/protocol/ftp.ts. */
export function reached(lines: readonly string[], phase: string): boolean {
  if (phase === 'connect') return true;
  const said = (speaker: 'C' | 'S'): string[] => lines.flatMap((line) => new RegExp(` #\\d+ ${speaker} +(\\S+)`).exec(line)?.[1] ?? []);
  // Greeted by the server, or answered by the proxy in its place (an injected reply, a session limit's 421).
  if (phase === 'greeting') return said('S').length > 0 || lines.some((line) => /proxy sends to client|over the session limit: reply/.test(line));
  // A client aborting sends Telnet IP and Synch ahead of its next command (RFC 959 §4.1.3): the
  // transcript shows their octets as \xNN before the verb, which the proxy's tracker reads past.
  const verbs = said('C').map((word) => word.replace(/^(\\x[0-9a-f]{2})+/, '').toUpperCase());
  if (phase === 'transfer') return verbs.some((verb) => TRANSFER_VERBS.has(verb));
  if (phase === 'tls') return verbs.includes('AUTH');
  return verbs.includes(phase.toUpperCase());
}

function phaseReached(result: Result, scenario: Scenario): Violation[] {
  const phase = result.outcome?.phase ?? 'connect';
  if (reached(sessionLines(result, scenario), phase)) return [];
  return [{ invariant: 'phase reached', detail: `the outcome's phase is ${phase}, which that session never reached` }];
}

function faultConsequence(result: Result): Violation[] {
  const { outcome, fault } = result;
  if (!outcome || !fault || outcome.kind === 'delivered' || outcome.kind === 'hung') return [];
  const kinds = WIRE_FAILURES[fault.kind];
  if (!kinds) return [];
  const injected = fault.kind === 'reply' ? fault.code : undefined;
  const code = outcome.code ?? 0;
  const fits = kinds.includes(outcome.kind) && (outcome.kind !== 'reply' || code === injected || BROKEN_TRANSFER_REPLIES.has(code));
  if (fits) return [];
  const what = outcome.kind === 'reply' ? `a ${code} reply` : outcome.kind;
  return [{ invariant: 'fault consequence', detail: `a ${fault.kind} fault cannot explain ${what} (${outcome.phase})` }];
}

function hungAtDeadline(result: Result, scenario: Scenario): Violation[] {
  if (result.outcome?.kind !== 'hung') return [];
  const deadline = scenario.timeouts?.deadline ?? DEFAULT_TIMEOUTS.deadline;
  if (result.durationMs >= deadline) return [];
  return [{ invariant: 'hung at deadline', detail: `hung after ${result.durationMs} ms, before the ${deadline} ms deadline` }];
}
