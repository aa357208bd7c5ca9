/**
 * Replies reach the client in the order of its commands, the proxy's own too (RFC 2920 §3.1, §3.2: a
 * server answers pipelined commands in order). A reply the proxy gives in place of a command's (a
 * `reply` fault at `before X`) waits for the server's replies still owed to the commands the client
 * sent before X; what the fault does next (a FIN, an RST) waits behind it.
 *
 *   client ── MAIL RCPT DATA ──► MAIL relayed; RCPT caught: the server owes 1 reply (MAIL's)
 *                                 └─ waiting: 451 reply, then FIN (the client's DATA is not relayed)
 *   server ── 250 (to MAIL) ───► relayed: the owed reply was given ──► 451, then FIN
 *
 * Counted as the session walks its marks: the client's steps (the greeting is the first), those the
 * proxy kept from the server, and the final replies the client was given where the server's stream
 * had them (relayed, or replaced there by a fault). The server owes the difference.
 */
import { type Mark, stepOf, type View } from '../protocol/conversation.js';
import { parseReplyLineLoosely } from '../protocol/reply.js';

/** An action waiting for the server's replies. */
interface Waiting {
  /** Runs once the client was given this many final replies. */
  readonly due: number;
  readonly run: () => void;
  /** For a reply: what it is (`451 reply to rcpt`), for the transcript; an end has none. */
  readonly reply?: string;
}

/** One session's replies toward the client, in order. */
export class ReplyOrder {
  /** The client's steps walked; the greeting counts as the first. */
  #asked = 1;
  /** Of those, the ones the proxy kept from the server: it answers them itself. */
  #kept = 0;
  /** Final replies the client was given in the server's stream. */
  #answered = 0;
  readonly #waiting: Waiting[] = [];
  #ending = false;
  readonly #view: View;
  readonly #note: (text: string) => void;

  /** `view`: where the client is; `note` writes a line to the transcript. */
  constructor(view: View, note: (text: string) => void) {
    this.#view = view;
    this.#note = note;
  }

  /** An end waits behind a reply: the client's later commands are not relayed (as after the end). */
  get ending(): boolean {
    return this.#ending;
  }

  /** The client's step at `mark` was walked: relayed to the server, or `kept` from it. */
  walked(mark: Mark, kept: boolean): void {
    if (mark.kind !== 'command' && mark.kind !== 'dot') return;
    this.#asked++;
    if (kept) this.#kept++;
  }

  /**
   * The server's reply at `mark` was walked toward the client (relayed, or replaced where it stood);
   * true when what waited for it is now due (see runDue).
   */
  answered(mark: Mark): boolean {
    // A 1xx (FTP) leaves its command waiting; an unsolicited reply answers none.
    if (mark.kind !== 'reply' || mark.to === 'unsolicited' || ('preliminary' in mark && mark.preliminary)) return false;
    this.#answered++;
    return (this.#waiting[0]?.due ?? Number.POSITIVE_INFINITY) <= this.#answered;
  }

  /** Runs what waited and is due, oldest first (an end among it drops the rest). */
  runDue(): void {
    while ((this.#waiting[0]?.due ?? Number.POSITIVE_INFINITY) <= this.#answered) this.#waiting.shift()!.run();
  }

  /**
   * The proxy's `data` for the client, which `send` writes. In place of the client's command or dot
   * being walked (`caught`), it waits for the server's replies owed to earlier commands; anything else
   * (in place of a server reply, or at an `after` trigger) goes now. A reply tells the view.
   */
  inject(data: Buffer, caught: Mark | undefined, send: () => void): void {
    const code = parseReplyLineLoosely(data.toString('latin1'))?.code;
    const deliver = (): void => {
      if (code !== undefined) {
        // In place of what the fault caught: that step is answered, by the proxy.
        if (caught) this.#view.replaced(caught);
        this.#view.told(code, caught === undefined ? undefined : caught.kind === 'reply' ? caught.to : stepOf(caught) || undefined);
      }
      send();
    };
    const step = caught?.kind === 'command' ? caught.verb.toLowerCase() : caught?.kind === 'dot' ? 'dot' : undefined;
    if (code === undefined || step === undefined) return deliver();
    const what = `${code} reply to ${step}`;
    const owed = Math.max(0, this.#asked - this.#kept - this.#answered);
    // The transcript has the server's replies as they arrive: this says why the proxy's comes after them.
    if (owed > 0) this.#note(`proxy's ${what} waits for ${owed} server ${owed === 1 ? 'reply' : 'replies'} to earlier commands`);
    this.#add({ due: this.#answered + owed, run: deliver, reply: what });
  }

  /** An end the proxy makes (FIN, RST): now, or behind a waiting reply; true when it waits. */
  end(run: () => void): boolean {
    if (this.#waiting.length === 0) {
      run();
      return false;
    }
    this.#ending = true;
    this.#add({ due: 0, run });
    return true;
  }

  /** The session ends: what waits is dropped, each reply noted as never sent (`why`). */
  drop(why: string): void {
    for (const w of this.#waiting.splice(0)) if (w.reply) this.#note(`proxy's ${w.reply} ${why}`);
  }

  /** The server sent its FIN: the replies it owed will not come, so what waits for them is dropped; an end runs now. */
  abandon(): void {
    const ends = this.#waiting.filter((w) => !w.reply);
    this.drop('was never sent: the server closed before answering the commands before it');
    for (const w of ends) w.run();
  }

  /** Queues `w` behind what waits (never ahead of it), or runs it when nothing waits and it is due. */
  #add(w: Waiting): void {
    const due = Math.max(w.due, this.#waiting.at(-1)?.due ?? 0);
    if (this.#waiting.length === 0 && due <= this.#answered) w.run();
    else this.#waiting.push({ ...w, due });
  }
}
