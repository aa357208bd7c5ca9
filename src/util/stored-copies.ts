/**
 * Counting the copies of the sent messages among those a server stored (a real MTA's mailbox, a user's
 * Maildir), the way ./stored-copy.ts defines a copy, without ever holding a message whole: each stored
 * message is read as a stream once, into a summary kept by its name, and its end read again only where
 * it may end with a sent message after something other than header fields. What a server stores adds
 * up over a command (smtp/large: 50 MiB a message), and a whole message took two copies of itself
 * (as stored, and made LF).
 *
 *   stored: [{ name, read }] ─► (LF) ─► summary per name (read once) ─┐
 *   sent:   Content ─► LF, a piece at a time ─► summary ──────────────┴─► isSummaryCopy ─► copies per sent message
 */
import { createHash } from 'node:crypto';
import type { Content } from './content.js';
import { toLf } from './line-ends.js';
import { isSummaryCopy, type MessageSummary, summarize } from './stored-copy.js';

/** A message as a server stored it, any line ends. */
export interface StoredMessage {
  /** Stays the same from one listing to the next (a Maildir file's unique part, an Exim spool id). */
  readonly name: string;
  /** Its octets from the start, a piece at a time; fails when it is gone (a reader moved or deleted it). */
  read(): AsyncIterable<Buffer>;
}

/** All of `message`'s octets in one Buffer (a test's look at what was stored; the copy check never does this). */
export async function readWhole(message: StoredMessage): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of message.read()) pieces.push(Buffer.from(piece));
  return Buffer.concat(pieces);
}

/** What `StoredCopies.count` found. */
export interface StoredCount {
  /** Per sent message, the stored messages that are a copy of it. */
  readonly copies: readonly number[];
  /** The stored messages that are the sent ones': a copy, or one that carries a sent Message-ID in its start (damaged). */
  readonly ours: number;
}

/** The summaries of `sent` in their LF form, one message after the other, each a piece at a time. */
export async function sentSummaries(sent: readonly Content[]): Promise<MessageSummary[]> {
  const out: MessageSummary[] = [];
  for (const message of sent) out.push(await summarize(toLf(message.inTurns())));
  return out;
}

/** A stored message read once: its summary, and how to read it now. */
interface Known {
  readonly summary: MessageSummary;
  message: StoredMessage;
  /** The SHA-256 of its LF form from an octet on, by that octet: each read of its end made once. */
  readonly ends: Map<number, Promise<string | undefined>>;
}

/** The Message-ID header line of a sent message (message.ts makes each unique), or undefined; only its header section is read. */
function messageId(sent: MessageSummary): Buffer | undefined {
  const found = /^Message-ID: <[^>\r\n]+>/im.exec((sent.header ?? sent.head).toString('latin1'));
  return found ? Buffer.from(found[0], 'latin1') : undefined;
}

/** How a server stores a message: with the line ends it came with (CRLF or LF: a Maildir others write), or with LF (Postfix, Exim). */
export type StoredLineEnds = 'any' | 'lf';

/**
 * The octets of `message` as compared with a sent message made LF: with `any`, its CRLFs made LF too;
 * with `lf`, as they are, so a line the client ended with CR CR LF (stored by an LF MTA as CR LF) stays
 * a damaged line, not a copy.
 */
const octetsOf = (message: StoredMessage, lineEnds: StoredLineEnds): AsyncIterable<Buffer> => (lineEnds === 'any' ? toLf(message.read()) : message.read());

/** The SHA-256 (hex) of `octetsOf(message)` from octet `from` on, or undefined when it cannot be read. */
async function sha256From(message: StoredMessage, lineEnds: StoredLineEnds, from: number): Promise<string | undefined> {
  const hash = createHash('sha256');
  let at = 0;
  try {
    for await (const piece of octetsOf(message, lineEnds)) {
      if (at + piece.length > from) hash.update(piece.subarray(Math.max(0, from - at)));
      at += piece.length;
    }
  } catch {
    return undefined; // gone since
  }
  return hash.digest('hex');
}

/**
 * The stored messages of one server (or Maildir), each summarized the first time its name is seen.
 * `lineEnds`: how the server stores them (StoredLineEnds). `strict`: a message that cannot be read
 * fails the count (a server's own store, which no reader moves), where by default it is left out and
 * read again next time (a Maildir a mail reader may move a file in).
 */
export class StoredCopies {
  readonly #known = new Map<string, Promise<Known | undefined>>();
  readonly #lineEnds: StoredLineEnds;
  readonly #strict: boolean;

  constructor(options: { readonly lineEnds: StoredLineEnds; readonly strict?: boolean }) {
    this.#lineEnds = options.lineEnds;
    this.#strict = options.strict ?? false;
  }

  /** How many of `stored` are a copy of each of `sent` (summaries: `sentSummaries`). */
  async count(stored: readonly StoredMessage[], sent: readonly MessageSummary[]): Promise<StoredCount> {
    // One at a time: a scenario may send a thousand messages, each read holds its pieces and a summary.
    const known: Known[] = [];
    for (const message of stored) {
      const found = await this.#summary(message);
      if (found) known.push(found);
    }
    const copies = await Promise.all(
      sent.map(async (wanted) => {
        const of: boolean[] = [];
        for (const k of known) of.push(await isSummaryCopy(k.summary, wanted, (from) => this.#endOf(k, from)));
        return of;
      }),
    );
    const ids = sent.map(messageId).filter((id): id is Buffer => id !== undefined);
    // The Message-ID anywhere in its start: in its header, or after an empty line among trace fields.
    const ours = known.filter((k, i) => ids.some((id) => k.summary.head.includes(id)) || copies.some((of) => of[i])).length;
    return { copies: copies.map((of) => of.filter(Boolean).length), ours };
  }

  /** `message` summarized, once per name; undefined when it could not be read (asked again next time), or with `strict` a rejection. */
  async #summary(message: StoredMessage): Promise<Known | undefined> {
    let known = this.#known.get(message.name);
    if (!known) {
      known = summarize(octetsOf(message, this.#lineEnds)).then(
        (summary): Known => ({ summary, message, ends: new Map() }),
        (error: unknown) => {
          this.#known.delete(message.name);
          if (this.#strict) throw new Error(`stored message ${message.name} could not be read: ${(error as Error).message}`);
          return undefined;
        },
      );
      this.#known.set(message.name, known);
    }
    const found = await known;
    if (found) found.message = message; // read from where it is now
    return found;
  }

  /** The SHA-256 of `known`'s LF form from octet `from` on, read once. */
  #endOf(known: Known, from: number): Promise<string | undefined> {
    let end = known.ends.get(from);
    if (!end) {
      end = sha256From(known.message, this.#lineEnds, from).then((sha256) => {
        if (sha256 === undefined) known.ends.delete(from); // not read: asked again next time
        return sha256;
      });
      known.ends.set(from, end);
    }
    return end;
  }
}
