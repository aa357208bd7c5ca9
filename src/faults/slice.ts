/**
 * Slice: fragmentation. What flows to the faulted side is written in pieces of at most `size` bytes,
 * `gapMs` apart, so the peer reads replies split anywhere (RFC 5321 §2.4: framing is by CRLF only).
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Link } from './link.js';
import type { FaultBase } from './base.js';
import type { FaultDescriptor } from './descriptor.js';
import { formatDuration, formatSize } from '../util/units.js';

/** From the trigger on, relay toward `toward` in writes of at most `size` bytes, `gapMs` apart (default 1). */
export interface SliceFault extends FaultBase {
  readonly kind: 'slice';
  /** Above 0. */
  readonly size: number;
  readonly gapMs?: number;
}

/**
 * A Transform that re-emits each chunk as separate pieces of at most `size` bytes, `gapMs` apart. A
 * chunk is done as its last piece goes out, so the slicer holds nothing while the gap runs (the proxy
 * reads a client that then leaves as given everything, SessionEnds' turn); the next chunk's first piece
 * waits out the rest of that gap instead.
 */
export function createSlicer(size: number, gapMs = 1): Transform {
  if (!(size >= 1)) throw new RangeError(`slice needs a size of at least 1 byte, got ${size}`);
  let timer: NodeJS.Timeout | undefined;
  /** performance.now() when the last piece went out; undefined before the first. */
  let last: number | undefined;
  const send = (stream: Transform, chunk: Buffer, pos: number, done: TransformCallback): void => {
    const end = Math.min(chunk.length, pos + size);
    stream.push(chunk.subarray(pos, end));
    last = performance.now();
    if (end >= chunk.length) return done();
    timer = setTimeout(() => send(stream, chunk, end, done), gapMs);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const wait = last === undefined ? 0 : gapMs - (performance.now() - last);
      if (wait > 0) timer = setTimeout(() => send(this, chunk, 0, done), wait);
      else send(this, chunk, 0, done);
    },
    destroy(error, done) {
      clearTimeout(timer);
      done(error);
    },
  });
}

/** Fragments what flows to the faulted side from the trigger on. */
export function applySlice(fault: SliceFault, link: Link): void {
  link.shape(fault.toward ?? 'client', () => createSlicer(fault.size, fault.gapMs));
}

/** The `slice` kind: its syntax, scope and effect (src/faults/registry.ts lists it). */
export const SLICE: FaultDescriptor<SliceFault> = {
  kind: 'slice',
  scope: 'data',
  trigger: 'optional',
  syntax: 'slice <size> [gap <duration>]',
  help: 'writes fragmented into pieces of at most that size',
  example: 'slice 1 gap 5ms',
  optionalArg: ['gapMs', '"gap <duration>"'],
  args: (c) => ({ size: c.size(), gapMs: c.pick(['gap']) && c.duration() }),
  format: (f) => [formatSize(f.size), ...(f.gapMs === undefined ? [] : ['gap', formatDuration(f.gapMs)])],
  apply: applySlice,
};
