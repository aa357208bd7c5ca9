/**
 * Alert: the client's ClientHello is answered by one fatal TLS alert, then a FIN, as a server (or a
 * middlebox) does when it shares no cipher or version with the client (handshake_failure 40,
 * protocol_version 70, insufficient_security 71) or fails inside (internal_error 80).
 *
 *   alert before handshake                      handshake_failure(40), the default
 *   alert protocol_version before handshake     by name (RFC 8446 §6.2)
 *   alert 80 before handshake                   by number (0 to 255: any octet, known or not)
 *
 * Only `before handshake`: there the proxy has not answered the ClientHello, so nothing is encrypted yet
 * and the alert is one plaintext record on the client's TCP socket. Inside an established session every
 * record is encrypted under keys Node keeps to itself, and it has no API to send an arbitrary alert.
 */
import type { FaultBase } from './base.js';
import { type Cursor, int } from './cursor.js';
import type { FaultDescriptor } from './descriptor.js';
import type { Link } from './link.js';

/** One fatal TLS alert record to the client's ClientHello, then a FIN; the server's leg never starts TLS. */
export interface AlertFault extends FaultBase {
  readonly kind: 'alert';
  /** The AlertDescription octet (RFC 8446 §6); default 40, handshake_failure. */
  readonly description?: number;
}

/**
 * The error alerts of RFC 8446 §6.2, by name, with their AlertDescription values (the enum of §6). The
 * closure alerts of §6.1 (close_notify 0, user_canceled 90) are no error: their numbers still work.
 */
export const ALERTS: Readonly<Record<string, number>> = {
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
};

/** The alert the fault sends when it names none: no shared parameters (RFC 8446 §6.2). */
export const DEFAULT_ALERT = ALERTS['handshake_failure']!;

/** RFC 8446 §5.1 ContentType alert(21); §6 AlertLevel fatal(2); legacy_record_version 0x0303. */
const CONTENT_ALERT = 21;
const LEVEL_FATAL = 2;
const LEGACY_RECORD_VERSION = 0x0303;

/** The name of an AlertDescription value (`handshake_failure`), or the bare number for one §6.2 does not name. */
export function alertName(description: number): string {
  return Object.entries(ALERTS).find(([, n]) => n === description)?.[0] ?? String(description);
}

/**
 * One plaintext TLS alert record (RFC 8446 §5.1 TLSPlaintext, §6 Alert): type 21, version 0x0303,
 * length 2, then level fatal and the description. Plaintext is right here: no keys exist before the
 * ServerHello, the way a server's own alert to a ClientHello goes out.
 */
export function alertRecord(description: number): Buffer {
  const record = Buffer.alloc(7);
  record.writeUInt8(CONTENT_ALERT, 0);
  record.writeUInt16BE(LEGACY_RECORD_VERSION, 1);
  record.writeUInt16BE(2, 3);
  record.writeUInt8(LEVEL_FATAL, 5);
  record.writeUInt8(description, 6);
  return record;
}

/** Words that start a trigger or an option: the alert was left out, not misspelt. */
const NOT_ALERTS: ReadonlySet<string> = new Set(['on', 'after', 'before', 'toward', 'connection', 'channel']);

/** Reads the optional alert: a §6.2 name or a number from 0 to 255; undefined when the trigger comes next. */
function description(c: Cursor): number | undefined {
  const w = c.word();
  if (w === undefined || NOT_ALERTS.has(w)) return undefined;
  const named = Object.hasOwn(ALERTS, w) ? ALERTS[w] : undefined;
  if (named !== undefined) return (c.i++, named);
  if (/^\d+$/.test(w)) return c.value('an alert number from 0 to 255', int, (n) => n <= 255);
  return c.fail(`unknown alert: expected a number from 0 to 255 or one of ${Object.keys(ALERTS).join(', ')} (RFC 8446 §6.2)`);
}

/** Sends the alert record on the client's TCP socket, then a FIN; nothing goes to the server but its FIN. */
export function applyAlert(fault: AlertFault, link: Link): void {
  const description = fault.description ?? DEFAULT_ALERT;
  link.swallow();
  link.inject('client', alertRecord(description), `TLS alert ${alertName(description)}(${description}), fatal`);
  link.close('client', 'discard');
}

/** The `alert` kind: its syntax, scope and effect (src/faults/registry.ts lists it). */
export const ALERT: FaultDescriptor<AlertFault> = {
  kind: 'alert',
  scope: 'connection',
  trigger: 'handshake-only',
  syntax: 'alert [<name>|<0-255>]',
  help: 'TLS: a fatal alert (default handshake_failure) to the ClientHello, then FIN (RFC 8446 §6.2)',
  example: 'alert protocol_version before handshake',
  optionalArg: ['description', 'an alert name such as "handshake_failure", "0" to "255"'],
  args: (c) => ({ description: description(c) }),
  format: (f) => (f.description === undefined ? [] : [alertName(f.description)]),
  apply: applyAlert,
};
