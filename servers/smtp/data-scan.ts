/**
 * smtp-server's DATA loop with its search done by Buffer.indexOf. SMTPStream._feedDataStream looks at
 * every body octet in JavaScript for a line starting with a dot (the end `\r\n.\r\n`, or a stuffed
 * dot), a quarter of the CPU of a 100 MiB message; indexOf finds the same `\n.` pairs natively. The
 * rest is smtp-server 3.21's method as it is (its comments shortened): test/servers/smtp-prompt.test.ts
 * checks that the method it stands in for is unchanged, and that both cut any message alike.
 */
import type { SMTPStream } from 'smtp-server/lib/smtp-stream.js';

type Done = Parameters<SMTPStream['_feedDataStream']>[1];

const END_SEQUENCE = Buffer.from('\r\n.\r\n');
const DOT_LINE = Buffer.from('.\r\n');
const LF_DOT = Buffer.from('\n.');

/** SMTPStream._feedDataStream, the same but for how it finds a dot at the start of a line. */
export function feedDataStream(this: SMTPStream, chunk: Buffer, done: Done): void {
  const dataStream = this._dataStream!;
  const last = this._lastBytes;
  if (last !== false && last !== undefined && last.length > 0) {
    chunk = Buffer.concat([last, chunk], last.length + chunk.length);
    this._lastBytes = false;
  }
  let len = chunk.length;
  // Tested on _atDataStart, not on octets seen: a first line ".." arriving alone leaves a "." that is
  // content. Otherwise TCP segmentation could end DATA early and smuggle commands into it.
  if (this._atDataStart && len >= 3 && Buffer.compare(chunk.subarray(0, 3), DOT_LINE) === 0) {
    this._endDataMode(false, chunk.subarray(3), done);
    return;
  }
  if (this._atDataStart && len >= 2 && chunk[0] === 0x2e && chunk[1] === 0x2e) {
    chunk = chunk.subarray(1);
    len--;
    this._atDataStart = false;
  }
  // A dot at i (2 <= i < len - 2) right after a LF: smtp-server's loop tests every i for this.
  for (let lf = chunk.indexOf(LF_DOT, 1); lf >= 0 && lf + 1 < len - 2; lf = chunk.indexOf(LF_DOT, lf + 1)) {
    const i = lf + 1;
    if (Buffer.compare(chunk.subarray(i - 2, i + 3), END_SEQUENCE) === 0) {
      // Everything before the terminator is content, the CRLF ending the last line included.
      const buf = chunk.subarray(0, i);
      this._countDataBytes(buf.length);
      this._endDataMode(buf, chunk.subarray(i + 3), done);
      return;
    }
    if (chunk[i + 1] === 0x2e) {
      // A stuffed dot: emit what comes before it and go on without it.
      const buf = chunk.subarray(0, i);
      this._lastBytes = false;
      this._countDataBytes(buf.length);
      if (dataStream.writable) dataStream.write(buf);
      const rest = chunk.subarray(i + 1);
      setImmediate(() => this._feedDataStream(rest, done));
      return;
    }
  }
  this._lastBytes = chunk.length < 4 ? chunk : chunk.subarray(chunk.length - 4);
  if (this._lastBytes.length >= chunk.length) return done();
  const buf = chunk.subarray(0, chunk.length - this._lastBytes.length);
  this._countDataBytes(buf.length);
  if (!dataStream.writable) return done();
  const handled = dataStream.write(buf);
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
