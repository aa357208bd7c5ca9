/**
 * Bare LF: what flows to the faulted side from the trigger on has its CRLF line endings turned into
 * bare LF, as some broken servers and middleboxes send. A peer must still frame the replies.
 */
import { Transform } from 'node:stream';
import type { Link } from './link.js';
import type { LfFault } from './types.js';

const CR = 0x0d;
const LF = 0x0a;

/** A Transform that drops every CR directly followed by LF, across chunk boundaries too. */
export function createLfRewriter(): Transform {
  let heldCr = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const out: number[] = [];
      for (const byte of chunk) {
        if (heldCr && byte !== LF) out.push(CR);
        heldCr = byte === CR;
        if (!heldCr) out.push(byte);
      }
      done(null, Buffer.from(out));
    },
    flush(done) {
      done(null, heldCr ? Buffer.from([CR]) : undefined);
    },
  });
}

/** Rewrites line endings toward the faulted side from the trigger on. */
export function applyLf(fault: LfFault, link: Link): void {
  link.shape(fault.toward ?? 'client', createLfRewriter());
}
