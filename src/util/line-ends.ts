/**
 * CRLF to LF over a whole message, as Postfix and Exim store one: without blocking the event loop.
 * Converted in one go (a latin1 string and a regular expression), a 50 MiB message took 0.5-2.9 s of
 * the runner's event loop on a loaded 2-core machine, and every run in flight stood still meanwhile:
 * an in-process client's 1 s inactivity timeout fired in the middle of a transfer that kept moving.
 * Here it goes a slice (1 MiB) per turn of the event loop, shared with all such work (./turns.ts), by
 * native indexOf and copy; a message still to be made (a Content) is made a piece at a time as it is
 * converted, never whole first.
 */
import { Content } from './content.js';
import { turn } from './turns.js';

const CRLF = Buffer.from('\r\n');
const CR = 0x0d;
const LF = 0x0a;

/** Octets of input converted in one turn of the event loop (a few ms). */
const SLICE_BYTES = 1 << 20;

/** Converts slices one after another into `out`; a CR that ends a slice waits for the next one's first octet. */
class ToLf {
  written = 0;
  #heldCr = false;
  constructor(readonly out: Buffer) {}

  add(slice: Buffer): void {
    let from = 0;
    if (this.#heldCr) {
      this.#heldCr = false;
      // A CRLF split across two slices is one LF; a CR followed by anything else stays.
      this.out[this.written++] = slice[0] === LF ? LF : CR;
      if (slice[0] === LF) from = 1;
    }
    for (let at = slice.indexOf(CRLF, from); at >= 0; at = slice.indexOf(CRLF, from)) {
      this.written += slice.copy(this.out, this.written, from, at);
      this.out[this.written++] = LF;
      from = at + 2;
    }
    let end = slice.length;
    if (end > from && slice[end - 1] === CR) {
      this.#heldCr = true;
      end--;
    }
    this.written += slice.copy(this.out, this.written, from, end);
  }

  /** What was converted, a last held CR included. */
  end(): Buffer {
    if (this.#heldCr) this.out[this.written++] = CR;
    this.#heldCr = false;
    return this.out.subarray(0, this.written);
  }
}

/** `data` with every CRLF made LF (a lone CR or LF stays); `data` itself is not changed. */
export async function crlfToLf(data: Buffer | Content): Promise<Buffer> {
  const converted = new ToLf(Buffer.allocUnsafe(data instanceof Content ? data.size : data.length));
  if (data instanceof Content) {
    for await (const piece of data.inTurns()) converted.add(piece);
  } else {
    for (let from = 0; from < data.length; from += SLICE_BYTES) {
      await turn();
      converted.add(data.subarray(from, from + SLICE_BYTES));
    }
  }
  return converted.end();
}

/** Each of `messages` made LF (crlfToLf), one after the other. */
export async function crlfToLfEach(messages: readonly (Buffer | Content)[]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const message of messages) out.push(await crlfToLf(message));
  return out;
}
