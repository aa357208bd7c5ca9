/**
 * smtp-server's DATA parser, chunk at a time. SMTPStream._feedDataStream looks at every body octet in
 * JavaScript, copies each chunk once more to join it to the 4 octets it held back from the one before,
 * and answers every escape dot with a setImmediate. This one finds the `\n.` pairs with Buffer.indexOf,
 * holds back at most a line-starting dot and the CR after it (and then only joins those 1-2 octets to
 * the next chunk), drops all the escape dots of a chunk at once and writes its content in one piece.
 *
 * What it makes of a message is smtp-server 3.21's, however the message is cut into chunks
 * (test/servers/smtp-data-scan.test.ts checks that against the original for any cut):
 *   - the content starting `.\r\n` is the empty message; starting `..`, its first dot is dropped;
 *   - after that, a dot at offset 2 or later right after a LF (a bare LF too) starts a line: followed
 *     by `\r\n` with `\r\n` before it, it ends the message, the CRLF before it being content; followed
 *     by a dot, it is an escape and dropped; else it is content;
 *   - the octets it counts (dataBytes, hence the SIZE limit) are the content's, escape dots excluded.
 *
 *   chunk ─► [pending 1-2 octets] + chunk ─► indexOf('\n.') … ─► content parts ─► one write (backpressure)
 *                                                                   └─ end found ─► _endDataMode(last part, rest)
 */
import type { SMTPStream } from 'smtp-server/lib/smtp-stream.js';

type Done = Parameters<SMTPStream['_feedDataStream']>[1];

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const LF_DOT = Buffer.from('\n.');

/** What the scan of one message carries from a chunk to the next. */
interface Scan {
  /** The data stream of the message scanned: a parser with another one has started a new message. */
  readonly stream: object;
  /** Whether the start of the content (`.\r\n`, `..`) is still to be looked at. */
  start: boolean;
  /** Octets scanned before the next chunk, escape dots included, a dropped leading dot not. */
  seen: number;
  /** The two octets before the next chunk, as sent (-1: none). */
  before1: number;
  before2: number;
  /** Octets not yet decided (a line-starting dot, and a CR after it), joined to the next chunk. */
  pending: Buffer | undefined;
}

const scans = new WeakMap<SMTPStream, Scan>();

/** Writes `parts` as one piece to the data stream, with its backpressure, then calls `done`. */
function emit(parser: SMTPStream, parts: readonly Buffer[], done: Done): void {
  const dataStream = parser._dataStream!;
  const content = joined(parts);
  if (!content) return done();
  parser._countDataBytes(content.length);
  if (!dataStream.writable) return done();
  const handled = dataStream.write(content);
  if (handled || dataStream.destroyed) return done();
  // A stream the application destroys never drains, it only closes.
  const onDrain = (): void => {
    dataStream.removeListener('drain', onDrain);
    dataStream.removeListener('close', onDrain);
    done();
  };
  dataStream.once('drain', onDrain);
  dataStream.once('close', onDrain);
}

/** `parts` as one buffer (no copy for one part), or undefined when they hold no octet. */
function joined(parts: readonly Buffer[]): Buffer | undefined {
  let length = 0;
  for (const part of parts) length += part.length;
  if (length === 0) return undefined;
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
}

/** SMTPStream._feedDataStream: takes one chunk of DATA content, to be installed on an SMTPStream. */
export function feedDataStream(this: SMTPStream, chunk: Buffer, done: Done): void {
  const dataStream = this._dataStream!;
  let scan = scans.get(this);
  if (scan?.stream !== dataStream) {
    scan = { stream: dataStream, start: true, seen: 0, before1: -1, before2: -1, pending: undefined };
    scans.set(this, scan);
  }
  if (scan.pending) {
    chunk = Buffer.concat([scan.pending, chunk]);
    scan.pending = undefined;
  }
  if (scan.start) {
    // `.` or `.\r` may still become `.\r\n`, the empty message; anything else decides.
    if (chunk.length < 3 && chunk[0] === DOT && (chunk.length === 1 || chunk[1] === CR)) {
      scan.pending = Buffer.from(chunk);
      return done();
    }
    scan.start = false;
    if (chunk[0] === DOT && chunk[1] === CR && chunk[2] === LF) {
      scans.delete(this);
      return this._endDataMode(false, chunk.subarray(3), done);
    }
    if (chunk[0] === DOT && chunk[1] === DOT) {
      chunk = chunk.subarray(1);
      // The escape dot is consumed content: the dot left is content, never the end.
      this._atDataStart = false;
    }
  }

  const len = chunk.length;
  const parts: Buffer[] = [];
  let from = 0; // the next content octet not yet in parts
  // Candidates: a dot right after a LF. One at 0 follows the chunk before; indexOf finds the others.
  let dot = scan.before1 === LF && chunk[0] === DOT ? 0 : dotAfterLf(chunk, 1);
  while (dot >= 0) {
    // smtp-server looks for line starts from offset 2 on: a dot at 0 or 1 is content.
    if (scan.seen + dot >= 2) {
      const next = chunk[dot + 1];
      const afterCrlf = octetBefore(chunk, scan, dot) === CR;
      if (next === undefined || (next === CR && afterCrlf && dot + 2 >= len)) {
        // What follows the dot decides: hold it back for the next chunk.
        parts.push(chunk.subarray(from, dot));
        scan.pending = Buffer.from(chunk.subarray(dot));
        // The dot follows a LF, in this chunk or as the chunk before's last octet.
        scan.before2 = octetBefore(chunk, scan, dot);
        scan.before1 = LF;
        scan.seen += dot;
        return emit(this, parts, done);
      }
      if (next === DOT) {
        parts.push(chunk.subarray(from, dot));
        from = dot + 1;
      } else if (next === CR && afterCrlf && chunk[dot + 2] === LF) {
        // The end: everything before the dot is content, the CRLF ending the last line included.
        parts.push(chunk.subarray(from, dot));
        const content = joined(parts);
        if (content) this._countDataBytes(content.length);
        scans.delete(this);
        return this._endDataMode(content ?? false, chunk.subarray(dot + 3), done);
      }
    }
    dot = dotAfterLf(chunk, dot + 1);
  }
  parts.push(chunk.subarray(from));
  scan.before2 = len >= 2 ? chunk[len - 2]! : scan.before1;
  scan.before1 = chunk[len - 1]!;
  scan.seen += len;
  emit(this, parts, done);
}

/** The offset of the first dot at `from` or later that comes right after a LF in `chunk`, or -1. */
function dotAfterLf(chunk: Buffer, from: number): number {
  const lf = chunk.indexOf(LF_DOT, from - 1);
  return lf < 0 ? -1 : lf + 1;
}

/** The octet 2 places before offset `at` of `chunk`, reaching into the chunk before (-1: none). */
function octetBefore(chunk: Buffer, scan: Scan, at: number): number {
  if (at >= 2) return chunk[at - 2]!;
  return at === 1 ? scan.before1 : scan.before2;
}
