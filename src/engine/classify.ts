/**
 * The only place that turns what a client saw into an Outcome. It reads codes, never message text:
 * the client's reply code, error code, socket code and exit code, plus the wire evidence the proxy
 * recorded (how it ended the client's connection, the last reply it showed).
 *
 *   hung ─► hung    ok ─► delivered    reply code >= 400 ─► reply
 *   socket codes: ETIMEDOUT ─► timeout, ECONNREFUSED ─► refused, ECONNRESET/EPIPE ─► reset
 *   exit codes (per client): timeout | reply | wire ─┐
 *   anything else ─► wire: RST sent ─► reset, FIN sent ─► closed, still open ─► timeout, no connection ─► refused
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
}

/**
 * What an exit code says. `reply`: the client failed on a server reply (the code is the last reply it
 * was shown). `wire`: a connection failure the code does not tell apart (RST, FIN, timeout).
 */
type ExitMeaning = 'timeout' | 'reply' | 'wire';

/** Exit codes of real clients, from their documentation and measured against this proxy. */
const EXIT_CODES: Readonly<Record<string, Readonly<Record<number, ExitMeaning>>>> = {
  // curl(1) EXIT CODES: 7 connect, 8 weird reply, 28 timeout, 35 TLS, 52 empty reply, 55 send, 56 recv, 64 TLS required, 67 login.
  curl: { 7: 'wire', 8: 'reply', 28: 'timeout', 35: 'wire', 52: 'wire', 55: 'wire', 56: 'wire', 64: 'reply', 67: 'reply' },
  // swaks(1) EXIT CODES: 2 connect, 6 closed, 21-28 the step that failed, 29 TLS, 32 EHLO after TLS.
  swaks: { 2: 'wire', 6: 'wire', 21: 'reply', 22: 'reply', 23: 'reply', 24: 'reply', 25: 'reply', 26: 'reply', 27: 'reply', 28: 'reply', 29: 'wire', 32: 'reply' },
  // msmtp(1) uses sysexits.h: 65 data, 69 unavailable, 74 I/O error, 75 temporary failure, 76 protocol, 77 permission.
  msmtp: { 65: 'reply', 69: 'reply', 74: 'wire', 75: 'reply', 76: 'wire', 77: 'reply' },
};

/** Socket codes meaning the peer's RST was seen (EPIPE: writing after the peer reset or aborted). */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

function fromWire(wire: Wire | undefined): OutcomeKind {
  if (!wire) return 'refused';
  if (wire.clientSaw === 'rst') return 'reset';
  if (wire.clientSaw === 'fin') return 'closed';
  return 'timeout';
}

function kindOf(client: string, error: ClientError, wire: Wire | undefined): { kind: OutcomeKind; code?: number } {
  if (error.responseCode !== undefined && error.responseCode >= 400) return { kind: 'reply', code: error.responseCode };
  const codes = [error.code, error.cause];
  if (codes.includes('ETIMEDOUT')) return { kind: 'timeout' };
  if (codes.includes('ECONNREFUSED')) return { kind: 'refused' };
  if (codes.some((c) => RESET_CODES.has(c ?? ''))) return { kind: 'reset' };
  const meaning = error.exitCode === undefined ? undefined : EXIT_CODES[client]?.[error.exitCode];
  if (meaning === 'timeout') return { kind: 'timeout' };
  if (meaning === 'reply' && wire?.lastReply !== undefined && wire.lastReply >= 400) return { kind: 'reply', code: wire.lastReply };
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
  const { kind, code } = kindOf(client, report.error, wire);
  const where = kind === 'refused' ? 'connect' : phase;
  return { kind, phase: where, ...(code === undefined ? {} : { code }), bytesSent, detail: describe(report.error) };
}
