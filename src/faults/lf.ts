/**
 * Bare LF: what flows to the faulted side from the trigger on has its CRLF line endings turned into
 * bare LF, as some broken servers and middleboxes send. A peer must still frame the replies.
 */
import { Transform } from 'node:stream';
import type { Link } from './link.js';
import type { FaultBase } from './base.js';
import type { FaultDescriptor } from './descriptor.js';

/**
 * From the trigger on, line endings toward `toward` become bare LF (CRLF to LF). RFC 5321 §2.3.8
 * requires CRLF; a robust peer still frames the lines (RFC 5321 §4.1.1.4 on bare LF in DATA aside).
 */
export interface LfFault extends FaultBase {
  readonly kind: 'lf';
}

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
  link.shape(fault.toward ?? 'client', createLfRewriter);
}

/** The `lf` kind: its syntax, scope and effect (src/faults/registry.ts lists it). */
export const LF_DESCRIPTOR: FaultDescriptor<LfFault> = {
  kind: 'lf',
  scope: 'data',
  trigger: 'optional',
  syntax: 'lf',
  help: 'line endings turned into bare LF',
  example: 'lf after greeting',
  args: () => ({}),
  format: () => [],
  apply: applyLf,
};
