/**
 * Where the relay cuts what it has queued, and what happens at each cut. Pure: no sockets.
 *
 *   control: a queued chunk's mark ─► every armed fault due there ─► forward ..offset, fire f, [swallow ..n]
 *   data:    octets relayed so far  ─► the byte-count fault due first ─► forward n octets, fire f
 *
 * The relay (./relay.ts) carries out the steps in order and stops at the first fault that holds or ends
 * the connection; a swallow applies only when the fault asked for it (`Link.swallow`).
 */
import { cutAt } from '../faults/trigger.js';
import type { Fault } from '../faults/types.js';
import type { Direction, Mark } from '../protocol/conversation.js';

/** A fault due at a mark of a queued chunk, and where it cuts the chunk. */
export interface MarkCut {
  readonly fault: Fault;
  /** The chunk's bytes before this offset are relayed before the fault acts. */
  readonly forwardTo: number;
  /**
   * A `before` trigger caught the mark's line, which ends here: it is held, and a fault that swallows
   * it drops the bytes up to here (the client's command, or the server's reply).
   */
  readonly swallowTo?: number;
}

/**
 * The cuts at `mark` (whose line began at `lineStart` in its chunk): each armed fault whose trigger
 * falls there, in arming order.
 */
export function cutsAtMark(armed: readonly Fault[], direction: Direction, mark: Mark, lineStart: number): MarkCut[] {
  const cuts: MarkCut[] = [];
  for (const fault of armed) {
    const cut = cutAt(fault.at, direction, mark, lineStart);
    if (!cut) continue;
    cuts.push(cut.pendingUntil === undefined ? { fault, forwardTo: cut.offset } : { fault, forwardTo: cut.offset, swallowTo: cut.pendingUntil });
  }
  return cuts;
}

/** Where a data connection's octets are cut: relay `forward` of them, then fire `fault` if one is due. */
export interface OctetCut {
  readonly forward: number;
  readonly fault?: Fault;
}

/**
 * The cut in the next `length` octets of a data connection that has relayed `relayed` octets so far,
 * serving transfer `verb`: the armed `after <verb> +N` fault that falls first, if it falls within them.
 */
export function cutByOctets(armed: readonly Fault[], verb: string | undefined, relayed: number, length: number): OctetCut {
  let due: { fault: Fault; bytes: number } | undefined;
  for (const fault of armed) {
    if (fault.at === 'connect' || !('bytes' in fault.at) || fault.at.bytes === undefined || fault.at.after !== verb) continue;
    if (!due || fault.at.bytes < due.bytes) due = { fault, bytes: fault.at.bytes };
  }
  if (!due) return { forward: length };
  const room = Math.max(0, due.bytes - relayed);
  return room <= length ? { forward: room, fault: due.fault } : { forward: length };
}
