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

/** How much of a client's timeout the proxy must see the server silent for (see silentItself). */
const SHORT_BY = 0.9;

/**
 * Why a run whose client timed out (or still waited at the deadline: hung) says nothing about the
 * client, or undefined: no fault fired (none could have held a reply back), and as the client reported
 * (or the deadline came) one of its sessions was waiting on the server itself, as long as the client
 * was told to wait (SessionInfo.waiting, in `seen.atReport`: the wait going on then, at the session's
 * first close if it came before):
 * - for its greeting: nine tenths of the shortest client timeout a greeting meets (greetingTimeout);
 * - for a reply to a step the server can answer at once, or to a transfer whose data is complete: nine
 *   tenths of the socket timeout;
 * - for a download's octets on its data connection (DataWait): nine tenths of the socket timeout.
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
 */
export function silentItself(scenario: Scenario, outcome: Outcome, seen: Pick<Seen, 'sessions' | 'atReport' | 'unfired'>): string | undefined {
  if (outcome.kind !== 'timeout' && outcome.kind !== 'hung') return undefined;
  const { sessions, atReport, unfired } = seen;
  // A fault that fired anywhere (on the listener too: then only the run knows) may have held a reply
  // back; not a throttle toward the server, out of the message's body (see BODY_PHASES).
  const fired = [...(scenario.fault !== undefined && !unfired ? [scenario.fault] : []), ...sessions.flatMap((s) => s.faultsFired ?? [])];
  if (!fired.every(throttlesTowardServer) || sessions.some((s) => s.faultFired && (s.faultsFired?.length ?? 0) === 0)) return undefined;
  const throttled = fired.length > 0;
  const timeouts = { ...DEFAULT_TIMEOUTS, ...scenario.timeouts };
  const limit: Record<Waiting['for'], number> = { greeting: greetingTimeout(scenario), reply: timeouts.socket, data: timeouts.socket };
  if (!throttled || !BODY_PHASES.has(outcome.phase)) {
    const slack = throttled ? THROTTLE_TICK_MS : 0;
    const waiting = atReport.map((s) => s.waiting).find((w) => w !== undefined && w.ms >= SHORT_BY * limit[w.for] + slack);
    if (waiting !== undefined) {
      const client =
        outcome.kind === 'timeout' ? 'the client timed out, as it should on a silent server' : "the client was still waiting at the run's deadline";
      const faults = throttled ? 'no fault holding it back (only a throttle toward the server, which passes a command on within one tick)' : 'no fault firing';
      return `the server itself ${SILENCE[waiting.for]} (${seconds(waiting.ms)} of silence), ${faults} (${formatOutcome(outcome)}: ${client}): its own pace or load, or a session it stopped serving, not the scenario's fault, whose timeouts are scaled for a server that answers at once`;
    }
  }
  // The deadline came while the client waited for the reply to the end of its data, short of its own
  // timeout for that: a client that ends that wait at its timeout had no chance to show it. A client
  // in the middle of anything else at the deadline (a retry loop reconnecting, a command sent a moment
  // before) stays hung: only the end of the data is the one wait a run's deadline is sized to hold
  // after a whole transfer. A throttle's hold counts as the server's here: the client was within its
  // timeout either way.
  if (outcome.kind !== 'hung' || outcome.phase !== 'dot') return undefined;
  const cut = atReport.map((s) => s.waiting).find((w) => w !== undefined && w.for === 'reply' && w.ms < limit.reply);
  if (cut === undefined) return undefined;
  return `the run's deadline came while the server itself still owed the client ${OWED[cut.for]} (${seconds(cut.ms)} so far), short of the client's own timeout for it (${seconds(limit[cut.for])}) (${formatOutcome(outcome)}: the client was still waiting at the run's deadline): the server's pace or load used up the scenario's deadline, scaled for a server that answers at once, before the client could show how it ends the wait`;
}

/** What the server left the client without, as silentItself says it. */
const SILENCE: Record<Waiting['for'], string> = {
  greeting: 'left the client without its greeting',
  reply: 'left a command unanswered',
  data: 'sent nothing on the data connection',
};

/** What the server still owed the client at the run's deadline. */
const OWED: Record<Waiting['for'], string> = { greeting: 'its greeting', reply: 'a reply', data: "a download's octets" };

/**
 * Where a throttle toward the server may hold what the server must answer. Elsewhere it holds none of
 * the server's replies, and a command (a greeting's wait has none) for one tick at most, with no message
 * body ahead of it: so a silence out of SMTP's body phases, one tick longer than the bound, is still the
 * server's. In the body the
 * throttle holds the body's tail: smtp-run's slowItself weighs what it held. aiosmtpd, storing a 50 MiB
 * message for another run in its one thread, left a throttled run's EHLO unanswered.
 */
const BODY_PHASES: ReadonlySet<string> = new Set(['body', 'dot', 'bdat']);

function throttlesTowardServer(fault: Fault): boolean {
  return fault.kind === 'throttle' && fault.toward === 'server';
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
