/** Throttle: a slow link. Bytes toward the faulted side flow at most `bytesPerSecond`. */
import { Transform, type TransformCallback } from 'node:stream';
import type { Link } from './link.js';
import type { FaultBase } from './base.js';
import type { FaultDescriptor } from './descriptor.js';
import { formatSize } from '../util/units.js';
import { positive, rate } from './cursor.js';

/** From the trigger on, relay toward `toward` at most `bytesPerSecond`. */
export interface ThrottleFault extends FaultBase {
  readonly kind: 'throttle';
  /** Above 0. */
  readonly bytesPerSecond: number;
}

/** Pieces are released 20 times a second, so the rate is smooth at every scale. */
const TICKS_PER_SECOND = 20;

/** A Transform that releases bytes no faster than `bytesPerSecond`, with backpressure upstream. */
export function createThrottle(bytesPerSecond: number): Transform {
  if (!(bytesPerSecond > 0)) throw new RangeError(`throttle needs a rate above 0 bytes/s, got ${bytesPerSecond}`);
  const piece = Math.max(1, Math.floor(bytesPerSecond / TICKS_PER_SECOND));
  let nextAt = 0;
  let timer: NodeJS.Timeout | undefined;
  const send = (stream: Transform, chunk: Buffer, pos: number, done: TransformCallback): void => {
    const wait = nextAt - Date.now();
    if (wait > 0) {
      timer = setTimeout(() => send(stream, chunk, pos, done), wait);
      return;
    }
    nextAt = Math.max(nextAt, Date.now());
    const end = Math.min(chunk.length, pos + piece);
    stream.push(chunk.subarray(pos, end));
    nextAt += ((end - pos) * 1000) / bytesPerSecond;
    if (end < chunk.length) send(stream, chunk, end, done);
    else done();
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      send(this, chunk, 0, done);
    },
    destroy(error, done) {
      clearTimeout(timer);
      done(error);
    },
  });
}

/** Slows what flows to the faulted side from the trigger on. */
export function applyThrottle(fault: ThrottleFault, link: Link): void {
  link.shape(fault.toward ?? 'client', createThrottle(fault.bytesPerSecond));
}

/** The `throttle` kind: its syntax, scope and effect (src/faults/registry.ts lists it). */
export const THROTTLE: FaultDescriptor<ThrottleFault> = {
  kind: 'throttle',
  scope: 'data',
  trigger: 'optional',
  syntax: 'throttle <size>/s',
  help: 'a slow link: bytes toward the faulted side at most that fast',
  example: 'throttle 2MiB/s',
  args: (c) => ({ bytesPerSecond: c.value('a rate such as 2MiB/s', rate, positive) }),
  format: (f) => [`${formatSize(f.bytesPerSecond)}/s`],
  apply: applyThrottle,
};
