/**
 * The only place that turns what a client saw into an Outcome. It reads codes, never message text:
 * the client's reply code, error code, socket code and exit code, plus the wire evidence the proxy
 * recorded (how it ended the client's connection, the last reply it showed).
 *
 *   hung ─► hung    ok ─► delivered    reply code >= 400 ─► reply
 *   socket codes: ETIMEDOUT ─► timeout, ECONNREFUSED ─► refused, ECONNRESET/EPIPE ─► reset
 *   TLS rejection codes (certificate, handshake: Node's, nodemailer's ETLS, Python's SSL errors) ─► closed
 *   exit codes (per client): timeout | reply | ended | wire ─┐
 *   anything else ─► wire: RST sent ─► reset, FIN sent ─► closed, still open ─► timeout, no connection ─► refused
 *
 * A client that rejects the server's TLS (a certificate it does not trust, a failed handshake) closes
 * the connection itself: `closed`, whichever way its socket went down. An RST seen during the handshake
 * is still `reset` (socket codes and the wire are checked first), and a refused STARTTLS (454) is a `reply`.
 */
import type { ClientError, ClientReport } from '../clients/types.js';
import type { Outcome, OutcomeKind } from './types.js';

/** What the proxy saw of the client's last connection. */
export interface Wire {
  /** How the proxy ended the connection toward the client; null while it was still open. */
  readonly clientSaw: 'rst' | 'fin' | null;
  /** The code of the last reply the client was shown. */
  readonly lastReply?: number;
}

/** What the runner observed around one client run. */
export interface Observation {
  /** The client adapter's name (selects its exit-code table). */
  readonly client: string;
  /** The client's report, or `hung` when the runner's deadline had to stop it. */
  readonly report: ClientReport | 'hung';
  /** The proxy's view of the client's last session: where it stopped, body octets relayed. */
  readonly phase: string;
  readonly bytesSent: number;
  /** Undefined when the client never got a connection through. */
  readonly wire?: Wire;
  /** The client's own exit-code table (FTP adapters carry theirs); default: this file's, by name. */
  readonly exitCodes?: Readonly<Record<number, ExitMeaning>>;
}

/**
 * What an exit code says. `reply`: the client failed on a server reply (the code is the last reply it
 * was shown). `ended`: the client gave up on the session (a TLS or protocol failure): after a failure
 * reply `reply`, after an RST `reset`, else `closed` (it closed the connection itself; never a
 * timeout). `wire`: a connection failure the code does not tell apart (RST, FIN, timeout).
 */
export type ExitMeaning = 'timeout' | 'reply' | 'ended' | 'wire';

/** Exit codes of real clients, from their documentation and measured against this proxy. */
const EXIT_CODES: Readonly<Record<string, Readonly<Record<number, ExitMeaning>>>> = {
  // curl(1) EXIT CODES: 7 connect, 8 weird reply, 28 timeout, 35 TLS handshake, 52 empty reply, 55 send, 56 recv,
  // 60 peer certificate not trusted, 64 TLS required (--ssl-reqd) but STARTTLS failed, 67 login.
  curl: { 7: 'wire', 8: 'reply', 28: 'timeout', 35: 'ended', 52: 'wire', 55: 'wire', 56: 'wire', 60: 'ended', 64: 'ended', 67: 'reply' },
  // swaks(1) EXIT CODES: 2 connect, 6 closed, 21-28 the step that failed, 29 TLS (refused, handshake or certificate), 32 EHLO after TLS.
  swaks: { 2: 'wire', 6: 'wire', 21: 'reply', 22: 'reply', 23: 'reply', 24: 'reply', 25: 'reply', 26: 'reply', 27: 'reply', 28: 'reply', 29: 'ended', 32: 'reply' },
  // msmtp(1) uses sysexits.h: 65 data, 69 unavailable (a failure reply, or TLS_ECERT: a certificate it rejected),
  // 74 I/O error, 75 temporary failure, 76 protocol (also TLS_EHANDSHAKE), 77 permission.
  msmtp: { 65: 'reply', 69: 'ended', 74: 'wire', 75: 'reply', 76: 'ended', 77: 'reply' },
};

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
  'SSLCertVerificationError',
  'SSLError',
  'SSLEOFError',
]);

/**
 * Codes of a connection the server ended with a plain FIN, as the client names it: basic-ftp's
 * "Server sent FIN packet unexpectedly" (named ECLOSED by its adapter), Python's EOFError (ftplib).
 */
const CLOSED_CODES = new Set(['ECLOSED', 'EOFError']);

function fromWire(wire: Wire | undefined): OutcomeKind {
  if (!wire) return 'refused';
  if (wire.clientSaw === 'rst') return 'reset';
  if (wire.clientSaw === 'fin') return 'closed';
  return 'timeout';
}

function kindOf(table: Readonly<Record<number, ExitMeaning>> | undefined, error: ClientError, wire: Wire | undefined): { kind: OutcomeKind; code?: number } {
  if (error.responseCode !== undefined && error.responseCode >= 400) return { kind: 'reply', code: error.responseCode };
  const codes = [error.code, error.cause];
  if (codes.includes('ETIMEDOUT')) return { kind: 'timeout' };
  if (codes.includes('ECONNREFUSED')) return { kind: 'refused' };
  if (codes.some((c) => RESET_CODES.has(c ?? ''))) return { kind: 'reset' };
  if (codes.some((c) => TLS_REJECT_CODES.has(c ?? '') || CLOSED_CODES.has(c ?? ''))) return { kind: 'closed' };
  const meaning = error.exitCode === undefined ? undefined : table?.[error.exitCode];
  if (meaning === 'timeout') return { kind: 'timeout' };
  const failedReply = wire?.lastReply !== undefined && wire.lastReply >= 400;
  if ((meaning === 'reply' || meaning === 'ended') && failedReply) return { kind: 'reply', code: wire.lastReply };
  if (meaning === 'ended' && wire && wire.clientSaw !== 'rst') return { kind: 'closed' };
  // A code that says nothing (lftp's 1), and a failure reply was the last word: with nothing cut, or
  // with a FIN after it (the server said why it closed), the client failed on that reply.
  if (meaning === 'wire' && wire?.clientSaw !== 'rst' && failedReply) return { kind: 'reply', code: wire.lastReply };
  return { kind: fromWire(wire) };
}

function describe(error: ClientError): string {
  const codes = [error.exitCode === undefined ? undefined : `exit ${error.exitCode}`, error.code, error.cause, error.responseCode, error.command];
  return `${codes.filter((x) => x !== undefined).join(' ')}: ${error.message}`;
}

/** Builds the Outcome of one client run. */
export function classify(observation: Observation): Outcome {
  const { client, report, phase, bytesSent, wire } = observation;
  if (report === 'hung') return { kind: 'hung', phase, bytesSent, detail: 'stopped at the runner deadline' };
  if (report.ok) return { kind: 'delivered', phase, bytesSent, detail: report.detail };
  const { kind, code } = kindOf(observation.exitCodes ?? EXIT_CODES[client], report.error, wire);
  const where = kind === 'refused' ? 'connect' : phase;
  return { kind, phase: where, ...(code === undefined ? {} : { code }), bytesSent, detail: describe(report.error) };
}
