/**
 * smtp/resets: what each client does when the connection dies by RST or by FIN at each point.
 *
 * An RST that follows a reply waits until the client shows it read the reply (it sends its next step),
 * so at an RST the client has already moved on: after the greeting it waits for EHLO's reply. A FIN
 * goes at once, so the client is where the reply left it, or further where it may pipeline: the proxy
 * keeps observing the commands a client may send behind MAIL and RCPT (RFC 2920 §3.1) after its FIN,
 * since it cannot tell one written before the reply came from one written after, so after MAIL and
 * RCPT every client is at the next step, whichever side of the FIN its command landed.
 */
import { NA, type Want } from './want.js';

/** RST: where every client is when the RST arrives, unless CLIENT_WANTS says otherwise. */
const RESET: Record<string, Want> = {
  'on-connect': ['reset', 'connect', 'conformant'],
  'after-greeting': ['reset', 'ehlo', 'conformant'],
  'before-ehlo-reply': ['reset', 'ehlo', 'conformant'],
  'after-ehlo': ['reset', 'mail', 'conformant'],
  'after-mail': ['reset', 'rcpt', 'conformant'],
  'before-rcpt-reply': ['reset', 'rcpt', 'conformant'],
  'after-rcpt': ['reset', 'data', 'conformant'],
  'before-data-reply': ['reset', 'data', 'conformant'],
  'after-data': ['reset', 'body', 'conformant'],
  'mid-body-64k': ['reset', 'body', 'conformant'],
  'after-dot': ['reset', 'dot', 'conformant'],
  'after-dot-reply': ['delivered', 'quit', 'conformant'],
  'after-quit': ['delivered', 'quit', 'conformant'],
};

/** FIN: where every client is when the FIN arrives, unless CLIENT_WANTS says otherwise. */
const CLOSE: Record<string, Want> = {
  'on-connect': ['closed', 'connect', 'conformant'],
  'after-greeting': ['closed', 'greeting', 'conformant'],
  'before-ehlo-reply': ['closed', 'ehlo', 'conformant'],
  'after-ehlo': ['closed', 'ehlo', 'conformant'],
  'after-mail': ['closed', 'rcpt', 'conformant'],
  'before-rcpt-reply': ['closed', 'rcpt', 'conformant'],
  'after-rcpt': ['closed', 'data', 'conformant'],
  'before-data-reply': ['closed', 'data', 'conformant'],
  'after-data': ['closed', 'body', 'conformant'],
  'mid-body-64k': ['closed', 'body', 'conformant'],
  'after-dot': ['closed', 'dot', 'conformant'],
  'after-dot-reply': ['delivered', 'dot', 'conformant'],
  'after-quit': ['delivered', 'quit', 'conformant'],
};

/**
 * nodemailer closes without QUIT: after the 250 it sends nothing, and faults waiting on QUIT never
 * fire, a deviation.
 */
const NODEMAILER = {
  reset: { 'after-dot-reply': ['delivered', 'dot', 'conformant'], 'after-quit': ['delivered', 'dot', 'deviates'] },
  close: { 'after-quit': ['delivered', 'dot', 'deviates'] },
} as const satisfies Record<'reset' | 'close', Record<string, Want>>;

/** Per client and fault: where it differs from RESET or CLOSE. */
const CLIENT_WANTS: Record<string, Record<'reset' | 'close', Record<string, Want>>> = {
  nodemailer: NODEMAILER,
  'nodemailer-pool': NODEMAILER,
  curl: { reset: {}, close: {} },
  // swaks reports failure when the connection dies after the 250, at QUIT: a retry would deliver twice.
  swaks: {
    reset: { 'after-dot-reply': ['reset', 'quit', 'deviates'], 'after-quit': ['reset', 'quit', 'deviates'] },
    close: { 'after-dot-reply': ['closed', 'dot', 'deviates'], 'after-quit': ['closed', 'quit', 'deviates'] },
  },
  msmtp: { reset: {}, close: {} },
  smtplib: { reset: {}, close: {} },
  // Opt-in (not in test/suites.test.ts's matrix; test/clients/postfix-relay.test.ts runs some cells).
  // Measured: a deferral is retried once through the same fault, so a 250 lost after the data is two copies.
  'postfix-relay': {
    reset: { 'after-dot': ['reset', 'dot', 'deviates'] },
    // It sends QUIT as soon as the 250 is in, before the FIN: at QUIT. Measured 5 runs of the suite alike.
    close: { 'after-dot': ['closed', 'dot', 'deviates'], 'after-dot-reply': ['delivered', 'quit', 'conformant'] },
  },
};

/** The expectation for a resets scenario id and client. */
export function expectResets(id: string, client: string): Want | undefined {
  const match = /^smtp\/resets\/(reset|close)-(.+)$/.exec(id);
  if (!match) return undefined;
  const fault = match[1] as 'reset' | 'close';
  const name = match[2]!;
  // No client here sends BDAT (Postfix's relay client neither): the BDAT scenarios are n/a, never a pass.
  if (name.startsWith('bdat-')) return NA;
  return CLIENT_WANTS[client]?.[fault][name] ?? (fault === 'reset' ? RESET : CLOSE)[name];
}
