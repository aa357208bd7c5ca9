/**
 * The one state of a relayed connection (control session or FTP data connection), and who ended it
 * first. Pure: no sockets; the relay asks it whether bytes may flow and tells it what happened.
 *
 *   open ──hold──► held ──release──► open
 *   open | held ──end (RST to the client)──► resetting ──RST sent──► dead
 *   open | held ──end (any other)──────────────────────────────────► dead
 *
 * `resetting` is dead to relaying, but what the client still sends before its RST goes is observed: it
 * shows where the client had got to. After a FIN to the client, what it pipelined is observed too (see
 * pipelinedAfterFin). Timers (a timed hold) belong to the state: they die with it.
 */
import type { Mark } from '../protocol/conversation.js';

/**
 * The SMTP commands a client may send its next command behind without waiting for their reply (RFC
 * 2920 §3.1: RSET, MAIL FROM and RCPT TO can appear anywhere in a pipelined group). FTP has none.
 */
const PIPELINE_CONTINUES = new Set(['MAIL', 'RCPT', 'RSET']);

export type RelayState = 'open' | 'held' | 'resetting' | 'dead';

/** How the proxy ended the client's side: an RST or a FIN. */
export type ClientSaw = 'rst' | 'fin';

export class Teardown {
  #state: RelayState = 'open';
  #clientLeft = false;
  #leftOnTurn = false;
  #clientSaw: ClientSaw | null = null;
  #timers = new Set<NodeJS.Timeout>();
  /** After a FIN to the client: its commands so far were all pipelined (see pipelinedAfterFin). */
  #pipelining = true;

  get state(): RelayState {
    return this.#state;
  }

  /** Bytes may be relayed. */
  get open(): boolean {
    return this.#state === 'open';
  }

  /** Relaying stopped for good: the proxy (a fault, or the proxy closing) ended the connection. */
  get ended(): boolean {
    return this.#state === 'resetting' || this.#state === 'dead';
  }

  /** The client closed or reset its side: what the proxy does after that, it did not cause. */
  get clientLeft(): boolean {
    return this.#clientLeft;
  }

  /**
   * The client closed or reset its side first, on its turn (see SessionEnds.#clientsTurn): answered
   * everything it asked, nothing cut toward it, nothing held back either way. It gave up, or rejected
   * what it was shown, on its own: a failure it reports then is no timeout.
   */
  get leftOnTurn(): boolean {
    return this.#leftOnTurn;
  }

  /**
   * How the proxy ended the client's side while the client still held it, first of RST or FIN; null
   * when it is still open, or when the client left first (it gave up, or rejected the server).
   */
  get clientSaw(): ClientSaw | null {
    return this.#clientSaw;
  }

  /** Stops relaying for now; no effect once ended. */
  hold(): void {
    if (this.#state === 'open') this.#state = 'held';
  }

  /** Resumes relaying after a hold; true when it did (the connection was not ended meanwhile). */
  release(): boolean {
    if (this.#state !== 'held') return false;
    this.#state = 'open';
    return true;
  }

  /**
   * Stops relaying for good; `rstToClient`: an RST to the client is on its way (see the header).
   * Returns whether the connection was still alive (the first end).
   */
  end(rstToClient: boolean): boolean {
    const first = !this.ended;
    this.#state = rstToClient ? 'resetting' : 'dead';
    this.#clearTimers();
    return first;
  }

  /** An RST the proxy ended the connection with has been sent. */
  rstSent(): void {
    if (this.#state === 'resetting') this.#state = 'dead';
  }

  /**
   * The client sent its FIN or RST; `onTurn`: on its turn, with nothing owed or held (see leftOnTurn).
   * `quit`: after the final reply to its QUIT, where the server's FIN, passed on, may have come first: the
   * session's normal end, however the two FINs crossed, not a cut.
   */
  clientGone(onTurn: boolean | 'quit' = false): void {
    const uncut = this.#clientSaw === null || (onTurn === 'quit' && this.#clientSaw === 'fin');
    if (!this.#clientLeft) this.#leftOnTurn = onTurn !== false && uncut && this.#state !== 'held';
    this.#clientLeft = true;
  }

  /** The proxy's RST or FIN goes to the client now: it counts if the client was still there and it is the first. */
  toClient(how: ClientSaw): void {
    if (!this.#clientLeft) this.#clientSaw ??= how;
  }

  /**
   * Of what the client sent after the proxy ended its side with a FIN (while `dead`, never relayed):
   * the commands it pipelined behind `lastVerb`, written without waiting for a reply and so before it
   * could have read the FIN, whichever side of the FIN they landed. They count, as they would have a
   * moment earlier. The first line that may only follow a reply ends this for good: the client sent
   * it after reading. Nothing after an RST.
   */
  pipelinedAfterFin(marks: readonly Mark[], lastVerb: string): Mark[] {
    const counted: Mark[] = [];
    let behind = lastVerb;
    for (const mark of marks) {
      this.#pipelining &&= this.#clientSaw !== 'rst' && mark.kind === 'command' && PIPELINE_CONTINUES.has(behind);
      if (!this.#pipelining || mark.kind !== 'command') break;
      counted.push(mark);
      behind = mark.verb;
    }
    return counted;
  }

  /** Calls `fn` in `ms` unless the connection ends or closes first. */
  after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  /** Both sockets are closed: pending timers are dropped. */
  closed(): void {
    this.#clearTimers();
  }

  #clearTimers(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
