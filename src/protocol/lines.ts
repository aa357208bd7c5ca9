/**
 * Line framing over arbitrary chunking, shared by the SMTP and FTP trackers. A line ends at LF (CRLF or
 * a bare LF: replies with bare LF endings must still frame). Pure: no sockets, no timers.
 */

/** A complete line found in a chunk. */
export interface Line {
  /** The line without its CR LF or LF (its first 4096 octets), as latin1 text (protocol lines are ASCII). */
  readonly text: string;
  /** Offset in the chunk just past the line's LF. */
  readonly end: number;
  /** Ended by a bare LF, not CR LF. */
  readonly bare: boolean;
}

/** Lines longer than this are cut to it, in every chunking (their length still counts); protects memory. */
const MAX_KEPT = 4096;

/**
 * Accumulates a byte stream and yields complete lines with their end offsets in the chunk that
 * completed them. What it yields does not depend on how the stream was split into chunks.
 */
export class LineBuffer {
  /** The first MAX_KEPT octets of the unfinished line. */
  #partial = '';
  /** Octets of the unfinished line, all of them. */
  #partialBytes = 0;
  /** The unfinished line's last octet is a CR (kept even when the text was cut before it). */
  #endsWithCr = false;

  /** The bytes of an unfinished line (at most its first 4096), as latin1 text. */
  get partial(): string {
    return this.#partial;
  }

  /** Octets of the unfinished line, counting those cut from `partial`. */
  get partialBytes(): number {
    return this.#partialBytes;
  }

  /** Yields each line completed inside `chunk[from, to)`. */
  *lines(chunk: Buffer, from = 0, to = chunk.length): Generator<Line> {
    let start = from;
    while (start < to) {
      const lf = chunk.indexOf(0x0a, start);
      if (lf === -1 || lf >= to) {
        this.#keep(chunk, start, to);
        return;
      }
      const bare = lf > start ? chunk[lf - 1] !== 0x0d : !this.#endsWithCr;
      const length = this.#partialBytes + (lf - start) - (bare ? 0 : 1);
      const room = MAX_KEPT - this.#partial.length;
      const text = (this.#partial + chunk.toString('latin1', start, Math.min(lf, start + room))).slice(0, Math.min(length, MAX_KEPT));
      this.#partial = '';
      this.#partialBytes = 0;
      this.#endsWithCr = false;
      start = lf + 1;
      yield { text, end: start, bare };
    }
  }

  #keep(chunk: Buffer, start: number, to: number): void {
    const room = MAX_KEPT - this.#partial.length;
    if (room > 0) this.#partial += chunk.toString('latin1', start, Math.min(to, start + room));
    this.#partialBytes += to - start;
    this.#endsWithCr = chunk[to - 1] === 0x0d;
  }
}
