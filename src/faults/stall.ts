/** Stall: nothing moves any more, in either direction, and nothing is read, so writes block. */
import type { Link } from './link.js';
import type { FaultBase } from './base.js';
import type { FaultDescriptor } from './descriptor.js';

/** Stop forwarding and stop reading in both directions for good: the peers' writes block, reads wait. */
export interface StallFault extends FaultBase {
  readonly kind: 'stall';
}

/** Holds the conversation for good; the caught command, if any, is never relayed. */
export function applyStall(_fault: StallFault, link: Link): void {
  link.hold();
}

/** The `stall` kind: its syntax, scope and effect (src/faults/registry.ts lists it). */
export const STALL: FaultDescriptor<StallFault> = {
  kind: 'stall',
  scope: 'connection',
  trigger: 'required',
  syntax: 'stall',
  help: 'stop relaying and reading: writes block, reads wait',
  example: 'stall before reply to dot',
  args: () => ({}),
  format: () => [],
  apply: applyStall,
};
