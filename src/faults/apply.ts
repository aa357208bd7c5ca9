/** Dispatch from a fault value to its effect on a proxied connection. */
import { applyClose } from './close.js';
import { applyCoalesce } from './coalesce.js';
import { applyDelay } from './delay.js';
import { applyLf } from './lf.js';
import type { Link } from './link.js';
import { applyReply } from './reply.js';
import { applyReset } from './reset.js';
import { applySlice } from './slice.js';
import { applyStall } from './stall.js';
import { applyThrottle } from './throttle.js';
import type { DataPortFault, Fault, LimitFault, RefuseFault } from './types.js';

/**
 * Faults that act on one connection; `refuse` and `limit` act on the listener, `dataport` on the FTP
 * data addresses (src/proxy/ftp-data.ts).
 */
export type SessionFault = Exclude<Fault, RefuseFault | LimitFault | DataPortFault>;

/** True for faults that act on one connection. */
export function isSessionFault(fault: Fault): fault is SessionFault {
  return fault.kind !== 'refuse' && fault.kind !== 'limit' && fault.kind !== 'dataport';
}

/** Applies a connection fault at the moment its trigger fires. */
export function applyFault(fault: SessionFault, link: Link): void {
  switch (fault.kind) {
    case 'reset': return applyReset(fault, link);
    case 'close': return applyClose(fault, link);
    case 'stall': return applyStall(fault, link);
    case 'delay': return applyDelay(fault, link);
    case 'throttle': return applyThrottle(fault, link);
    case 'slice': return applySlice(fault, link);
    case 'coalesce': return applyCoalesce(fault, link);
    case 'lf': return applyLf(fault, link);
    case 'reply': return applyReply(fault, link);
  }
}
