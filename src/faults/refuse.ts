/**
 * Refuse: a server restart. Every open session is dropped and, for a while, new connections are
 * refused (the port is closed) or reset at accept.
 */
import type { Listener } from './link.js';
import type { FaultBase } from './base.js';
import type { FaultDescriptor } from './descriptor.js';
import { formatDuration } from '../util/units.js';

/**
 * A server restart: at the trigger every open session is dropped (`drop`, default `close`), and for
 * `ms` new connections are refused (`mode: 'refuse'`, the port is closed: ECONNREFUSED) or accepted
 * and reset (`mode: 'reset'`).
 */
export interface RefuseFault extends FaultBase {
  readonly kind: 'refuse';
  readonly ms: number;
  readonly mode?: 'refuse' | 'reset';
  readonly drop?: 'close' | 'reset';
}

/** Drops every session and refuses new ones for `ms`. */
export function applyRefuse(fault: RefuseFault, listener: Listener): void {
  listener.dropAll(fault.drop ?? 'close');
  listener.refuseFor(fault.ms, fault.mode ?? 'refuse');
}

/** The `refuse` kind: its syntax, scope and effect (src/faults/registry.ts lists it). */
export const REFUSE: FaultDescriptor<RefuseFault> = {
  kind: 'refuse',
  scope: 'listener',
  trigger: 'optional',
  syntax: 'refuse <duration> [refuse|reset]',
  help: 'a restart: sessions dropped, new connections refused (or reset) for a while',
  example: 'refuse 3s after RCPT',
  options: [{ word: 'drop', choices: ['close', 'reset'] }],
  optionalArg: ['mode', '"refuse", "reset"'],
  args: (c) => ({ ms: c.duration(), mode: c.pick(['refuse', 'reset'] as const) }),
  format: (f) => [formatDuration(f.ms), ...(f.mode === undefined ? [] : [f.mode])],
  onTrigger: applyRefuse,
};
