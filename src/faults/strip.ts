/**
 * Strip: the proxy removes one extension from the server's reply before the client sees it, as a
 * middlebox that downgrades the session does (the "STARTTLS stripping" attack, RFC 3207 §6). The reply
 * stays well-formed: the lines left keep their order, and the last one is re-terminated (`250 `, not
 * `250-`), so removing the final line closes the reply on the line before it.
 *
 *   strip STARTTLS before reply to EHLO    the EHLO reply without its STARTTLS line (RFC 5321 §4.1.1.1)
 *   strip AUTH before reply to FEAT        FTP: the FEAT reply without its AUTH TLS line (RFC 2389 §3.2)
 *
 * It acts on the server's reply caught by its `before reply to <step>` trigger, in clear: before
 * STARTTLS the proxy reads every octet whether it terminates TLS or passes it through.
 */
import type { Mark } from '../protocol/conversation.js';
import type { FaultBase } from './base.js';
import type { Cursor } from './cursor.js';
import type { FaultDescriptor } from './descriptor.js';
import type { Link } from './link.js';

/** Remove the lines naming `keyword` from the server's reply the trigger caught; the rest is relayed as it was. */
export interface StripFault extends FaultBase {
  readonly kind: 'strip';
  /** An EHLO keyword (RFC 5321 §4.1.1.1: letters, digits, `-`), upper-case, e.g. `STARTTLS`. */
  readonly keyword: string;
}

/** Words that start a trigger or an option: never taken for a keyword (`strip before ...` lacks one). */
const NOT_KEYWORDS: ReadonlySet<string> = new Set(['on', 'after', 'before', 'toward', 'connection', 'channel']);

/** Reads the keyword: `ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")` (RFC 5321 §4.1.1.1). */
function keyword(c: Cursor): string {
  const w = c.word();
  if (w === undefined || NOT_KEYWORDS.has(w) || !/^[a-z0-9][a-z0-9-]*$/.test(w)) {
    c.fail('expected an extension keyword such as STARTTLS (RFC 5321 §4.1.1.1)');
  }
  c.i++;
  return w.toUpperCase();
}

/** Whether a reply line's text (after its code) names `keyword`: its first word, in any case. */
function names(text: string, keyword: string): boolean {
  return text.trimStart().split(/\s/, 1)[0]?.toUpperCase() === keyword;
}

/**
 * The reply `code` with `lines` (each line's text after the code), CRLF-terminated: every line but the
 * last as `code-text`, the last as `code text` (bare `code` when it has no text, RFC 5321 §4.2). With
 * `unnumbered`, an inner line that starts with a space is written as it is (FTP's FEAT, RFC 2389 §3.2).
 */
export function formatReply(code: number, lines: readonly string[], unnumbered = false): Buffer {
  const out = lines.map((text, i) => {
    if (i === lines.length - 1) return text === '' ? `${code}` : `${code} ${text}`;
    return i > 0 && unnumbered && text.startsWith(' ') ? text : `${code}-${text}`;
  });
  return Buffer.from(`${out.join('\r\n')}\r\n`, 'latin1');
}

/**
 * The reply without the lines naming `keyword`, or null when it has none. The first line is never
 * removed: it is the server's name (RFC 5321 §4.1.1.1) or the reply's opening text.
 */
export function stripReply(reply: Mark & { kind: 'reply' }, keyword: string): Buffer | null {
  const kept = reply.lines.filter((text, i) => i === 0 || !names(text, keyword));
  if (kept.length === reply.lines.length) return null;
  return formatReply(reply.code, kept, 'preliminary' in reply);
}

/** Swallows the caught reply and sends the client the same reply without the keyword's lines. */
export function applyStrip(fault: StripFault, link: Link): void {
  const caught = link.caught;
  if (caught?.kind !== 'reply') return;
  const stripped = stripReply(caught, fault.keyword);
  // Nothing to remove (the server never offered it): the reply goes on as it was.
  if (stripped === null) return;
  link.swallow();
  link.inject('client', stripped);
}

/** The `strip` kind: its syntax, scope and effect (src/faults/registry.ts lists it). */
export const STRIP: FaultDescriptor<StripFault> = {
  kind: 'strip',
  scope: 'connection',
  trigger: 'reply-only',
  syntax: 'strip <keyword>',
  help: "the server's reply without the lines naming an extension (STARTTLS stripping), still well-formed",
  example: 'strip STARTTLS before reply to EHLO',
  args: (c) => ({ keyword: keyword(c) }),
  format: (f) => [f.keyword],
  apply: applyStrip,
};
