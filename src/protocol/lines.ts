/**
 * Line framing over arbitrary chunking, shared by the SMTP and FTP trackers. A line ends at LF (CRLF or
 * a bare LF: replies with bare LF endings must still frame). Pure: no sockets, no timers.
 */

/** A complete line found in a chunk. */
export interface Line {
  /** The line without its CR LF or LF, as latin1 text (protocol lines are ASCII). */
  readonly text: string;
  /** Offset in the chunk just past the line's LF. */
  readonly end: number;
  /** Ended by a bare LF, not CR LF. */
  readonly bare: boolean;
}

/** Lines longer than this are cut when kept (their length still counts); protects memory. */
const MAX_KEPT = 4096;

/**
 * Accumulates a byte stream and yields complete lines with their end offsets in the chunk that
 * completed them.
 */
export class LineBuffer {
  #partial = '';

  /** The bytes of an unfinished line, as latin1 text. */
  get partial(): string {
    return this.#partial;
  }

  /** Yields each line completed inside `chunk[from, to)`. */
  *lines(chunk: Buffer, from = 0, to = chunk.length): Generator<Line> {
    let start = from;
    while (start < to) {
      const lf = chunk.indexOf(0x0a, start);
      if (lf === -1 || lf >= to) {
        this.#keep(chunk.toString('latin1', start, to));
        return;
      }
      let text = this.#partial + chunk.toString('latin1', start, lf);
      this.#partial = '';
      const bare = !text.endsWith('\r');
      if (!bare) text = text.slice(0, -1);
      start = lf + 1;
      yield { text, end: start, bare };
    }
  }

  #keep(text: string): void {
    this.#partial = (this.#partial + text).slice(0, MAX_KEPT);
  }
}
