/**
 * Trigger matching: given a mark from the protocol tracker, does a fault's `at` fire there, and at
 * which byte of the chunk? Pure.
 *
 *   { after: 'RCPT' }             down  reply to RCPT    cut after the reply
 *   { after: 'DATA', bytes: n }   up    body octets      cut after the nth body octet
 *   { after: 'BDAT', bytes: n }   up    chunk data       cut after the nth octet of the transaction's BDAT chunks
 *   { before: 'reply', to: 'X' }  down  reply to X       cut before the reply (X reached the server, its reply is held)
 *   { before: 'X' }               up    command X / dot  cut before the command (it is held)
 */
import type { Direction, Mark } from '../protocol/conversation.js';
import { BDAT_LAST } from '../protocol/smtp.js';
import type { At } from './base.js';

/** Where a trigger fires in a chunk. */
export interface Cut {
  /** Bytes before this offset are relayed before the fault acts. */
  readonly offset: number;
  /** For `before` triggers: the caught command ends here; it is pending, not relayed. */
  readonly pendingUntil?: number;
}

/** Whether a mark completes the client's step `step` (a verb, `dot`, or `BDAT LAST`: only the last chunk's command). */
function isStep(mark: Mark, step: string): boolean {
  if (mark.kind === 'dot') return step === 'dot';
  if (mark.kind !== 'command' || ('continuation' in mark && mark.continuation)) return false;
  return step === BDAT_LAST ? 'last' in mark && mark.last === true : mark.verb === step;
}

/** Whether a reply to `to` answers `step`: `BDAT` stands for every chunk, the last one (`BDAT LAST`) too. */
function answers(to: string, step: string): boolean {
  return to === step || (step === 'BDAT' && to === BDAT_LAST);
}

/** The step whose octets a body mark carries: BDAT chunk data, or the body after DATA. */
function bodyOf(mark: Mark & { kind: 'body' }): string {
  return 'bdat' in mark && mark.bdat ? 'BDAT' : 'DATA';
}

/** The client step `at` waits on (`EHLO` for `after EHLO`, `DATA` for `after DATA +1MiB`, `X` for `before reply to X`); undefined on connect. */
export function waitedOn(at: At | undefined): string | undefined {
  if (at === undefined || at === 'connect') return undefined;
  if ('after' in at) return at.after;
  return 'to' in at ? at.to : at.before;
}

/**
 * The cut for `at` at `mark`, or null. `lineStart` is where the mark's line began in the chunk
 * (the previous mark's end, or 0).
 */
export function cutAt(at: At, direction: Direction, mark: Mark, lineStart: number): Cut | null {
  if (at === 'connect') return null;
  if ('after' in at) {
    if (at.bytes) {
      if (direction !== 'up' || mark.kind !== 'body' || at.after !== bodyOf(mark)) return null;
      const within = at.bytes - mark.before;
      return within > 0 && within <= mark.end - mark.start ? { offset: mark.start + within } : null;
    }
    // A 1xx (FTP's 150) is not the answer yet: `after STOR` waits for the 226.
    const final = mark.kind === 'reply' && !('preliminary' in mark && mark.preliminary);
    return direction === 'down' && final && answers(mark.to, at.after) ? { offset: mark.end } : null;
  }
  if ('to' in at) {
    // The server's reply to `to` has arrived: it is held (or, swallowed, replaced). Replies to commands
    // pipelined before it still pass, so the client waits on exactly `to` (RFC 2920).
    if (direction !== 'down' || mark.kind !== 'reply' || !answers(mark.to, at.to)) return null;
    // A reply past MAX_HELD_REPLY (src/protocol/replies.ts) was relayed as it came: it cannot be held
    // whole any more, so the fault waits for the next reply to `to`.
    if (mark.omitted) return null;
    return { offset: lineStart, pendingUntil: mark.end };
  }
  if (direction !== 'up' || !isStep(mark, at.before)) return null;
  const start = mark.kind === 'dot' ? Math.max(lineStart, mark.end - 3) : lineStart;
  return { offset: start, pendingUntil: mark.end };
}

/**
 * Which direction's unfinished lines must wait for their end before being relayed, so a `before`
 * trigger can still hold the whole line: commands for `{ before: X }`, replies (all their lines) for
 * `{ before: 'reply' }`.
 */
export function holdsLines(at: At): Direction | null {
  if (at === 'connect' || !('before' in at)) return null;
  return 'to' in at ? 'down' : 'up';
}
