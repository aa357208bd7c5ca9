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
/** The longest a throttle holds bytes it may already pass on: one tick. */
export const THROTTLE_TICK_MS = 1000 / TICKS_PER_SECOND;

/**
 * The burst bound: after a late timer the throttle sends what it owes at once, at most this many
 * seconds of bytes (and at least one piece). Timers late by up to this much (event-loop lag under
 * load) cost nothing; a longer pause (a stopped process) is not made up, so a burst stays bounded.
 */
const CATCH_UP_SECONDS = 1;

/** A Transform that releases bytes no faster than `bytesPerSecond`, with backpressure upstream. */
export function createThrottle(bytesPerSecond: number, now: () => number = () => performance.now()): Transform {
  if (!(bytesPerSecond > 0)) throw new RangeError(`throttle needs a rate above 0 bytes/s, got ${bytesPerSecond}`);
  const piece = Math.max(1, Math.floor(bytesPerSecond / TICKS_PER_SECOND));
  const catchUp = Math.max(piece, bytesPerSecond * CATCH_UP_SECONDS);
  // A token bucket: `tokens` bytes may go at `stamp`, and it earns the rate since, up to `catchUp`.
  // A late timer finds its lateness earned, so the average rate holds however late the timers are.
  let tokens = piece;
  let stamp: number | undefined;
  // While waiting for input (not for time) the bucket earns at most one piece more than it held, so a
  // quiet link starts like a fresh one, yet a short gap between chunks under load is not lost either.
  let idleCeiling: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const refill = (at: number): void => {
    if (stamp !== undefined) tokens = Math.min(catchUp, tokens + ((at - stamp) * bytesPerSecond) / 1000);
    stamp = at;
  };
  const send = (stream: Transform, chunk: Buffer, pos: number, done: TransformCallback): void => {
    timer = undefined;
    refill(now());
    const need = Math.min(chunk.length - pos, piece);
    if (tokens < need) {
      timer = setTimeout(() => send(stream, chunk, pos, done), ((need - tokens) * 1000) / bytesPerSecond);
      return;
    }
    const end = Math.min(chunk.length, pos + Math.floor(tokens));
    tokens -= end - pos;
    stream.push(chunk.subarray(pos, end));
    if (end < chunk.length) send(stream, chunk, end, done);
    else {
      idleCeiling = tokens + piece;
      done();
    }
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      refill(now());
      if (idleCeiling !== undefined) tokens = Math.min(tokens, idleCeiling);
      idleCeiling = undefined;
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
  link.shape(fault.toward ?? 'client', () => createThrottle(fault.bytesPerSecond));
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
