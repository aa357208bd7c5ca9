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
  /** Nothing came in `heldMs` with the others open; once one of them ended, `read` (ok) came. */
  | { readonly kind: 'freed'; readonly read: Read<Reply>; readonly ms: number; readonly heldMs: number }
  /** No reply came in `heldMs`, nor once one held session had ended: `read` is the last wait's (a timeout, or the connection's end). */
  | { readonly kind: 'silent'; readonly read: Extract<Read<Reply>, { ok: false }>; readonly ms: number; readonly heldMs: number };

/**
 * Waits on for the greeting of `conn`, which did not come within `waitedMs`; `endOne` ends one of the
 * sessions held beside it (the ramp forgets it). `ms`: from the first wait's start to the reply (or to
 * the end of the last wait).
 */
export async function awaitLateGreeting(conn: RawConnection, boundMs: number, waitedMs: number, endOne: () => Promise<void>): Promise<LateGreeting> {
  const more = await conn.readReply(LATE_FACTOR * boundMs);
  if (more.ok || more.end !== 'timeout') return { kind: 'late', read: more, ms: waitedMs + more.ms };
  await endOne();
  const freed = await conn.readReply(boundMs);
  const heldMs = waitedMs + more.ms;
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
