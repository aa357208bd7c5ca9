/**
 * Truncation: under TLS, a FIN with no close_notify before it. RFC 8446 §6.1 (and RFC 5246 §7.2.1):
 * each party must send close_notify before closing its write side, so an end without one is a
 * truncation attack, and a client must not take what it got so far for the whole.
 */
import type { Link } from './link.js';
import type { FaultBase } from './base.js';
import type { FaultDescriptor } from './descriptor.js';

/** A FIN on the TCP socket under the TLS session, with no close_notify; outside TLS it is a plain FIN. */
export interface TruncateFault extends FaultBase {
  readonly kind: 'truncate';
}

/** Ends the faulted side's TCP connection under its TLS session; a truncate at a `before` trigger drops the command it caught. */
export function applyTruncate(fault: TruncateFault, link: Link): void {
  link.swallow();
  link.close(fault.toward ?? 'client', 'discard', false);
}

/** The `truncate` kind: its syntax, scope and effect (src/faults/registry.ts lists it). */
export const TRUNCATE: FaultDescriptor<TruncateFault> = {
  kind: 'truncate',
  scope: 'connection',
  trigger: 'required',
  syntax: 'truncate',
  help: 'TLS: FIN without close_notify, a truncation (RFC 8446 §6.1); in clear a FIN',
  example: 'truncate after DATA +64KiB',
  args: () => ({}),
  format: () => [],
  apply: applyTruncate,
};
