/**
 * A user's server (`--target`) that went silent on its own: the client's timeout then says nothing about
 * the client. Shared by the SMTP and FTP runs.
 */
import { DEFAULT_TIMEOUTS, greetingTimeout, type Seen } from './protocol-run.js';
import { formatOutcome } from './outcome-format.js';
import type { Outcome, Scenario } from './types.js';

/** How much of a client's timeout the proxy must see the server silent for (see silentItself; smtp-run's slowItself too). */
export const SHORT_BY = 0.9;

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
  // A fault that fired anywhere (on the listener too: then only the run knows) may have held a reply back.
  if ((scenario.fault !== undefined && !unfired) || sessions.some((s) => s.faultFired || (s.faultsFired?.length ?? 0) > 0)) return undefined;
  const timeouts = { ...DEFAULT_TIMEOUTS, ...scenario.timeouts };
  const bound = { greeting: SHORT_BY * greetingTimeout(scenario), reply: SHORT_BY * timeouts.socket, data: SHORT_BY * timeouts.socket };
  const waiting = atReport.map((s) => s.waiting).find((w) => w !== undefined && w.ms >= bound[w.for]);
  if (waiting === undefined) return undefined;
  const client = outcome.kind === 'timeout' ? 'the client timed out, as it should on a silent server' : "the client was still waiting at the run's deadline";
  const what = { greeting: 'left the client without its greeting', reply: 'left a command unanswered', data: 'sent nothing on the data connection' }[
    waiting.for
  ];
  return `the server itself ${what} (${seconds(waiting.ms)} of silence), no fault firing (${formatOutcome(outcome)}: ${client}): its own pace or load, or a session it stopped serving, not the scenario's fault, whose timeouts are scaled for a server that answers at once`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
