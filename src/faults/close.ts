/**
 * FIN: an orderly close from the faulted side. With `then: 'abort'` the proxy stops reading too, so a
 * peer that keeps writing gets EPIPE / ECONNRESET (Windows: WSAECONNABORTED, 10053).
 */
import type { Link } from './link.js';
import type { FaultBase } from './base.js';
import type { FaultDescriptor } from './descriptor.js';

/**
 * FIN (shutdown for writing). `then: 'discard'` (default) keeps reading and discarding what the peer
 * still writes, a clean half-close; `then: 'abort'` stops reading, so the peer's next write is answered
 * by RST: the EPIPE / 10053 "connection aborted" a client gets when it keeps writing.
 */
export interface CloseFault extends FaultBase {
  readonly kind: 'close';
  readonly then?: 'discard' | 'abort';
}

/** Half-closes the faulted side; a close at a `before` trigger drops the command it caught. */
export function applyClose(fault: CloseFault, link: Link): void {
  link.swallow();
  link.close(fault.toward ?? 'client', fault.then ?? 'discard');
}

/** The `close` kind: its syntax, scope and effect (src/faults/registry.ts lists it). */
export const CLOSE: FaultDescriptor<CloseFault> = {
  kind: 'close',
  scope: 'connection',
  trigger: 'required',
  syntax: 'close [discard|abort]',
  help: 'FIN; abort: stop reading, so further writes get RST (EPIPE, 10053)',
  example: 'close abort after RCPT',
  optionalArg: ['then', '"discard", "abort"'],
  args: (c) => ({ then: c.pick(['discard', 'abort'] as const) }),
  format: (f) => (f.then === undefined ? [] : [f.then]),
  apply: applyClose,
};
