/**
 * A session's message body octets (SMTP DATA), counted twice: as the client sent them (the transcript
 * logs them as they arrive, before any fault cuts them) and as they were relayed to the server. Where
 * the first fault fell tells whether what was logged after it reached the server. Pure: no sockets.
 */
import type { Mark } from '../protocol/conversation.js';

/** Observed and relayed body octets of one session. */
export class BodyLedger {
  #seen = 0;
  #relayed = 0;
  /** Octets of the current (or last) message relayed so far. */
  #current = 0;
  /** The body mark the last relayed octets belong to. */
  #mark: Mark | undefined;
  /** `#relayed` when the first fault fired. */
  #atFault: number | undefined;

  /** Body octets of the current (or last) message relayed to the server. */
  get current(): number {
    return this.#current;
  }

  /** The client sent `mark` (body marks count; others are ignored). */
  observed(mark: Mark): void {
    if (mark.kind === 'body') this.#seen += mark.end - mark.start;
  }

  /** `octets` of the current message, up to and inside body `mark`, have now been relayed to the server. */
  relayed(mark: Mark & { kind: 'body' }, octets: number): void {
    if (mark !== this.#mark && mark.before === 0) this.#current = 0; // a new message
    this.#mark = mark;
    this.#relayed += octets - this.#current;
    this.#current = octets;
  }

  /** A fault fired: the first one is the point `afterFault` counts from. */
  faultFired(): void {
    this.#atFault ??= this.#relayed;
  }

  /** In words, whether the body octets logged after the first fault reached the server; undefined if none were. */
  afterFault(): string | undefined {
    const at = this.#atFault;
    const after = at === undefined ? 0 : this.#seen - at;
    if (at === undefined || after === 0) return undefined;
    const reached = this.#relayed - at;
    if (reached === after) return `${after} body octets after the fault reached the server`;
    if (reached === 0) return `${after} body octets after the fault were swallowed: none reached the server`;
    return `${after} body octets after the fault: ${reached} reached the server, ${after - reached} were swallowed`;
  }
}
