/**
 * Limit: at most `max` concurrent sessions, as a server's process or client limit. What a
 * connection over the limit gets mirrors real servers: a 421 then close (vsftpd, exim, Postfix per
 * client), a close with no reply, a reset, or no greeting at all while it waits (Postfix at its process
 * limit).
 */
import type { FaultBase } from './base.js';
import type { FaultDescriptor } from './descriptor.js';
import { int } from './cursor.js';
import type { Admission } from './link.js';

/**
 * At most `max` concurrent sessions. The rest get `421` then close (`over: 'reply'`, default), a FIN with
 * no reply at all (`close`), an RST
 * (`reset`), or wait without a greeting until a session ends (`queue`: a full listen backlog).
 * Its `at` is always `connect`.
 */
export interface LimitFault extends FaultBase {
  readonly kind: 'limit';
  readonly max: number;
  readonly over?: 'reply' | 'close' | 'reset' | 'queue';
}

export type { Admission };

/** Decides for a new connection, given the sessions already open. */
export function admit(fault: LimitFault, open: number): Admission {
  return open < fault.max ? 'admit' : (fault.over ?? 'reply');
}

/** The 421 a connection over the limit gets with `over: 'reply'` (RFC 5321 §3.8, §4.2.3). */
export const LIMIT_REPLY = Buffer.from('421 Too many concurrent sessions, try again later\r\n', 'latin1');

/** The `limit` kind: its syntax, scope and effect (src/faults/registry.ts lists it). */
export const LIMIT: FaultDescriptor<LimitFault> = {
  kind: 'limit',
  scope: 'listener',
  trigger: 'connect-only',
  syntax: 'limit <n> [reply|close|reset|queue]',
  help: 'at most n sessions; the rest get 421 and a close, a close, an RST, or no greeting',
  example: 'limit 2',
  optionalArg: ['over', '"reply", "close", "reset", "queue"'],
  args: (c) => ({ max: c.value('a count', int), over: c.pick(['reply', 'close', 'reset', 'queue'] as const) }),
  format: (f) => [String(f.max), ...(f.over === undefined ? [] : [f.over])],
  admit,
};
