/**
 * The only place that turns what a client saw into an Outcome. It reads codes, never message text:
 * the client's reply code, its error code and the socket code underneath, plus where the proxy saw
 * the conversation stop.
 *
 *   hung ─► hung    ok ─► delivered    reply code >= 400 ─► reply
 *   ETIMEDOUT ─► timeout    ECONNREFUSED ─► refused    ECONNRESET/EPIPE ─► reset    other ─► closed
 */
import type { ClientError, ClientReport } from '../clients/types.js';
import type { Outcome, OutcomeKind } from './types.js';

/** What the runner observed around one client run. */
export interface Observation {
  /** The client's report, or `hung` when the runner's deadline had to stop it. */
  readonly report: ClientReport | 'hung';
  /** The proxy's view of the client's last session: where it stopped, body octets relayed. */
  readonly phase: string;
  readonly bytesSent: number;
}

/** Socket codes meaning the peer's RST was seen (EPIPE: writing after the peer reset or aborted). */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

function kindOf(error: ClientError): OutcomeKind {
  if (error.responseCode !== undefined && error.responseCode >= 400) return 'reply';
  if (error.code === 'ETIMEDOUT' || error.cause === 'ETIMEDOUT') return 'timeout';
  if (error.cause === 'ECONNREFUSED' || error.code === 'ECONNREFUSED') return 'refused';
  if (RESET_CODES.has(error.cause ?? '') || RESET_CODES.has(error.code ?? '')) return 'reset';
  return 'closed';
}

function describe(error: ClientError): string {
  const codes = [error.code, error.cause, error.responseCode, error.command].filter((x) => x !== undefined);
  return `${codes.join(' ')}: ${error.message}`;
}

/** Builds the Outcome of one client run. */
export function classify(observation: Observation): Outcome {
  const { report, phase, bytesSent } = observation;
  if (report === 'hung') return { kind: 'hung', phase, bytesSent, detail: 'stopped at the runner deadline' };
  if (report.ok) return { kind: 'delivered', phase, bytesSent, detail: report.detail };
  const kind = kindOf(report.error);
  const where = kind === 'refused' ? 'connect' : phase;
  const code = kind === 'reply' ? { code: report.error.responseCode } : {};
  return { kind, phase: where, ...code, bytesSent, detail: describe(report.error) };
}
