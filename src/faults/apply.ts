/** Dispatch from a fault value to its effect on a proxied connection, by its kind's descriptor. */
import type { Link } from './link.js';
import { descriptorOf, scopeOf, type Fault } from './registry.js';

/**
 * A fault that acts on one connection (scope `connection` or `data`); `listener` kinds act on the
 * listener, `address` ones on the FTP data addresses (src/proxy/ftp-data.ts). Told apart at run time
 * by isSessionFault.
 */
export type SessionFault = Fault;

/** True for faults that act on one connection. */
export function isSessionFault(fault: Fault): boolean {
  const scope = scopeOf(fault);
  return scope === 'connection' || scope === 'data';
}

/** Applies a connection fault at the moment its trigger fires. */
export function applyFault(fault: SessionFault, link: Link): void {
  descriptorOf(fault.kind).apply?.(fault, link);
}

/**
 * True for a fault whose whole effect is to end the client's control connection (an RST or a FIN toward
 * it, a truncation's FIN under TLS too): a client that had already closed it when the cut came never met
 * the fault.
 */
export function cutsClientControl(fault: Fault): boolean {
  const cut = fault.kind === 'reset' || fault.kind === 'close' || fault.kind === 'truncate';
  return cut && (fault.toward ?? 'client') === 'client' && (fault.channel ?? 'control') === 'control';
}
