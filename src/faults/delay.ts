/** Delay: the conversation pauses for a while, then goes on with nothing lost. */
import type { Link } from './link.js';
import type { FaultBase } from './base.js';
import type { FaultDescriptor } from './descriptor.js';
import { formatDuration } from '../util/units.js';

/** Hold both directions for `ms`, then relay on, nothing lost. */
export interface DelayFault extends FaultBase {
  readonly kind: 'delay';
  readonly ms: number;
}

/** Holds both directions for `ms`; a command caught at a `before` trigger is relayed afterwards. */
export function applyDelay(fault: DelayFault, link: Link): void {
  link.hold(fault.ms);
}

/** The `delay` kind: its syntax, scope and effect (src/faults/registry.ts lists it). */
export const DELAY: FaultDescriptor<DelayFault> = {
  kind: 'delay',
  scope: 'connection',
  trigger: 'optional',
  syntax: 'delay <duration>',
  help: 'hold both directions for a while, then relay on, nothing lost',
  example: 'delay 2s after greeting',
  args: (c) => ({ ms: c.duration() }),
  format: (f) => [formatDuration(f.ms)],
  apply: applyDelay,
};
