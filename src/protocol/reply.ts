/**
 * Reply reading shared by SMTP and FTP: a reply line split into code, final flag and text, and a pure
 * parser that takes whole replies (multi-line included) off the front of received text. Pure: no
 * sockets, no timers; the proxy's FtpTracker and the probe's raw client read replies through it.
 */

/** One reply: `250-a` / `250 b` lines, or FTP's `211-` ... `211 End` with unnumbered lines between. */
export interface Reply {
  /** The 3-digit code; 0 when the first line did not start with one (see `malformed`). */
  readonly code: number;
  /** Each line's text after the code and its `-`/space separator (unnumbered FTP lines as they are). */
  readonly lines: readonly string[];
  /** The lines as received, without their line endings. */
  readonly raw: readonly string[];
  /** The first line did not start with 3 digits followed by `-`, space or the line end. */
  readonly malformed: boolean;
  /** Some line ended with a bare LF instead of CRLF. */
  readonly bareLf: boolean;
}

/**
 * A parser over unread received text (latin1, one char per octet): the value and how many chars it
 * consumed, or undefined while more is needed. Pure, like basic-ftp's parseControlResponse.
 */
/**
 * A failure reply a client may go on past (View.movedOn): 4xx or 5xx, but not 421, with which the
 * server closes the session (RFC 5321 §3.8, RFC 959 §4.2): nothing the client sends after it is answered.
 */
export function passableFailure(code: number | undefined): boolean {
  return code !== undefined && code >= 400 && code !== 421;
}

export type Parser<T> = (buffer: string) => { readonly value: T; readonly consumed: number } | undefined;

/**
 * Splits a reply line: `123-text` opens a multi-line reply, `123 text` or a bare `123` is a final line
 * (RFC 959 §4.2, RFC 5321 §4.2). Anything else (`2110`, ` 211 x`, `550\tno`, text) is not a reply line.
 */
export function parseReplyLine(line: string): { code: number; final: boolean; text: string } | null {
  const m = /^(\d{3})(?:([ -])(.*))?$/s.exec(line);
  if (!m) return null;
  return { code: Number(m[1]), final: m[2] !== '-', text: m[3] ?? '' };
}

/**
 * The proxy's reading of a reply line: as parseReplyLine, but also taking what a tolerant client takes
 * (`2500` as 250 with text `0`, `250\tx` as a final 250). The proxy tracks where the client is, so it
 * reads replies as loosely as clients do; the probe judges servers, so it uses the strict reading.
 */
export function parseReplyLineLoosely(line: string): { code: number; final: boolean; text: string } | null {
  const m = /^(\d{3})([ -]?)(.*)$/s.exec(line);
  if (!m) return null;
  return { code: Number(m[1]), final: m[2] !== '-', text: m[3] ?? '' };
}

/**
 * The reply parser: a single line `ddd text` (or bare `ddd`), or a multi-line reply opened by `ddd-`
 * and ended by a line starting `ddd ` (or exactly `ddd`) with the same code; lines between may carry
 * any text (RFC 959 §4.2, RFC 5321 §4.2.1). A first line without a code is one malformed reply. Lines
 * end at LF; a CR before it is dropped.
 */
export const replyParser: Parser<Reply> = (buffer) => {
  const raw: string[] = [];
  const lines: string[] = [];
  let bareLf = false;
  let at = 0;
  let code = -1;
  for (;;) {
    const lf = buffer.indexOf('\n', at);
    if (lf === -1) return undefined;
    const crlf = lf > at && buffer[lf - 1] === '\r';
    if (!crlf) bareLf = true;
    const line = buffer.slice(at, crlf ? lf - 1 : lf);
    at = lf + 1;
    raw.push(line);
    const parsed = parseReplyLine(line);
    if (code === -1) {
      if (!parsed) return { value: { code: 0, lines: [line], raw, malformed: true, bareLf }, consumed: at };
      code = parsed.code;
    }
    // Between a multi-line reply's first and last lines any numbered line is text with its code cut off.
    lines.push(parsed ? parsed.text : line);
    if (parsed?.code === code && parsed.final) break;
  }
  return { value: { code, lines, raw, malformed: false, bareLf }, consumed: at };
};

/**
 * replyParser for one reply read as it arrives, chunk by chunk, from a buffer that only grows: it
 * remembers how far it has looked and builds the reply (replyParser) once its last line is in. Reparsing
 * from the start on every chunk made a long multi-line reply cost the square of its length: a server's
 * endless EHLO reply took over 5 s to reach the probe's 4 MiB cap on a busy machine.
 */
export function replyReader(): Parser<Reply> {
  let at = 0;
  let code = -1;
  return (buffer) => {
    for (;;) {
      const lf = buffer.indexOf('\n', at);
      if (lf === -1) return undefined;
      const parsed = parseReplyLine(buffer.slice(at, lf > at && buffer[lf - 1] === '\r' ? lf - 1 : lf));
      at = lf + 1;
      if (code === -1) {
        if (!parsed) return replyParser(buffer);
        code = parsed.code;
      }
      if (parsed?.code === code && parsed.final) return replyParser(buffer);
    }
  };
}
