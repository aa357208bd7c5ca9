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

const LF = 0x0a;
const BLANK = Buffer.from('\n\n');

/** `stored` is `sent` with header fields added around the sent ones (see above); both LF-ended. */
export function isStoredCopy(stored: Buffer, sent: Buffer): boolean {
  // What the MTAs of old stored: the sent message whole, after their trace fields (and an mbox From_ line).
  if (stored.length >= sent.length && stored.subarray(stored.length - sent.length).equals(sent)) return true;
  const sentEnd = headerEnd(sent);
  const storedEnd = headerEnd(stored);
  if (sentEnd < 0 || storedEnd < 0) return false;
  if (!stored.subarray(storedEnd).equals(sent.subarray(sentEnd))) return false;
  const wanted = fields(sent.subarray(0, sentEnd));
  const kept = fields(stored.subarray(0, storedEnd));
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
