/**
 * The fault vocabulary: plain data, serialisable to JSON, shared by the proxy, the suites, the CLI's
 * short syntax (src/faults/parse.ts) and the reports. One import for the names users need: the shared
 * fields live in base.ts, each kind's fields in its own file, the union of every kind in registry.ts.
 */
export type { At, Channel, FaultBase, Step, Toward } from './base.js';
export type { Fault, FaultKind } from './registry.js';
export type { AlertFault } from './alert.js';
export type { CloseFault } from './close.js';
export type { CoalesceFault } from './coalesce.js';
export type { DataPortFault } from './dataport.js';
export type { DelayFault } from './delay.js';
export type { LfFault } from './lf.js';
export type { LimitFault } from './limit.js';
export type { RefuseFault } from './refuse.js';
export type { ReplyFault } from './reply.js';
export type { ResetFault } from './reset.js';
export type { SliceFault } from './slice.js';
export type { StallFault } from './stall.js';
export type { StripFault } from './strip.js';
export type { ThrottleFault } from './throttle.js';
export type { TruncateFault } from './truncate.js';
