/**
 * smtp/tls: what each client does with STARTTLS required. The proxy terminates TLS, so it reads the
 * conversation inside it: a clean session ends where it does in clear (nodemailer at `dot`, it closes
 * without QUIT; the others at `quit`), a fault inside TLS lands where the same fault in clear does (see
 * resets.expect.ts: after MAIL every client has pipelined its RCPT). A refused STARTTLS ends at
 * `starttls`; an RST at the 220, or a certificate the client rejects, leaves it at `tls`. Every client
 * refuses to go on in clear after a 454 and rejects the self-signed certificate when it verifies. With
 * STARTTLS stripped from the EHLO reply none sends AUTH or MAIL in clear: nodemailer (requireTLS) sends
 * STARTTLS anyway and delivers inside TLS, the others give up. Given the mock's login (the `-auth`
 * variants, AUTH required) every client ends where it does without one: the 454, or the stripped EHLO
 * reply, comes before any AUTH.
 * Measured three times with every client (`wireprobe run --suite smtp/tls --client all`): the same each time.
 */
import type { Want } from './want.js';

const COMMON: Record<string, Want> = {
  clean: ['delivered', 'quit', 'conformant'],
  'refused-454': ['reply', 'starttls', 'conformant'],
  // STARTTLS stripped from the EHLO reply: curl and smtplib close at once, swaks and msmtp QUIT first.
  stripped: ['closed', 'quit', 'conformant'],
  // With AUTH required every client is given the login and stops where it does without one, before AUTH.
  'refused-454-auth': ['reply', 'starttls', 'conformant'],
  'stripped-auth': ['closed', 'quit', 'conformant'],
  'reset-handshake': ['reset', 'tls', 'conformant'],
  'cert-rejected': ['closed', 'tls', 'conformant'],
  'reset-after-mail-inside': ['reset', 'rcpt', 'conformant'],
  'close-after-mail-inside': ['closed', 'rcpt', 'conformant'],
  'reset-before-handshake': ['reset', 'tls', 'conformant'],
  'close-before-handshake': ['closed', 'tls', 'conformant'],
  // Every client pipelines DATA behind its RCPT; none takes the bare FIN for a clean end.
  'truncate-after-rcpt-inside': ['closed', 'data', 'conformant'],
  'tls10-only': ['closed', 'tls', 'conformant'],
  // A fatal handshake_failure alert to the ClientHello: every client names it and stops (curl exit 35, swaks 29, msmtp 76).
  'alert-handshake': ['closed', 'tls', 'conformant'],
};

/** nodemailer closes without QUIT: its clean session ends at the dot's reply. */
const NODEMAILER: Record<string, Want> = {
  clean: ['delivered', 'dot', 'conformant'],
  // Node names an EOF in the middle of a handshake ECONNRESET.
  'close-before-handshake': ['reset', 'tls', 'conformant'],
  // requireTLS sends STARTTLS though the EHLO reply no longer offers it; the server grants it: delivered inside TLS.
  stripped: ['delivered', 'dot', 'conformant'],
  // It logs in inside the TLS it secured anyway: AUTH never goes in clear.
  'stripped-auth': ['delivered', 'dot', 'conformant'],
};

/**
 * curl and smtplib give up on a stripped EHLO reply without a QUIT, with the login too (curl's in its
 * config file, smtplib's in its environment).
 */
const CLOSES_AT_EHLO: Record<string, Want> = { stripped: ['closed', 'ehlo', 'conformant'], 'stripped-auth': ['closed', 'ehlo', 'conformant'] };

/** msmtp (GnuTLS) accepts the TLS 1.0 the proxy offers and delivers over it. */
const MSMTP: Record<string, Want> = { 'tls10-only': ['delivered', 'quit', 'deviates'] };

/**
 * The same for every client but nodemailer's clean end. The refused STARTTLS is the 454 each was shown:
 * nodemailer and smtplib by reply code, curl (exit 64), swaks (exit 29) and msmtp (exit 76) by exit code
 * plus the last reply the proxy showed them.
 */
export function expectTls(id: string, client: string): Want | undefined {
  const name = /^smtp\/tls\/(.+)$/.exec(id)?.[1] ?? '';
  const own = client.startsWith('nodemailer') ? NODEMAILER : client === 'msmtp' ? MSMTP : client === 'smtplib' || client === 'curl' ? CLOSES_AT_EHLO : {};
  return own[name] ?? COMMON[name];
}
