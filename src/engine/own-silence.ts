/**
 * A user's server (`--target`) that went silent on its own: the client's timeout then says nothing about
 * the client. Shared by the SMTP and FTP runs.
 */
import type { SessionInfo } from '../proxy/proxy.js';
import { DEFAULT_TIMEOUTS, greetingTimeout } from './protocol-run.js';
import { formatOutcome } from './outcome-format.js';
import type { Outcome, Scenario } from './types.js';

/** How much of a client's timeout the proxy must see the server silent for (see silentItself). */
const SHORT_BY = 0.9;

/**
 * Why a run whose client timed out (or still waited at the deadline: hung) says nothing about the client, or undefined: no fault fired in any of
 * its sessions (none could have held a reply back), and in one of them the server itself left the
 * client waiting as long as the client was told to wait:
 * - for its greeting, in a session where the client sent nothing: nine tenths of the shortest client
 *   timeout a greeting meets (greetingTimeout) or longer (SessionInfo.greetingWaitMs);
 * - for a reply to a command or to the end of the data: nine tenths of the scenario's socket timeout
 *   or longer (SessionInfo.replyWaitMs).
 *
 * Nine tenths: a client's timer starts at its last activity (its connect, the reply before, its own
 * write), a little before the proxy's clock (the relay's start, the command's arrival), so the silence
 * the proxy sees falls short of the client's timeout by the client's own turn: milliseconds, more
 * under load.
 *
 * The client did what it should on a silent server (it gave up and said so), or waited on it (how a
 * client waits on a silent server is what the stall scenarios judge), and whether it meets the
 * scenario's fault is not seen. Only for a user's server, whose pace and faults are its own: a
 * scenario's timeouts are seconds, scaled for a server that answers at once. Seen with pyftpdlib 1.5.7,
 * which now and then stops polling a fresh connection (its commands stay unread, the session silent
 * until the client gives up), and aiosmtpd storing a large message in its one thread.
 */
export function silentItself(scenario: Scenario, outcome: Outcome, sessions: readonly SessionInfo[]): string | undefined {
  if (outcome.kind !== 'timeout' && outcome.kind !== 'hung') return undefined;
  if (sessions.some((s) => s.faultFired || (s.faultsFired?.length ?? 0) > 0)) return undefined;
  const greetingBound = SHORT_BY * greetingTimeout(scenario);
  const replyBound = SHORT_BY * { ...DEFAULT_TIMEOUTS, ...scenario.timeouts }.socket;
  const client = outcome.kind === 'timeout' ? 'the client timed out, as it should on a silent server' : "the client was still waiting at the run's deadline";
  const waited = `(${formatOutcome(outcome)}: ${client}): its own pace or load, or a session it stopped serving, not the scenario's fault, whose timeouts are scaled for a server that answers at once`;
  const ungreeted = sessions.find((s) => s.steps.length === 0 && (s.greetingWaitMs ?? 0) >= greetingBound);
  if (ungreeted) {
    const late = ungreeted.greetedAfterMs === undefined ? 'sent no greeting' : 'sent its greeting late';
    return `the server itself ${late} (${seconds(ungreeted.greetingWaitMs!)} of silence), no fault firing ${waited}`;
  }
  const unanswered = sessions.find((s) => (s.replyWaitMs ?? 0) >= replyBound);
  if (unanswered) return `the server itself left a command unanswered (${seconds(unanswered.replyWaitMs!)} of silence), no fault firing ${waited}`;
  return undefined;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
