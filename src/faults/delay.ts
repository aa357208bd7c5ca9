/** Delay: the conversation pauses for a while, then goes on with nothing lost. */
import type { Link } from './link.js';
import type { DelayFault } from './types.js';

/** Holds both directions for `ms`; a command caught at a `before` trigger is relayed afterwards. */
export function applyDelay(fault: DelayFault, link: Link): void {
  link.hold(fault.ms);
}
