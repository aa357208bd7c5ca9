/**
 * Whether a message a server stored is a copy of the one sent, both with LF line ends (./line-ends.ts).
 *
 * A server adds header fields on the way: trace fields before the others (RFC 5321 §4.4: Received,
 * Return-Path; Delivered-To at delivery), and its filters add their own where they like: a milter's
 * added field goes after the last one (Postfix, Sendmail), Exim's `headers_add` too, aiosmtpd's Mailbox
 * handler appends X-Peer, X-MailFrom and X-RcptTo. None of that damages the message. So a stored message
 * is a copy when it ends with the sent message, or when its body is the sent body octet for octet and
 * every header field sent is there, unchanged and in the same order, with only fields added around
 * them (a name and a colon each, none a sent field again; an mbox From_ line first):
 *
 *   sent:    Date, From, To, Subject, Message-ID ── LF LF ── body
 *   stored:  Received, Date, From, To, Subject, Message-ID, X-Spam-Status ── LF LF ── the same body
 *
 * A body cut short, an octet changed, a field dropped or rewritten: not a copy (a damaged one, when it
 * still carries the Message-ID).
 */

import { createHash, type Hash } from 'node:crypto';

const LF = 0x0a;
const BLANK = Buffer.from('\n\n');

/**
 * `stored` is `sent` with header fields added around the sent ones (see above); both LF-ended. The rule
 * on whole messages: the copy check itself runs `isSummaryCopy` (./stored-copies.ts), which the
 * tests hold to this one's answers.
 */
export function isStoredCopy(stored: Buffer, sent: Buffer): boolean {
  // What the MTAs of old stored: the sent message whole, after their trace fields (and an mbox From_ line).
  if (stored.length >= sent.length && stored.subarray(stored.length - sent.length).equals(sent)) return true;
  const sentEnd = headerEnd(sent);
  const storedEnd = headerEnd(stored);
  if (sentEnd < 0 || storedEnd < 0) return false;
  if (!stored.subarray(storedEnd).equals(sent.subarray(sentEnd))) return false;
  return fieldsKept(stored.subarray(0, storedEnd), sent.subarray(0, sentEnd));
}

/** The header section `stored` keeps every field of `sent`'s, unchanged and in order, with only fields added around them. */
function fieldsKept(storedHeader: Buffer, sentHeader: Buffer): boolean {
  const wanted = fields(sentHeader);
  const kept = fields(storedHeader);
  let at = 0;
  for (const [index, field] of kept.entries()) {
    if (at < wanted.length && field.equals(wanted[at]!)) at++;
    // Anything else is a field the server added: a field (name, colon), not a sent one again, not text
    // cut from one; an mbox From_ line only first.
    else if (
      !(FIELD.test(field.toString('latin1')) || (index === 0 && field.subarray(0, 5).toString('latin1') === 'From ')) ||
      wanted.some((w) => w.equals(field))
    )
      return false;
  }
  return at === wanted.length;
}

/**
 * A message as the copy check compares it without its octets, made in one pass over its LF form
 * (`summarize`): a Maildir's messages are kept this way for a whole command, where their octets (50 MiB
 * each in smtp/large) added up to the sum of all that arrived.
 */
export interface MessageSummary {
  /** Octets of its LF form. */
  readonly length: number;
  /** SHA-256 of its LF form, hex. */
  readonly sha256: string;
  /** Its header section, as `headerEnd` cuts it; undefined when it has no empty line in its first HEAD_LIMIT octets. */
  readonly header: Buffer | undefined;
  /** SHA-256 of what follows the header section (the empty line on), hex; with `header`. */
  readonly body: string | undefined;
  /**
   * Its start: its header section and HEAD_AFTER octets after it, or, without one, its first HEAD_LIMIT
   * octets. Where its Message-ID is looked for (also after an empty line among trace fields), and the
   * start of a sent message that may end it.
   */
  readonly head: Buffer;
  /** Its last TAIL octets at most: a first look at whether it ends with another message. */
  readonly tail: Buffer;
}

/** The most of a message's start looked at for its header section: one longer than this is not compared field by field. */
const HEAD_LIMIT = 256 * 1024;
/** Octets kept after the header section: a few messages' worth of trace fields or header, for the Message-ID and the suffix rule. */
const HEAD_AFTER = 16 * 1024;
/** Octets of a sent message's start looked for in a stored one's before its end is compared. */
const START = 1024;
/** The most of a message's end kept in a summary. */
const TAIL = 4096;

/** The summary of the message whose LF form `pieces` are (each piece may be overwritten once the next is asked for). */
export async function summarize(pieces: AsyncIterable<Buffer>): Promise<MessageSummary> {
  const whole = createHash('sha256');
  let length = 0;
  let head = Buffer.alloc(0);
  let tail = Buffer.alloc(0);
  /** Set once the header section is known: the body's hash, fed from then on. */
  let body: Hash | undefined;
  let header: Buffer | undefined;
  for await (const piece of pieces) {
    whole.update(piece);
    length += piece.length;
    tail = piece.length >= TAIL ? Buffer.from(piece.subarray(piece.length - TAIL)) : Buffer.concat([tail, piece]).subarray(-TAIL);
    const cap = header === undefined ? HEAD_LIMIT : header.length + HEAD_AFTER;
    const taken = Math.max(0, Math.min(piece.length, cap - head.length));
    if (taken > 0) head = Buffer.concat([head, piece.subarray(0, taken)]);
    if (body) body.update(piece);
    else if (taken > 0) {
      // Not found yet, and the start still growing: the empty line may be in what this piece added.
      const end = headerEnd(head);
      if (end >= 0) {
        header = Buffer.from(head.subarray(0, end));
        body = createHash('sha256').update(head.subarray(end)).update(piece.subarray(taken));
        // Of its start, the header section and HEAD_AFTER more are kept (once at that, it grows no more).
        if (head.length > end + HEAD_AFTER) head = Buffer.from(head.subarray(0, end + HEAD_AFTER));
      }
    }
  }
  return { length, sha256: whole.digest('hex'), header, body: body?.digest('hex'), head, tail };
}

/**
 * `isStoredCopy` on summaries: the same answer, but for a header section longer than HEAD_LIMIT, which is
 * no copy. A stored message that ends with the sent one after something other than header fields (an
 * empty line among its trace fields) is one when that something is short enough for the sent one to
 * start within the stored one's first HEAD_LIMIT octets; then `suffixSha256(from)`, the SHA-256 of the
 * stored one's LF form from octet `from` on, is asked for.
 */
export async function isSummaryCopy(
  stored: MessageSummary,
  sent: MessageSummary,
  suffixSha256: (from: number) => Promise<string | undefined>,
): Promise<boolean> {
  if (stored.header && sent.header && stored.body === sent.body && fieldsKept(stored.header, sent.header)) return true;
  if (stored.length < sent.length) return false;
  if (stored.length === sent.length) return stored.sha256 === sent.sha256;
  // First looks, before its end is read again: the sent one's start is near the stored one's, and
  // their last octets agree.
  if (!stored.head.includes(sent.head.subarray(0, START))) return false;
  const end = Math.min(sent.length, TAIL);
  if (!stored.tail.subarray(stored.tail.length - end).equals(sent.tail.subarray(sent.tail.length - end))) return false;
  return (await suffixSha256(stored.length - sent.length)) === sent.sha256;
}

/** A header field's start: its name (printable US-ASCII but the colon, RFC 5322 §3.6.8), then a colon. */
const FIELD = /^[\x21-\x39\x3b-\x7e]+:/;

/** Where the empty line that ends the header section starts (its first LF), or -1. */
function headerEnd(message: Buffer): number {
  if (message[0] === LF) return 0;
  const at = message.indexOf(BLANK);
  return at < 0 ? -1 : at + 1;
}

/** The header fields of a header section, each with its folded continuation lines (RFC 5322 §2.2.3). */
function fields(header: Buffer): Buffer[] {
  const found: Buffer[] = [];
  let start = 0;
  for (let end = header.indexOf(LF); end >= 0; end = header.indexOf(LF, end + 1)) {
    const next = header[end + 1];
    if (next === 0x20 || next === 0x09) continue; // a folded line: still the same field
    found.push(header.subarray(start, end + 1));
    start = end + 1;
  }
  if (start < header.length) found.push(header.subarray(start));
  return found;
}
