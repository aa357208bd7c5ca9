/** Stall: nothing moves any more, in either direction, and nothing is read, so writes block. */
import type { Link } from './link.js';
import type { StallFault } from './types.js';

/** Holds the conversation for good; the caught command, if any, is never relayed. */
export function applyStall(_fault: StallFault, link: Link): void {
  link.hold();
}
