/**
 * Every fault kind, registered once: the union of their values and the descriptor of each. Parsing,
 * formatting, the proxy's dispatch and the help tables all go through here; the order here is the order
 * of the help tables and of "expected a fault kind" messages.
 */
import { ALERT, type AlertFault } from './alert.js';
import { CLOSE, type CloseFault } from './close.js';
import { COALESCE, type CoalesceFault } from './coalesce.js';
import { CORRUPT, type CorruptFault } from './corrupt.js';
import { DATAPORT, type DataPortFault } from './dataport.js';
import { DELAY, type DelayFault } from './delay.js';
import type { FaultDescriptor, Scope } from './descriptor.js';
import { LF_DESCRIPTOR, type LfFault } from './lf.js';
import { LIMIT, type LimitFault } from './limit.js';
import { RCVBUF, type RcvbufFault } from './rcvbuf.js';
import { REFUSE, type RefuseFault } from './refuse.js';
import { REPLY, type ReplyFault } from './reply.js';
import { RESET, type ResetFault } from './reset.js';
import { SLICE, type SliceFault } from './slice.js';
import { STALL, type StallFault } from './stall.js';
import { STRIP, type StripFault } from './strip.js';
import { THROTTLE, type ThrottleFault } from './throttle.js';
import { TRUNCATE, type TruncateFault } from './truncate.js';

/** Every fault the proxy knows. */
export type Fault =
  | ResetFault
  | CloseFault
  | TruncateFault
  | StallFault
  | DelayFault
  | ThrottleFault
  | SliceFault
  | CoalesceFault
  | LfFault
  | ReplyFault
  | RefuseFault
  | LimitFault
  | DataPortFault
  | CorruptFault
  | RcvbufFault
  | StripFault
  | AlertFault;

export type FaultKind = Fault['kind'];

/** One descriptor per kind; the mapped type makes a kind without one a type error. */
const REGISTRY: { readonly [K in FaultKind]: FaultDescriptor<Extract<Fault, { kind: K }>> } = {
  reset: RESET,
  close: CLOSE,
  truncate: TRUNCATE,
  stall: STALL,
  delay: DELAY,
  throttle: THROTTLE,
  slice: SLICE,
  coalesce: COALESCE,
  lf: LF_DESCRIPTOR,
  reply: REPLY,
  refuse: REFUSE,
  limit: LIMIT,
  dataport: DATAPORT,
  corrupt: CORRUPT,
  rcvbuf: RCVBUF,
  strip: STRIP,
  alert: ALERT,
};

/** Every kind, in registration order. */
export const KINDS = Object.keys(REGISTRY) as readonly FaultKind[];

/** Every descriptor, in registration order. */
export const DESCRIPTORS: readonly FaultDescriptor<Fault>[] = KINDS.map(descriptorOf);

/** The descriptor of a kind (typed over every Fault, so a value of that kind can be handed to it). */
export function descriptorOf(kind: FaultKind): FaultDescriptor<Fault> {
  return REGISTRY[kind] as FaultDescriptor<Fault>;
}

/** Where a fault acts (see Scope). */
export function scopeOf(fault: Fault): Scope {
  return descriptorOf(fault.kind).scope;
}

/**
 * Whether a fault is armed on each connection, waiting for its trigger there: every kind but the
 * listener kinds that act only at accept (`admit`) or at listen (`onListen`).
 */
export function armedOnConnection(fault: Fault): boolean {
  const d = descriptorOf(fault.kind);
  return d.scope !== 'listener' || d.onTrigger !== undefined;
}
