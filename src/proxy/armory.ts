/**
 * Where a proxy's faults come from, consulted at each accept rather than fixed at start-up: the
 * start-up faults, the faults armed since, and plans. Pure: no sockets, no timers, no randomness.
 *
 *   accept #n ─► forConnection(n): start-up + armed (connection n or every) + plan entry n ('pass': none)
 *   a transaction (SMTP MAIL..reply to the dot; FTP a transfer command..its final reply) whose
 *   envelope or path matches ─► Transactions: armed `match` faults + the next entry of each `match` plan
 *
 * A `match` is decided by the command in hand: MAIL decides `from`, each RCPT decides `rcpt` (with
 * `from` if given), a transfer command decides `path`. So a matched fault fires only at triggers at or
 * after the command that decided the match: `reply 451 before RCPT` with `rcpt` fires at the matching
 * RCPT, never at MAIL.
 */
import type { Fault } from '../faults/types.js';
import type { Direction, Mark } from '../protocol/conversation.js';
import { TRANSFER_VERBS } from '../protocol/ftp.js';

/** Which transactions (SMTP) or transfers (FTP) a fault is for; every field given must match. */
export interface Match {
  readonly from?: string | RegExp;
  readonly rcpt?: string | RegExp;
  readonly path?: string | RegExp;
}

/** A plan entry: a fault, or `pass` (that connection or transaction is left alone). */
export type PlanEntry = Fault | 'pass';

interface Armed {
  readonly fault: Fault;
  readonly connection?: number;
  readonly match?: Match;
}

interface Plan {
  readonly entries: readonly PlanEntry[];
  readonly match?: Match;
  /** Connection plans: the connection number of entry 0. */
  readonly from: number;
  /** Match plans: transactions matched so far. */
  used: number;
}

/** The faults of one proxy, consulted at each accept and at each matching transaction. */
export class Armory {
  #armed: Armed[];
  #plans: Plan[] = [];
  /** The highest connection number accepted so far. */
  #accepted = 0;

  constructor(startup: readonly Fault[]) {
    this.#armed = startup.map((fault) => ({ fault }));
  }

  /** Adds a fault for every later connection, connection `connection`, or matching transactions. */
  arm(fault: Fault, options: { readonly connection?: number; readonly match?: Match } = {}): void {
    this.#armed.push({ fault, ...options });
  }

  /**
   * Entry i for the i-th connection accepted after this call, or with `match` the i-th matching
   * transaction after it; past the end, nothing. Plans given earlier go on counting alongside.
   */
  plan(entries: readonly PlanEntry[], match?: Match): void {
    this.#plans.push({ entries: [...entries], ...(match ? { match } : {}), from: this.#accepted + 1, used: 0 });
  }

  /** Forgets every armed fault and plan, the start-up faults included. */
  disarm(): void {
    this.#armed = [];
    this.#plans = [];
  }

  /** Whether any fault or plan waits for matching transactions. */
  get matching(): boolean {
    return this.#armed.some((a) => a.match) || this.#plans.some((p) => p.match && p.used < p.entries.length);
  }

  /** Connection `index` was accepted: its faults, in arming order (plan entries last). */
  forConnection(index: number): Fault[] {
    this.#accepted = Math.max(this.#accepted, index);
    const faults: Fault[] = [];
    for (const a of this.#armed) {
      if (a.match) continue;
      const connection = a.connection ?? a.fault.connection;
      if (connection === undefined || connection === index) faults.push(a.fault);
    }
    for (const p of this.#plans) {
      const entry = p.match ? undefined : p.entries[index - p.from];
      if (entry !== undefined && entry !== 'pass') faults.push(entry);
    }
    this.#plans = this.#plans.filter((p) => (p.match ? true : index - p.from < p.entries.length - 1));
    return faults;
  }

  /**
   * A transaction of connection `index`: the faults of the sources (an armed fault, a plan) that
   * `matches` says it matches, each plan's next entry taken.
   */
  forTransaction(index: number, matches: (match: Match, source: object) => boolean): Fault[] {
    const faults: Fault[] = [];
    for (const a of this.#armed) {
      if (!a.match || !matches(a.match, a)) continue;
      const connection = a.connection ?? a.fault.connection;
      if (connection === undefined || connection === index) faults.push(a.fault);
    }
    for (const p of this.#plans) {
      if (!p.match || p.used >= p.entries.length || !matches(p.match, p)) continue;
      const entry = p.entries[p.used++];
      if (entry !== undefined && entry !== 'pass') faults.push(entry);
    }
    return faults;
  }
}

/** What a transaction's start or end changes in a connection's armed faults. */
export interface ArmingChange {
  readonly add: readonly Fault[];
  readonly remove: readonly Fault[];
}

const NO_CHANGE: ArmingChange = { add: [], remove: [] };

/** Whether `value` matches `pattern`: a string exactly (case-insensitively for addresses), a RegExp anywhere. */
function matchesText(pattern: string | RegExp, value: string, caseless: boolean): boolean {
  if (typeof pattern !== 'string') {
    pattern.lastIndex = 0; // a /g or /y RegExp keeps state between tests
    return pattern.test(value);
  }
  return caseless ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
}

/** The address in `MAIL FROM:<a> ...` or `RCPT TO:<a> ...` ('' for `<>`). */
export function envelopeAddress(line: string): string {
  const m = /^\s*\S+\s+\S+?:\s*<([^>]*)>/.exec(line) ?? /^\s*\S+\s+\S+?:\s*(\S*)/.exec(line);
  return m?.[1] ?? '';
}

/**
 * One connection's transactions, told each mark as the relay reaches it: `before` the faults due there
 * are looked up, `after` the mark is relayed. Says which faults a matching transaction adds, and which
 * its end removes (those that did not fire).
 */
export class Transactions {
  readonly #protocol: 'smtp' | 'ftp';
  readonly #lookup: (matches: (match: Match, source: object) => boolean) => Fault[];
  /** The last mark told to `before` (a hold makes the relay walk a mark again). */
  #seen: Mark | undefined;
  /** The open transaction: what decided it so far, and the faults it added. */
  #open: { from: string; rcpts: string[]; path?: string; verb?: string; matched: Set<object>; added: Fault[] } | undefined;

  /** `lookup`: the armory's faults for a transaction of this connection (Armory.forTransaction). */
  constructor(protocol: 'smtp' | 'ftp', lookup: (matches: (match: Match, source: object) => boolean) => Fault[]) {
    this.#protocol = protocol;
    this.#lookup = lookup;
  }

  /** Before the faults due at `mark` are looked up. */
  before(direction: Direction, mark: Mark): ArmingChange {
    if (mark === this.#seen) return NO_CHANGE;
    this.#seen = mark;
    if (direction !== 'up' || mark.kind !== 'command' || ('continuation' in mark && mark.continuation)) return NO_CHANGE;
    if (this.#protocol === 'ftp') {
      if (!TRANSFER_VERBS.has(mark.verb)) return NO_CHANGE;
      const ended = this.#end();
      const path = mark.line.replace(/^\s*\S+\s?/, '').replace(/\r?\n$/, '');
      this.#open = { from: '', rcpts: [], path, verb: mark.verb, matched: new Set(), added: [] };
      return { add: this.#decide(), remove: ended };
    }
    if (mark.verb === 'MAIL') {
      const ended = this.#end();
      this.#open = { from: envelopeAddress(mark.line), rcpts: [], matched: new Set(), added: [] };
      return { add: this.#decide(), remove: ended };
    }
    if (mark.verb === 'RCPT' && this.#open) {
      this.#open.rcpts.push(envelopeAddress(mark.line));
      return { add: this.#decide(), remove: [] };
    }
    if (mark.verb === 'RSET' || mark.verb === 'QUIT' || mark.verb === 'HELO' || mark.verb === 'EHLO') return { add: [], remove: this.#end() };
    return NO_CHANGE;
  }

  /** After `mark` was relayed: the final reply to the dot (SMTP) or to the transfer (FTP) ends the transaction. */
  after(direction: Direction, mark: Mark): ArmingChange {
    if (direction !== 'down' || mark.kind !== 'reply' || !this.#open) return NO_CHANGE;
    const last = this.#protocol === 'smtp' ? mark.to === 'dot' || (mark.to === 'MAIL' && mark.code >= 400) : mark.to === this.#open.verb && mark.code >= 200;
    return last ? { add: [], remove: this.#end() } : NO_CHANGE;
  }

  /** The faults of match sources the open transaction matches now and did not before. */
  #decide(): Fault[] {
    const open = this.#open;
    if (!open) return [];
    const rcpt = open.rcpts.at(-1);
    const matches = (m: Match, source: object): boolean => {
      if (open.matched.has(source)) return false;
      const hit =
        this.#protocol === 'ftp'
          ? m.path !== undefined && m.from === undefined && m.rcpt === undefined && matchesText(m.path, open.path ?? '', false)
          : m.path === undefined &&
            (m.from !== undefined || m.rcpt !== undefined) &&
            (m.from === undefined || matchesText(m.from, open.from, true)) &&
            (m.rcpt === undefined || (rcpt !== undefined && matchesText(m.rcpt, rcpt, true)));
      if (hit) open.matched.add(source);
      return hit;
    };
    const faults = this.#lookup(matches);
    open.added.push(...faults);
    return faults;
  }

  #end(): Fault[] {
    const added = this.#open?.added ?? [];
    this.#open = undefined;
    return added;
  }
}
