/**
 * Coalesce: what flows to the faulted side is held and written as one segment every `ms`, so several
 * replies arrive together (a peer must not assume one reply per read, RFC 2920 §3.2).
 */
import { Transform } from 'node:stream';
import type { Link } from './link.js';
import type { FaultBase } from './base.js';
import type { FaultDescriptor } from './descriptor.js';
import { formatDuration } from '../util/units.js';
import { holding } from './held.js';

/** From the trigger on, hold what goes toward `toward` and write it as one segment every `ms`. */
export interface CoalesceFault extends FaultBase {
  readonly kind: 'coalesce';
  readonly ms: number;
}

/** A Transform that merges everything received within each `ms` window into one chunk. */
export function createCoalescer(ms: number): Transform {
  let held: Buffer[] = [];
  let octets = 0;
  let timer: NodeJS.Timeout | undefined;
  const release = (stream: Transform): void => {
    timer = undefined;
    if (held.length > 0) stream.push(Buffer.concat(held));
    held = [];
    octets = 0;
  };
  // What it holds is counted (heldOctets): a peer is owed it, though the stream's buffers are empty.
  const coalescer = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      held.push(chunk);
      octets += chunk.length;
      timer ??= setTimeout(() => release(this), ms);
      done();
    },
    flush(done) {
      clearTimeout(timer);
      release(this);
      done();
    },
    destroy(error, done) {
      clearTimeout(timer);
      done(error);
    },
  });
  return holding(coalescer, () => octets);
}

/** Merges what flows to the faulted side from the trigger on. */
export function applyCoalesce(fault: CoalesceFault, link: Link): void {
  link.shape(fault.toward ?? 'client', () => createCoalescer(fault.ms));
}

/** The `coalesce` kind: its syntax, scope and effect (src/faults/registry.ts lists it). */
export const COALESCE: FaultDescriptor<CoalesceFault> = {
  kind: 'coalesce',
  scope: 'data',
  trigger: 'optional',
  syntax: 'coalesce <duration>',
  help: 'writes merged: several replies arrive in one segment',
  example: 'coalesce 50ms',
  args: (c) => ({ ms: c.duration() }),
  format: (f) => [formatDuration(f.ms)],
  apply: applyCoalesce,
};
