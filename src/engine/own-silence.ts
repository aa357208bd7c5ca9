/**
 * A user's server (`--target`) that went silent on its own: the client's timeout then says nothing about
 * the client. Shared by the SMTP and FTP runs.
 */
import { DEFAULT_TIMEOUTS, greetingTimeout, type Seen } from './protocol-run.js';
import { formatOutcome } from './outcome-format.js';
import type { Outcome, Scenario } from './types.js';
import type { Fault } from '../faults/types.js';
import { THROTTLE_TICK_MS } from '../faults/throttle.js';
import type { Waiting } from '../proxy/reply-wait.js';

/** How much of a client's timeout the proxy must see the server silent for (see silentItself; smtp-run's slowItself too). */
export const SHORT_BY = 0.9;

/**
 * How much of a client's timeout the server itself must have taken for a wait cut short to be the
 * server's: in smtp-run's slowItself, a timeout in the body (in all, the time it left the body unread) or
 * at the dot behind a throttle (once the throttle had passed the data on, the time it left the end of
 * the data unanswered); in silentItself, a hang at the dot cut by the run's deadline.
 * Not nine tenths as for a silence: the client's clock starts at its last write, which its own and the
 * proxy's socket buffers then held while the server read slower than the throttle let through (aiosmtpd
 * reading a 50 MiB body at 5 MiB/s: 0.3-0.5 s of a 2 s timeout), and a client timing its whole write
 * meets the sum of the server's stops. A server that reads and answers at once, as the scenarios are
 * scaled for, takes milliseconds.
 */
export const SERVER_SHARE = 0.5;

/**
 * Why a run whose client timed out (or still waited at the deadline: hung) says nothing about the
 * client, or undefined. As the client reported (`seen.atReport`: the wait going on then, or at the
 * session's first close if it came before), one of its sessions was waiting on the server itself
 * (SessionInfo.waiting) as long as the client was told to wait:
 * - for its greeting: nine tenths of the shortest client timeout a greeting meets (greetingTimeout);
 * - for a reply to a step the server can answer at once, or to a transfer whose data is complete: nine
 *   tenths of the socket timeout;
 * - for a download's octets on its data connection (DataWait), or to read an upload's (the stretch it
 *   had been leaving them unread: DataLink.unread): nine tenths of the socket timeout.
 * No fault fired (none could have held a reply back), or only a throttle toward the server, out of the
 * message's body, and for a step that is not the end of the data: it holds no reply, and a command for
 * what its octets take at the throttle's rate (COMMAND_OCTETS) and a tick more, added to the bound.
 *
 * Nine tenths: a client's timer starts at its last activity (its connect, the reply before, its own
 * write), a little before the proxy's clock (the relay's start, the step's arrival), so the silence
 * the proxy sees falls short of the client's timeout by the client's own turn: milliseconds, more
 * under load.
 *
 * The client did what it should on a silent server (it gave up and said so), or waited on it (how a
 * client waits on a silent server is what the stall scenarios judge), and whether it meets the
 * scenario's fault is not seen. Only for a user's server, whose pace and faults are its own: a
 * scenario's timeouts are seconds, scaled for a server that answers at once. Seen with pyftpdlib 1.5.7,
 * which now and then stops polling a fresh connection (its commands stay unread, the session silent
 * until the client gives up; its data connections too, a 150 and then no data), and aiosmtpd storing a
 * large message in its one thread.
 *
 * One more: a client still waiting for the reply to the end of its data (`hung@dot`) when the run's
 * deadline came, short of its own timeout since the dot came, where the server had left the dot
 * unanswered and the body unread for at least SERVER_SHARE of that timeout: the server's pace used up a
 * deadline sized for a server that answers at once. A throttle toward the server may have fired.
 */
export function silentItself(scenario: Scenario, outcome: Outcome, seen: Pick<Seen, 'sessions' | 'atReport' | 'unfired'>): string | undefined {
  if (outcome.kind !== 'timeout' && outcome.kind !== 'hung') return undefined;
  const { sessions, atReport, unfired } = seen;
  // A fault that fired anywhere (on the listener too: then only the run knows) may have held a reply
  // back; not a throttle toward the server, out of the message's body.
  const fired = [...(scenario.fault !== undefined && !unfired ? [scenario.fault] : []), ...sessions.flatMap((s) => s.faultsFired ?? [])];
  if (!fired.every(throttlesTowardServer) || sessions.some((s) => s.faultFired && (s.faultsFired?.length ?? 0) === 0)) return undefined;
  const rate = Math.min(...fired.map((f) => (f.kind === 'throttle' ? f.bytesPerSecond : Number.POSITIVE_INFINITY)));
  const throttled = fired.length > 0;
  const timeouts = { ...DEFAULT_TIMEOUTS, ...scenario.timeouts };
  const limit: Record<Waiting['for'], number> = { greeting: greetingTimeout(scenario), reply: timeouts.socket, data: timeouts.socket, read: timeouts.socket };
  if (!throttled || !BODY_PHASES.has(outcome.phase)) {
    const slack = throttled ? (COMMAND_OCTETS * 1000) / rate + THROTTLE_TICK_MS : 0;
    const held = (w: Waiting): boolean => throttled && (w.step === 'dot' || w.step === 'BDAT');
    const waiting = atReport.map((s) => s.waiting).find((w) => w !== undefined && !held(w) && w.ms >= SHORT_BY * limit[w.for] + slack);
    if (waiting !== undefined) {
      const client =
        outcome.kind === 'timeout' ? 'the client timed out, as it should on a silent server' : "the client was still waiting at the run's deadline";
      const faults = throttled ? 'no fault holding it back (only a throttle toward the server, which holds no reply)' : 'no fault firing';
      const how = waiting.for === 'read' ? 'at a stretch, its socket full' : 'of silence';
      return `the server itself ${SILENCE[waiting.for]} (${seconds(waiting.ms)} ${how}), ${faults} (${formatOutcome(outcome)}: ${client}): its own pace or load, or a session it stopped serving, not the scenario's fault, whose timeouts are scaled for a server that answers at once`;
    }
  }
  if (outcome.kind !== 'hung' || outcome.phase !== 'dot') return undefined;
  // The deadline came while the client waited for the reply to the end of its data, short of its own
  // timeout for that: a client that ends that wait at its timeout had no chance to show it. A client
  // in the middle of anything else at the deadline (a retry loop reconnecting, a command sent a moment
  // before) stays hung, and so does one whose own pace used up the deadline: the server must have
  // taken a good share of the wait (the dot unanswered, the body unread).
  const cut = atReport.find(
    (s) => s.waiting?.step === 'dot' && s.waiting.ms < limit.reply && s.waiting.ms + (s.unreadMs ?? 0) >= SERVER_SHARE * limit.reply,
  )?.waiting;
  if (cut === undefined) return undefined;
  return `the run's deadline came while the server itself still owed the client the reply to the end of the data (${seconds(cut.ms)} so far), short of the client's own timeout for it (${seconds(limit.reply)}) (${formatOutcome(outcome)}: the client was still waiting at the run's deadline): the server's pace or load used up the scenario's deadline, scaled for a server that answers at once, before the client could show how it ends the wait`;
}

/** The most octets of commands a client sends at once (RFC 5321 §4.5.3.1.4: 512 a line; a pipelined envelope, RFC 2920): what a throttle may hold ahead of a reply. */
const COMMAND_OCTETS = 4096;

/** What the server left the client without, as silentItself says it. */
const SILENCE: Record<Waiting['for'], string> = {
  greeting: 'left the client without its greeting',
  reply: 'left a command unanswered',
  data: 'sent nothing on the data connection',
  read: 'left the upload unread on the data connection',
};

/**
 * Where a throttle toward the server may hold the body's tail ahead of what the server must answer:
 * smtp-run's slowItself weighs what it held there. Elsewhere it holds none of the server's replies, and
 * a command for what its octets take at its rate (COMMAND_OCTETS), and a tick. aiosmtpd, storing a
 * 50 MiB message for another run in its one thread, left a throttled run's EHLO unanswered.
 */
const BODY_PHASES: ReadonlySet<string> = new Set(['body', 'dot', 'bdat']);

function throttlesTowardServer(fault: Fault): boolean {
  return fault.kind === 'throttle' && fault.toward === 'server';
}

/** Ms as a reason says them: `1.9 s`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
