/**
 * A session of a session-limit ramp that got no greeting within the reply bound, while the ramp held the
 * others open: the server's limit, or a server slow to greet for a reason of its own. Seen: OpenSMTPD
 * looks the client up in DNS before its 220, and with an unreachable resolver that lookup now and then
 * takes 5 s (the resolver's timeout), the probe's own bound; a limit of 4 read from that was wrong.
 *
 *   no greeting in the bound ─► wait on, the others still held (LATE_FACTOR bounds)
 *     ├─ a reply or an end comes ─► `late`: the server was slow, the others had nothing to do with it
 *     └─ still nothing ─► end one held session ─► wait one bound
 *          ├─ a reply comes ─► `freed`: it waited for a free slot, a limit that queues in silence
 *          └─ still no reply ─► `silent`: no greeting even with a slot free, not a count of sessions
 *
 * A limit is a greeting that waits for another session's end; a greeting that comes while every other
 * session is still open was never held back by them.
 */
import type { RawConnection, Read } from './raw.js';
import type { Reply } from '../protocol/reply.js';
import { seconds } from './finding.js';

/** How many reply bounds to wait on with the others held, after the first ran out. */
export const LATE_FACTOR = 2;

export type LateGreeting =
  /** Something came (a greeting, a refusal, an end) with every other session still open. */
  | { readonly kind: 'late'; readonly read: Read<Reply>; readonly ms: number }
  /** Nothing came in `heldMs` with the others open; once one of them ended (by the probe, or the server), `read` (ok) came. */
  | { readonly kind: 'freed'; readonly read: Read<Reply>; readonly ms: number; readonly heldMs: number }
  /** No reply came in `heldMs`, nor once one held session had ended (if one was held): `read` is the last wait's (a timeout, or the connection's end). */
  | { readonly kind: 'silent'; readonly read: Extract<Read<Reply>, { ok: false }>; readonly ms: number; readonly heldMs: number };

/** The sessions held beside the one waited on: whether any has ended (the server closed it), and ending one. */
export interface Held {
  anyEnded(): boolean;
  /** Ends one of them (the ramp forgets it); absent when none is held. */
  readonly endOne?: () => Promise<void>;
}

/**
 * Waits on for the greeting of `conn`, which did not come within `waitedMs` (the first wait's bound).
 * `ms`: from the first wait's start to the reply (or to the end of the last wait). A greeting that comes
 * once the server itself has ended a held session (an idle timeout of its own) is `freed`, not `late`:
 * that end freed its slot.
 */
export async function awaitLateGreeting(conn: RawConnection, boundMs: number, waitedMs: number, held: Held): Promise<LateGreeting> {
  const more = await conn.readReply(LATE_FACTOR * boundMs);
  if (more.ok || more.end !== 'timeout') {
    const ms = waitedMs + more.ms;
    return more.ok && held.anyEnded() ? { kind: 'freed', read: more, ms, heldMs: ms } : { kind: 'late', read: more, ms };
  }
  const heldMs = waitedMs + more.ms;
  if (!held.endOne) return { kind: 'silent', read: more, ms: heldMs, heldMs };
  await held.endOne();
  const freed = await conn.readReply(boundMs);
  const ms = heldMs + freed.ms;
  return freed.ok ? { kind: 'freed', read: freed, ms, heldMs } : { kind: 'silent', read: freed, ms, heldMs };
}

/** A session of the ramp greeted only after `ms`, with the others open, and admitted all the same. */
export interface LateSession {
  readonly n: number;
  readonly ms: number;
}

/** Says which sessions were greeted late with the others open, and why that is no limit; `greetingCheck`: the check that times one greeting. */
export function lateNote(slow: readonly LateSession[], greetingCheck: string): string {
  const which = slow.map(({ n, ms }) => `session ${n} after ${seconds(ms, 2)} s`).join(', ');
  return `Greeted late with the others still open, so not held back by them: ${which}. That is a wait of the server's own before its greeting (a DNS lookup of the client at a slow resolver, its load); see ${greetingCheck}.`;
}

/**
 * The advice for a session never greeted, not even once a held one ended (`silent`): `who` names it,
 * `ended` says how its connection ended ('' while still open). With no session held (the first one),
 * nothing was measured: the caller skips the check with it.
 */
export function silentAdvice(s: {
  readonly others: number;
  readonly who: string;
  readonly heldMs: number;
  readonly boundMs: number;
  readonly ended: string;
  readonly greetingCheck: string;
}): string {
  const then = s.ended ? `, then ${s.ended}` : '';
  if (s.others === 0) return `Not measured: the first session got no greeting in ${seconds(s.heldMs, 2)} s${then} (see ${s.greetingCheck}).`;
  return `With ${s.others} sessions open, ${s.who} got no greeting in ${seconds(s.heldMs, 2)} s, nor in the ${seconds(s.boundMs, 2)} s after one of them ended${then}: no session limit shown (a free slot did not help), and the ramp stopped there; the server did not greet a new session (its load, or a wait of its own before the 220).`;
}
