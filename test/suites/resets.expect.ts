/**
 * smtp/resets: what each client does when the connection dies by RST or FIN at each point.
 * RST scenarios are `reset`, FIN scenarios `closed`, else the same.
 */
import type { Want } from './want.js';

/** What every client does, unless its own table below says otherwise. */
const COMMON: Record<string, Want> = {
  'on-connect': ['reset', 'connect', 'conformant'],
  'after-greeting': ['reset', 'greeting', 'conformant'],
  'before-ehlo-reply': ['reset', 'ehlo', 'conformant'],
  'after-ehlo': ['reset', 'ehlo', 'conformant'],
  'after-mail': ['reset', 'mail', 'conformant'],
  'before-rcpt-reply': ['reset', 'rcpt', 'conformant'],
  'after-rcpt': ['reset', 'rcpt', 'conformant'],
  'before-data-reply': ['reset', 'data', 'conformant'],
  'after-data': ['reset', 'body', 'conformant'],
  'mid-body-64k': ['reset', 'body', 'conformant'],
  'after-dot': ['reset', 'dot', 'conformant'],
  'after-dot-reply': ['delivered', 'dot', 'conformant'],
  'after-quit': ['delivered', 'quit', 'conformant'],
};

/**
 * nodemailer pipelines MAIL, RCPT and DATA (after the MAIL reply it waits for RCPT's) and closes
 * without QUIT, so faults waiting on QUIT never fire: a deviation.
 */
const NODEMAILER: Record<string, Want> = {
  'after-mail': ['reset', 'rcpt', 'conformant'],
  'after-rcpt': ['reset', 'data', 'conformant'],
  'after-quit': ['delivered', 'dot', 'deviates'],
};

/** Per client: where it differs from COMMON. */
const CLIENT_WANTS: Record<string, Record<string, Want>> = {
  nodemailer: NODEMAILER,
  'nodemailer-pool': NODEMAILER,
  curl: {},
  // swaks reports failure when the connection dies after the 250: a retry would deliver twice.
  swaks: { 'after-dot-reply': ['reset', 'dot', 'deviates'], 'after-quit': ['reset', 'quit', 'deviates'] },
  // msmtp pipelines RCPT and DATA: after RCPT's reply it already waits for DATA's.
  msmtp: { 'after-rcpt': ['reset', 'data', 'conformant'] },
  smtplib: {},
};

/** The expectation for a resets scenario id: RST scenarios are `reset`, FIN scenarios `closed`. */
export function expectResets(id: string, client: string): Want | undefined {
  const match = /^smtp\/resets\/(reset|close)-(.+)$/.exec(id);
  const name = match?.[2] ?? '';
  const want = CLIENT_WANTS[client]?.[name] ?? COMMON[name];
  if (!match || !want) return undefined;
  const kind = want[0] === 'reset' && match[1] === 'close' ? 'closed' : want[0];
  return [kind, want[1], want[2]];
}

