/**
 * CRLF to LF over a message, as Postfix and Exim store one, a piece at a time and never whole. Converted
 * in one go (a latin1 string and a regular expression), a 50 MiB message took 0.5-2.9 s of the runner's
 * event loop on a loaded 2-core machine, and every run in flight stood still meanwhile: an in-process
 * client's 1 s inactivity timeout fired in the middle of a transfer that kept moving. Here each piece
 * is converted by native indexOf and copy as it comes; given a Content's pieces (Content.inTurns) it
 * goes a piece (1 MiB) per turn of the event loop, shared with all such work (./turns.ts).
 */

const CRLF = Buffer.from('\r\n');
const CR = 0x0d;
const LF = 0x0a;

/** Converts slices one after another; a CR that ends a slice waits for the next one's first octet. */
class ToLf {
  #heldCr = false;

  /** Converts `slice` into `out` (room for slice.length + 1) from `at`; returns where the converted octets end. */
  add(slice: Buffer, out: Buffer, at: number): number {
    let written = at;
    let from = 0;
    if (this.#heldCr && slice.length > 0) {
      this.#heldCr = false;
      // A CRLF split across two slices is one LF; a CR followed by anything else stays.
      out[written++] = slice[0] === LF ? LF : CR;
      if (slice[0] === LF) from = 1;
    }
    for (let found = slice.indexOf(CRLF, from); found >= 0; found = slice.indexOf(CRLF, from)) {
      written += slice.copy(out, written, from, found);
      out[written++] = LF;
      from = found + 2;
    }
    let end = slice.length;
    if (end > from && slice[end - 1] === CR) {
      this.#heldCr = true;
      end--;
    }
    return written + slice.copy(out, written, from, end);
  }

  /** Writes a last held CR into `out` at `at`; returns where the octets end. */
  end(out: Buffer, at: number): number {
    if (!this.#heldCr) return at;
    this.#heldCr = false;
    out[at] = CR;
    return at + 1;
  }
}

/**
 * `pieces` with every CRLF made LF, a piece at a time (a CRLF split across two pieces too), never
 * whole. Each piece yielded is overwritten by the next: copy what is kept.
 */
export async function* toLf(pieces: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const converter = new ToLf();
  let out = Buffer.alloc(0);
  for await (const piece of pieces) {
    if (out.length < piece.length + 1) out = Buffer.allocUnsafe(piece.length + 1);
    const written = converter.add(piece, out, 0);
    if (written > 0) yield out.subarray(0, written);
  }
  // A CR held back is the last octet of a piece that came: `out` has room for it.
  const last = converter.end(out, 0);
  if (last > 0) yield out.subarray(0, last);
}
