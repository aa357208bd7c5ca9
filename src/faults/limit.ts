/**
 * Limit: at most `max` concurrent sessions, as a server's process or client limit. What a
 * connection over the limit gets mirrors real servers: a 421 then close (vsftpd, exim, Postfix per
 * client), a close with no reply, a reset, or no greeting at all while it waits (Postfix at its process
 * limit).
 */
import type { LimitFault } from './types.js';

/** What happens to a new connection. */
export type Admission = 'admit' | 'reply' | 'close' | 'reset' | 'queue';

/** Decides for a new connection, given the sessions already open. */
export function admit(fault: LimitFault, open: number): Admission {
  return open < fault.max ? 'admit' : (fault.over ?? 'reply');
}

/** The 421 a connection over the limit gets with `over: 'reply'` (RFC 5321 §3.8, §4.2.3). */
export const LIMIT_REPLY = Buffer.from('421 Too many concurrent sessions, try again later\r\n', 'latin1');
