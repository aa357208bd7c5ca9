/**
 * What the MTA-as-client adapters (postfix-relay, exim-relay) share, whatever the MTA: a job relayed
 * by a private MTA instance to the proxy as its smarthost, each delivery attempt read from the MTA's
 * log as a RelayAttempt, and one retry after a deferral (RFC 5321 §4.5.4.1: a deferred message is
 * retried), said in the report's detail.
 *
 *   first attempt ─► sent: ok │ bounced: its error │ deferred: retry once ─► the first attempt's error,
 *                                                                          the retry's status appended
 *
 * The report is the first attempt's (the fault's effect); what the retry delivered is what the sink
 * counts: delivered once over both attempts, or twice (a lost 250 after the data, RFC 5321 §4.5.4.1's
 * "message may be sent more than once").
 */
import type { ClientError, ClientReport } from './types.js';

/** One delivery attempt of the relayed message, as the MTA's log says it ended. */
export interface RelayAttempt {
  /** `sent`: the smarthost took it; `deferred`: to be retried (4xx, lost connection, timeout); `bounced`: a 5xx. */
  readonly status: 'sent' | 'deferred' | 'bounced';
  /** What the MTA said of it: the server's reply, or why the connection failed. */
  readonly reason: string;
}

/** A failure report unless this process is root (both MTAs switch to their own users); undefined when it is. */
export function needsRoot(client: string, why: string): ClientReport | undefined {
  return process.getuid?.() === 0 ? undefined : { ok: false, error: { code: 'EROOT', message: `${client} needs root (${why})` } };
}

/**
 * The report of a relayed message `id` whose first attempt was `first`: success when sent; the
 * attempt's error (`toError`) when bounced; when deferred, `retry` runs once and its status is appended
 * to the first attempt's error (undefined: it was stopped before it ended).
 */
export async function relayReport(
  id: string,
  first: RelayAttempt,
  toError: (attempt: RelayAttempt) => ClientError,
  retry: () => Promise<RelayAttempt | undefined>,
): Promise<ClientReport> {
  if (first.status === 'sent') return { ok: true, detail: `${id} status=sent (${first.reason})` };
  const error = toError(first);
  if (first.status === 'bounced') return { ok: false, error };
  const second = await retry();
  const retried = second ? `; retried: status=${second.status} (${second.reason})` : '';
  return { ok: false, error: { ...error, message: `${id} ${error.message}${retried}` } };
}
