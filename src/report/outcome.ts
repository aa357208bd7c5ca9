/** An outcome in a few characters, for tables and matrices. */
import type { Outcome } from '../engine/types.js';

/**
 * What a client saw, in a few characters: `kind@phase` (`reset@rcpt`, `hung@body`), with the code for a
 * reply (`reply 552@body`); `delivered` has no phase; `-` when there is no outcome (the run failed).
 */
export function formatOutcome(outcome: Outcome | null): string {
  if (outcome === null) return '-';
  if (outcome.kind === 'delivered') return 'delivered';
  const code = outcome.kind === 'reply' && outcome.code !== undefined ? ` ${outcome.code}` : '';
  return `${outcome.kind}${code}@${outcome.phase}`;
}
