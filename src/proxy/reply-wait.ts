/**
 * What the server left the client waiting for in one session, and since when: its greeting (owed from
 * the relay's start), or a reply to a step of the client's (a command, the end of the data). A silence
 * begins when a step reaches the proxy while nothing was owed, or when the server's octets came and a
 * reply is still owed (pipelined steps are answered in order, RFC 2920); it ends at the server's next
 * octets. At the first close of either side the silence going on is kept: that is what the client was
 * waiting for when it (or the server) ended the connection.
 *
 * Only steps the server can answer at once are timed. Not a transfer command (FTP's STOR, RETR...: a
 * server may wait for the client's data connection before its 1xx, vsftpd does), nor SMTP's BDAT (its
 * reply is due only once the chunk's octets have all come), nor a step sent while a 1xx is outstanding
 * (a NOOP during an FTP transfer: the server may read it only after the transfer); replies to steps
 * that are not timed are not counted. So a silence is never overstated, only missed.
 *
 * Pure: the caller passes the time (performance.now()).
 */

/** What the client was left waiting for, and how long, ms. */
export interface Waiting {
  readonly for: 'greeting' | 'reply';
  readonly ms: number;
}

/** A step of the client's whose final reply has not come. */
interface Owed {
  /** Its silence is timed (see the file's comment). */
  readonly timed: boolean;
  /** A preliminary reply (FTP 1xx) came: answered for now, its final reply is not waited for here. */
  paused: boolean;
}

/** Steps beyond this many unanswered are not followed (the silence is missed, never overstated). */
const MAX_OWED = 1024;

export class ReplyWait {
  #greeted = false;
  /** The client's steps whose final reply has not come, oldest first: replies answer them in order. */
  readonly #owed: Owed[] = [];
  /** When the current silence began; undefined while no timed reply is owed. */
  #since: number | undefined;
  /** The silence going on at the first close (null: none); undefined while open. */
  #atClose: Waiting | null | undefined;

  /** The relay began at `now`: the greeting is owed. */
  constructor(now: number) {
    this.#since = now;
  }

  /**
   * At `now` the client sent a step; `timed`: one the server can answer at once. A step sent behind one
   * that is not timed, or behind a 1xx, is not timed either: the server may not read it before then.
   */
  asked(now: number, timed: boolean): void {
    if (this.#atClose !== undefined || this.#owed.length >= MAX_OWED) return;
    const behindUntimed = this.#owed.some((o) => !o.timed || o.paused);
    this.#owed.push({ timed: timed && !behindUntimed, paused: false });
    if (this.#owed.length === 1 && timed && this.#greeted) this.#since = now;
  }

  /** At `now` the server's octets came, completing `replies` (each preliminary or not; none: part of one). */
  heard(now: number, replies: readonly { readonly preliminary: boolean }[] = []): void {
    if (this.#atClose !== undefined) return;
    this.#greeted = true;
    for (const { preliminary } of replies) {
      const oldest = this.#owed[0];
      if (oldest === undefined) break;
      if (preliminary) oldest.paused = true;
      else this.#owed.shift();
    }
    const oldest = this.#owed[0];
    this.#since = oldest?.timed && !oldest.paused ? now : undefined;
  }

  /** A connection of the session closed at `now`: the silence going on, if any, is what was waited for. */
  closed(now: number): void {
    if (this.#atClose === undefined) this.#atClose = this.waiting(now) ?? null;
  }

  /** What the client was left waiting for at the first close or, while open, at `now`; undefined: nothing. */
  waiting(now: number): Waiting | undefined {
    if (this.#atClose !== undefined) return this.#atClose ?? undefined;
    if (this.#since === undefined) return undefined;
    return { for: this.#greeted ? 'reply' : 'greeting', ms: now - this.#since };
  }
}
