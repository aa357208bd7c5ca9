/** RST: the peer's next read fails with ECONNRESET (Windows: WSAECONNRESET, 10054). */
import type { Link } from './link.js';
import type { ResetFault } from './types.js';

/** Resets the faulted side; a reset at a `before` trigger drops the command it caught. */
export function applyReset(fault: ResetFault, link: Link): void {
  link.swallow();
  link.reset(fault.toward ?? 'client');
}
