/**
 * FIN: an orderly close from the faulted side. With `then: 'abort'` the proxy stops reading too, so a
 * peer that keeps writing gets EPIPE / ECONNRESET (Windows: WSAECONNABORTED, 10053).
 */
import type { Link } from './link.js';
import type { CloseFault } from './types.js';

/** Half-closes the faulted side; a close at a `before` trigger drops the command it caught. */
export function applyClose(fault: CloseFault, link: Link): void {
  link.swallow();
  link.close(fault.toward ?? 'client', fault.then ?? 'discard');
}
