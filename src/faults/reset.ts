/** RST: the peer's next read fails with ECONNRESET (Windows: WSAECONNRESET, 10054). */
import type { Link } from './link.js';
import type { FaultBase } from './base.js';
import type { FaultDescriptor } from './descriptor.js';

/** RST (`SO_LINGER 0`): the peer sees ECONNRESET, Windows' 10054. The other side gets a FIN. */
export interface ResetFault extends FaultBase {
  readonly kind: 'reset';
}

/** Resets the faulted side; a reset at a `before` trigger drops the command it caught. */
export function applyReset(fault: ResetFault, link: Link): void {
  link.swallow();
  link.reset(fault.toward ?? 'client');
}

/** The `reset` kind: its syntax, scope and effect (src/faults/registry.ts lists it). */
export const RESET: FaultDescriptor<ResetFault> = {
  kind: 'reset',
  scope: 'connection',
  trigger: 'required',
  syntax: 'reset',
  help: 'RST: the client sees "connection reset" (ECONNRESET, 10054)',
  example: 'reset after DATA +64KiB',
  args: () => ({}),
  format: () => [],
  apply: applyReset,
};
