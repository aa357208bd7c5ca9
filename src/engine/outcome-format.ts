/**
 * An outcome in a few characters, for verdict reasons, tables and matrices. It lives with the outcome
 * so the engine's verdicts and the reports spell it the same way without the engine importing a report.
 */
import type { Outcome } from './types.js';

/**
 * What a client saw, in a few characters: `kind@phase` (`reset@rcpt`, `hung@body`), with the code for a
 * reply (`reply 552@body`); `delivered` has no phase; `-` when there is no outcome (the run failed). A
 * connection the client closed itself (Outcome.byClient) reads `closed@greeting by the client`, as
 * `closed@greeting` alone reads as the server's FIN.
 */
export function formatOutcome(outcome: Outcome | null): string {
  if (outcome === null) return '-';
  if (outcome.kind === 'delivered') return 'delivered';
  return kindAt(outcome);
}

/** `kind@phase`, with a reply's code and the client's own close, for every kind `delivered` included. */
export function kindAt(outcome: Outcome): string {
  const code = outcome.kind === 'reply' && outcome.code !== undefined ? ` ${outcome.code}` : '';
  return `${outcome.kind}${code}@${outcome.phase}${outcome.byClient ? ' by the client' : ''}`;
}

/** formatOutcome for a verdict's reason: a connection the client closed itself says when it did. */
export function sawOutcome(outcome: Outcome): string {
  const short = formatOutcome(outcome);
  return outcome.byClient ? `${short}, on its turn` : short;
}
