/**
 * Octets a shaper keeps to itself between its input and its output (a coalescer's window), which
 * Node's stream counts (`writableLength`, `readableLength`) do not show: what the proxy still owes a
 * peer behind it (src/proxy/outlet.ts backlog).
 */
import type { Duplex } from 'node:stream';

const HELD = Symbol('wireprobe.heldOctets');

/** A stream that tells how many octets it holds beyond its buffers. */
type Holding = Duplex & { [HELD]?: () => number };

/** Marks `stream` as holding `held()` octets of its own; returns it. */
export function holding<T extends Duplex>(stream: T, held: () => number): T {
  (stream as Holding)[HELD] = held;
  return stream;
}

/** Octets `stream` holds beyond its buffers; 0 for one that keeps none. */
export function heldOctets(stream: Duplex): number {
  return (stream as Holding)[HELD]?.() ?? 0;
}
