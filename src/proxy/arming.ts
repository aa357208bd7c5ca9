/**
 * The faults armed on one connection (or one FTP session's data side): which is due, firing each at
 * most once, the proxy's veto, and the transcript line. Pure: no sockets, no timers.
 *
 *   armed ─► due (on connect, at a mark: ./cut.ts) ─► fire: disarmed ─► veto? ─► `fault fired: ...`
 */
import { formatFault } from '../faults/format.js';
import type { Fault } from '../faults/types.js';
import type { Direction, Mark } from '../protocol/conversation.js';
import type { ArmingChange, Transactions } from './armory.js';
import { cutsAtMark, cutByOctets, type MarkCut, type OctetCut } from './cut.js';

/** The proxy's say on a fault about to fire: false vetoes it (a `refuse` that already fired elsewhere). */
export type Veto = (fault: Fault) => boolean;

/**
 * A connection's matching transactions (./armory.ts), and who takes the faults of its own side from
 * them (FTP: the data side): `split` keeps their own and returns the rest.
 */
export interface Matched {
  readonly transactions: Transactions;
  split(change: ArmingChange): ArmingChange;
}

const NO_CUTS: readonly MarkCut[] = [];

/** Faults waiting for their trigger; each fires once. */
export class Arming {
  #armed: Fault[];
  readonly #veto: Veto;
  readonly #matched: Matched | undefined;

  constructor(faults: readonly Fault[], veto: Veto, matched?: Matched) {
    this.#armed = [...faults];
    this.#veto = veto;
    this.#matched = matched;
  }

  /** Arms more faults (a matching transaction's), after those armed already. */
  add(faults: readonly Fault[]): void {
    this.#armed.push(...faults.filter((f) => !this.#armed.includes(f)));
  }

  /** Disarms `faults` that have not fired (a transaction that ended). */
  remove(faults: readonly Fault[]): void {
    if (faults.length > 0) this.#armed = this.#armed.filter((f) => !faults.includes(f));
  }

  /** The faults still armed, in arming order. */
  get armed(): readonly Fault[] {
    return this.#armed;
  }

  /** The armed faults triggered `on connect`, matching `which` (default all). */
  onConnect(which: (fault: Fault) => boolean = () => true): Fault[] {
    return this.#armed.filter((f) => f.at === 'connect' && which(f));
  }

  /** The armed faults due at `mark`, and where each cuts its chunk; a transaction `mark` begins or matches is armed first. */
  dueAt(direction: Direction, mark: Mark, lineStart: number): readonly MarkCut[] {
    this.#change(this.#matched?.transactions.before(direction, mark));
    // Asked at every mark of every session: a clean relay allocates nothing here.
    return this.#armed.length === 0 ? NO_CUTS : cutsAtMark(this.#armed, direction, mark, lineStart);
  }

  /** `mark` was relayed: a transaction it ends is disarmed. */
  relayed(direction: Direction, mark: Mark): void {
    this.#change(this.#matched?.transactions.after(direction, mark));
  }

  #change(change: ArmingChange | undefined): void {
    if (!change || (change.add.length === 0 && change.remove.length === 0)) return;
    const mine = this.#matched?.split(change) ?? change;
    this.remove(mine.remove);
    this.add(mine.add);
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
