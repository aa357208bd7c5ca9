/**
 * The faults armed on one connection (or one FTP session's data side): which is due, firing each at
 * most once, the proxy's veto, and the transcript line. Pure: no sockets, no timers.
 *
 *   armed ─► due (on connect, at a mark: ./cut.ts) ─► fire: disarmed ─► veto? ─► `fault fired: ...`
 */
import { formatFault } from '../faults/format.js';
import type { Fault } from '../faults/types.js';
import type { Direction, Mark } from '../protocol/conversation.js';
import { cutsAtMark, cutByOctets, type MarkCut, type OctetCut } from './cut.js';

/** The proxy's say on a fault about to fire: false vetoes it (a `refuse` that already fired elsewhere). */
export type Veto = (fault: Fault) => boolean;

/** Faults waiting for their trigger; each fires once. */
export class Arming {
  #armed: Fault[];
  readonly #veto: Veto;

  constructor(faults: readonly Fault[], veto: Veto) {
    this.#armed = [...faults];
    this.#veto = veto;
  }

  /** The faults still armed, in arming order. */
  get armed(): readonly Fault[] {
    return this.#armed;
  }

  /** The armed faults triggered `on connect`, matching `which` (default all). */
  onConnect(which: (fault: Fault) => boolean = () => true): Fault[] {
    return this.#armed.filter((f) => f.at === 'connect' && which(f));
  }

  /** The armed faults due at `mark`, and where each cuts its chunk. */
  dueAt(direction: Direction, mark: Mark, lineStart: number): MarkCut[] {
    return cutsAtMark(this.#armed, direction, mark, lineStart);
  }

  /** The cut in the next `length` octets of a data connection for `verb`, `relayed` octets in. */
  dueByOctets(verb: string | undefined, relayed: number, length: number): OctetCut {
    return cutByOctets(this.#armed, verb, relayed, length);
  }

  /** The first armed fault matching `which`, if any. */
  find<F extends Fault>(which: (fault: Fault) => fault is F): F | undefined {
    return this.#armed.find(which);
  }

  /**
   * Fires `fault`: it is disarmed (it never fires again) and the proxy may veto it. Returns the
   * transcript line saying it fired, or undefined when vetoed.
   */
  fire(fault: Fault, where?: string): string | undefined {
    this.#armed = this.#armed.filter((f) => f !== fault);
    if (!this.#veto(fault)) return undefined;
    return firedLine(fault, where);
  }
}

/** The transcript line of a fault that fired; `where` says what timed it (`at data octet 100`). */
export function firedLine(fault: Fault, where?: string): string {
  return `fault fired${where ? ` ${where}` : ''}: ${formatFault(fault)}`;
}
