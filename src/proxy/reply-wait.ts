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
 * that are not timed are not counted. So a silence is never overstated, only missed. A transfer is timed
 * on its data connection instead (DataWait, below).
 *
 * Pure: the caller passes the time (performance.now()).
 */

import type { Toward } from '../faults/types.js';

/**
 * What the client was left waiting for, and how long, ms: `data`, the octets of a download (see DataWait);
 * `read`, the server to read an upload (the stretch its data socket has stayed full: DataLink.unread).
 */
export interface Waiting {
  readonly for: 'greeting' | 'reply' | 'data' | 'read';
  readonly ms: number;
  /** For a reply: the step it answers (a command verb, `dot`). */
  readonly step?: string;
}

/** A step of the client's whose final reply has not come. */
interface Owed {
  /** The step: a command verb, `dot`. */
  readonly step: string;
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
   * At `now` the client sent `step` (a command verb, `dot`); `timed`: one the server can answer at once. A
   * step sent behind one that is not timed, or behind a 1xx, is not timed either: the server may not read
   * it before then.
   */
  asked(now: number, step: string, timed: boolean): void {
    if (this.#atClose !== undefined || this.#owed.length >= MAX_OWED) return;
    const behindUntimed = this.#owed.some((o) => !o.timed || o.paused);
    this.#owed.push({ step, timed: timed && !behindUntimed, paused: false });
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
    const step = this.#owed[0]?.step;
    if (!this.#greeted || step === undefined) return { for: 'greeting', ms: now - this.#since };
    return { for: 'reply', ms: now - this.#since, step };
  }
}

/**
 * What the server left the receiver of one FTP data connection waiting for. In a download (the server
 * sends: RETR, LIST, NLST, MLSD), from the client's transfer command, or the connection when it opened
 * later, to the next octets the proxy passed on to the client: the server's silence. It ends with the
 * server's end of file (or an RST), and is kept at the connection's first close. Timed by what the proxy
 * passed on to the client, not what it read: while it holds octets the client has not taken yet (the
 * client reads slower than the server sends), the client is not waiting, and no silence is counted. Once the sender's end of file has been passed on to the receiver (in either direction),
 * the transfer is complete, and its final reply (226) is owed from then (`endedAt`, see FtpData.waiting).
 * An upload's data is not timed: the server reads at its pace, which the proxy cannot tell from the
 * client's. Pure: the caller passes the time (performance.now()).
 */
export class DataWait {
  /** Who sends on this connection: the server in a download; undefined until the transfer command came. */
  #sender: Toward | undefined;
  /** When the server's current silence began; undefined while no octets are owed. */
  #since: number | undefined;
  #endedAt: number | undefined;
  /** The silence going on at the first close (null: none); undefined while open. */
  #atClose: number | null | undefined;

  /** At `now` the transfer command this connection serves had come; `sender`: `server` in a download. */
  asked(now: number, sender: Toward): void {
    if (this.#atClose !== undefined || this.#sender !== undefined) return;
    this.#sender = sender;
    if (sender === 'server') this.#since = now;
  }

  /** A download's octets are owed and timed now (so `passedOn` has something to do). */
  get timing(): boolean {
    return this.#since !== undefined;
  }

  /** At `now` octets of the server's were passed on to the client. */
  passedOn(now: number): void {
    if (this.#since !== undefined) this.#since = now;
  }

  /** The server sent its end of file, or an RST, or answered the transfer failed: it owes no more octets. */
  senderDone(): void {
    this.#since = undefined;
  }

  /** At `now` an end of file was passed on `toward` an end: the sender's to the receiver completes the transfer, whose final reply is owed from then. */
  ended(now: number, toward: Toward): void {
    if (this.#sender === undefined || toward === this.#sender) return;
    this.#since = undefined;
    this.#endedAt ??= now;
  }

  /**
   * One of the connection's ends closed at `now`: the silence going on, if any, is what was waited for.
   * `behind`: the proxy still held octets for the client then (see `silence`).
   */
  closed(now: number, behind: boolean): void {
    if (this.#atClose === undefined) this.#atClose = this.silence(now, behind) ?? null;
  }

  /**
   * Ms the server left the client without octets (at the first close, or until `now`); undefined: none
   * owed. `behind`: the proxy holds octets the client has not taken yet, so the client is not waiting.
   */
  silence(now: number, behind = false): number | undefined {
    if (this.#atClose !== undefined) return this.#atClose ?? undefined;
    return this.#since === undefined || behind ? undefined : now - this.#since;
  }

  /** When the sender's end of file reached the receiver; undefined before. */
  get endedAt(): number | undefined {
    return this.#endedAt;
  }
}
