/** A Buffer read as a file stream reads a file, for clients that upload it and the mock server that serves it. */
import { Readable } from 'node:stream';

/** Bytes read at a time, as fs.createReadStream does by default. */
const READ_CHUNK = 64 * 1024;

/**
 * `data` in 64 KiB chunks. One Buffer as one chunk would be one socket write that completes only when
 * all of it is in the kernel: on a slow link a socket timeout, which counts completed writes as
 * activity, would fire while the link moves.
 */
export function fileStream(data: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < data.length; at += READ_CHUNK) yield data.subarray(at, at + READ_CHUNK);
    })(),
    { objectMode: false },
  );
}
