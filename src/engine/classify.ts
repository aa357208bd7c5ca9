/**
 * The only place that turns what a client saw into an Outcome. It reads codes, never message text:
 * the client's reply code, error code, socket code and exit code, plus the wire evidence the proxy
 * recorded (how it ended the client's connection, the last reply it showed).
 *
 *   hung ─► hung    ok ─► delivered    reply code >= 400 ─► reply
 *   socket codes: ETIMEDOUT ─► timeout, ECONNREFUSED ─► refused, ECONNRESET/EPIPE ─► reset
 *   TLS rejection codes (certificate, handshake, a received alert: Node's, nodemailer's ETLS, Python's SSL errors) ─► closed
 *   an exit code's meaning (the adapter's own table; no exit code: the failure's own `meaning`):
 *     timeout | reset | closed | refused ─► that kind;  reply | ended | wire ─┐
 *   anything else ─► wire: RST sent ─► reset, FIN sent ─► closed, no connection ─► refused, still open ─► timeout,
 *                          unless the client left it on its turn, owed nothing ─► closed (byClient),
 *                          or refused when it had been told a data address where nothing listens (FTP)
 *   phase: where the session stopped; a reply's: the step that reply answered (SMTP, Wire.replyPhases)
 *
 * A client that rejects the server's TLS (a certificate it does not trust, a failed handshake) closes
 * the connection itself: `closed`, whichever way its socket went down. An RST seen during the handshake
 * is still `reset` (socket codes and the wire are checked first), and a refused STARTTLS (454) is a `reply`.
 */
import type { ClientError, ClientReport, ExitCodes } from '../clients/types.js';
import type { Outcome, OutcomeKind } from './types.js';

/** What the proxy saw of the client's last connection. */
export interface Wire {
  /** How the proxy ended the connection toward the client; null while it was still open. */
  readonly clientSaw: 'rst' | 'fin' | null;
  /** The code of the last reply the client was shown. */
  readonly lastReply?: number;
  /** The client ended the connection itself, on its turn, nothing cut toward it (SessionInfo.leftOnTurn). */
  readonly leftOnTurn?: boolean;
  /**
   * FTP: the client was told a data address where nothing listens (a dataport fault, `refused` or
   * `wrong-address`): leaving on its turn after that, what it met was its data connection refused.
   */
  readonly dataRefused?: boolean;
  /** Failure codes the client was shown, each with the phase of the step its last such reply answered. */
  readonly replyPhases?: Readonly<Record<number, string>>;
}

/** What the runner observed around one client run. */
export interface Observation {
  /** The client's report, or `hung` when the runner's deadline had to stop it. */
  readonly report: ClientReport | 'hung';
  /** The proxy's view of the client's last session: where it stopped, body octets relayed. */
  readonly phase: string;
  readonly bytesSent: number;
  /** Undefined when the client never got a connection through. */
  readonly wire?: Wire;
  /** The client adapter's exit-code table (empty for a client in process). */
  readonly exitCodes: ExitCodes;
}

/** Socket codes meaning the peer's RST was seen (EPIPE: writing after the peer reset or aborted). */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * Codes of a failed TLS upgrade that was no RST (an RST has its own code, checked first): the client
 * rejected the server's certificate or handshake and closed the connection itself, or the server
 * closed it mid-handshake. Node's certificate checks (nodemailer's `cause`), nodemailer's ETLS (a 454
 * to STARTTLS carries its reply code and is a `reply`), the exception types of Python's ssl module.
 */
const TLS_REJECT_CODES = new Set([
  'ETLS',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  // No TLS record where one was due: an implicit-TLS client (RFC 8314 §3.3) shown a plaintext greeting.
  'ERR_SSL_WRONG_VERSION_NUMBER',
  // The client refused the only version offered (TLS 1.0, RFC 8996): its protocol_version alert (70) as Node names it.
  'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
  // Python's smtplib: STARTTLS required but not offered (a stripped EHLO reply); starttls() raises before sending it.
  'SMTPNotSupportedError',
  'SSLCertVerificationError',
  'SSLError',
  'SSLEOFError',
]);

/**
 * A fatal TLS alert the client received (RFC 8446 §6.2), as OpenSSL names it through Node:
 * `ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE`, `ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR`, and a few without
 * `ALERT_` (`ERR_SSL_TLSV1_UNRECOGNIZED_NAME`, `..._UNSUPPORTED_EXTENSION`). The peer refused the
 * handshake and closed: a TLS rejection, as the certificate codes above. (An alert OpenSSL has no name
 * for, and close_notify, reach Node as ECONNRESET: a reset.)
 */
const TLS_ALERT_CODE = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_(?:ALERT_)?[A-Z_]+$/;

/**
 * Codes of a connection the server ended with a plain FIN, as the client names it: basic-ftp's
 * "Server sent FIN packet unexpectedly" (named ECLOSED by its adapter), Python's EOFError (ftplib).
 */
const CLOSED_CODES = new Set(['ECLOSED', 'EOFError']);

/**
 * The connection's fate as the proxy saw it. Still open toward the client: it gave up waiting (a
 * timeout), unless it left on its turn, owed nothing: then it closed the connection itself.
 */
function fromWire(wire: Wire | undefined): { kind: OutcomeKind; byClient?: true } {
  if (!wire) return { kind: 'refused' };
  if (wire.clientSaw === 'rst') return { kind: 'reset' };
  // Left on its turn (after the 221 to its QUIT also behind the server's FIN, passed on: SessionInfo.leftOnTurn).
  if (wire.leftOnTurn) return wire.dataRefused && wire.clientSaw === null ? { kind: 'refused' } : { kind: 'closed', byClient: true };
  return { kind: wire.clientSaw === 'fin' ? 'closed' : 'timeout' };
}

function kindOf(table: ExitCodes, error: ClientError, wire: Wire | undefined): { kind: OutcomeKind; code?: number; byClient?: true } {
  if (error.responseCode !== undefined && error.responseCode >= 400) return { kind: 'reply', code: error.responseCode };
  const codes = [error.code, error.cause];
  if (codes.includes('ETIMEDOUT')) return { kind: 'timeout' };
  if (codes.includes('ECONNREFUSED')) return { kind: 'refused' };
  if (codes.some((c) => RESET_CODES.has(c ?? ''))) return { kind: 'reset' };
  if (codes.some((c) => TLS_REJECT_CODES.has(c ?? '') || TLS_ALERT_CODE.test(c ?? '') || CLOSED_CODES.has(c ?? ''))) return { kind: 'closed' };
  const meaning = error.exitCode === undefined ? error.meaning : table[error.exitCode];
  if (meaning === 'timeout' || meaning === 'reset' || meaning === 'closed' || meaning === 'refused') return { kind: meaning };
  const failedReply = wire?.lastReply !== undefined && wire.lastReply >= 400;
  if ((meaning === 'reply' || meaning === 'ended') && failedReply) return { kind: 'reply', code: wire.lastReply };
  if (meaning === 'ended' && wire && wire.clientSaw !== 'rst') return { kind: 'closed' };
  // A code that says nothing (lftp's 1), and a failure reply was the last word: with nothing cut, or
  // with a FIN after it (the server said why it closed), the client failed on that reply.
  if (meaning === 'wire' && wire?.clientSaw !== 'rst' && failedReply) return { kind: 'reply', code: wire.lastReply };
  return fromWire(wire);
}

/** The codes, then the client's words when they add something: `exit 4` alone, not `exit 4: exit 4`; no `: ` before words alone. */
export function describe(error: ClientError): string {
  const codes = [error.exitCode === undefined ? undefined : `exit ${error.exitCode}`, error.code, error.cause, error.responseCode, error.command];
  const head = codes.filter((x) => x !== undefined).join(' ');
  const words = error.message.trim();
  if (words === '' || words === head) return head;
  return head === '' ? words : `${head}: ${words}`;
}

/** Builds the Outcome of one client run. */
export function classify(observation: Observation): Outcome {
  const { report, phase, bytesSent, wire } = observation;
  if (report === 'hung') return { kind: 'hung', phase, bytesSent, detail: 'stopped at the runner deadline' };
  if (report.ok) return { kind: 'delivered', phase, bytesSent, detail: report.detail };
  const { kind, code, byClient } = kindOf(observation.exitCodes, report.error, wire);
  // A failure reply happened at the step it answered, not where the client went after it (a QUIT, an RSET).
  const where = kind === 'refused' ? 'connect' : kind === 'reply' ? (wire?.replyPhases?.[code!] ?? phase) : phase;
  return { kind, phase: where, ...(code === undefined ? {} : { code }), ...(byClient ? { byClient } : {}), bytesSent, detail: describe(report.error) };
}
