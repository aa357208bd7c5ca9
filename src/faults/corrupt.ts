/**
 * Corrupt: one byte flipped on the way, everything else relayed as it was. The length, the framing and
 * every reply stay right, so only an integrity check (a digest of what arrived) tells: the case a
 * checksum-less transfer or a client that trusts a 250/226 never sees.
 *
 *   corrupt after DATA +N                      the message body's byte at offset N (0-based), toward the server
 *   corrupt after STOR +N channel data         the upload's byte at offset N
 *   corrupt after RETR +N channel data         the download's byte at offset N, toward the client
 */
import { Transform } from 'node:stream';
import type { At, FaultBase, Toward } from './base.js';
import type { FaultDescriptor } from './descriptor.js';
import type { Link } from './link.js';

/**
 * Flip (XOR 0xff) the first byte that flows toward `toward` once the trigger fired. Default `toward`:
 * the side receiving the data at the trigger (the server for DATA and uploads, the client for downloads
 * and listings).
 */
export interface CorruptFault extends FaultBase {
  readonly kind: 'corrupt';
}

/** Transfer verbs whose data flows from the server to the client (RFC 959 §4.1.3). */
const DOWNLOADS: ReadonlySet<string> = new Set(['RETR', 'LIST', 'NLST', 'MLSD']);

/** The side that receives the data the trigger counts. */
function receiver(at: At): Toward {
  return at !== 'connect' && 'after' in at && DOWNLOADS.has(at.after) ? 'client' : 'server';
}

/** Whether a corrupt fault has flipped its byte: shared by the corrupters one fault builds (Link.shape). */
export interface Flip {
  flipped: boolean;
}

/**
 * A Transform that flips the first byte it passes and leaves every other one as it is; `flip`: shared
 * with the corrupters built before it for the same fault, so one fault flips one byte in all.
 */
export function createCorrupter(flip: Flip = { flipped: false }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (flip.flipped || chunk.length === 0) return done(null, chunk);
      flip.flipped = true;
      const copy = Buffer.from(chunk); // the relay may still hold the original
      copy[0] = (copy[0] ?? 0) ^ 0xff;
      done(null, copy);
    },
  });
}

/** Passes what flows to the receiving side through a one-byte corrupter from the trigger on. */
export function applyCorrupt(fault: CorruptFault, link: Link): void {
  const flip: Flip = { flipped: false };
  link.shape(fault.toward ?? receiver(fault.at), () => createCorrupter(flip));
}

/** The `corrupt` kind: its syntax, scope and effect (src/faults/registry.ts lists it). */
export const CORRUPT: FaultDescriptor<CorruptFault> = {
  kind: 'corrupt',
  scope: 'data',
  trigger: 'required',
  syntax: 'corrupt',
  help: 'one byte flipped where the trigger points (after DATA +N: body offset N); only a digest tells',
  example: 'corrupt after DATA +1KiB',
  args: () => ({}),
  format: () => [],
  apply: applyCorrupt,
};
