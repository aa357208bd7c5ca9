/**
 * Refuse: a server restart. Every open session is dropped and, for a while, new connections are
 * refused (the port is closed) or reset at accept.
 */
import type { Listener } from './link.js';
import type { RefuseFault } from './types.js';

/** Drops every session and refuses new ones for `ms`. */
export function applyRefuse(fault: RefuseFault, listener: Listener): void {
  listener.dropAll(fault.drop ?? 'close');
  listener.refuseFor(fault.ms, fault.mode ?? 'refuse');
}
