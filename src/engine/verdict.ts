/**
 * The verdict on one run: did the client do what a conformant client does, given what it reported
 * and what the server's sink holds? "Nothing lost, nothing twice" is checked for every scenario.
 */
import type { Expect, Outcome, SinkReport, Verdict } from './types.js';
import { formatOutcome } from '../report/outcome.js';

export interface Judged {
  readonly verdict: Verdict;
  readonly reason: string;
}

export interface Evidence {
  readonly expect: Expect;
  /** A fault was configured and never fired. */
  readonly unfired: boolean;
  /** Every step (command verb, `dot`) the client sent, over all its sessions. */
  readonly sent: ReadonlySet<string>;
  readonly outcome: Outcome;
  readonly sink: SinkReport;
}

/** Judges one run. Unfired is never a pass; integrity and duplicates are checked before the rule. */
export function judge({ expect, unfired, sent, outcome, sink }: Evidence): Judged {
  const saw = formatOutcome(outcome);
  const must = expect.mustSend;
  if (unfired && must && !sent.has(must.step)) return deviates(`never sent ${must.step}, so the fault waiting on it could not fire; ${must.rule}`);
  if (unfired) return { verdict: 'unfired', reason: `the fault never fired; the client saw ${saw}` };
  if (sink.copies > 1) return deviates(`duplicate delivery: the server accepted ${sink.copies} copies`);
  if (sink.copies > 0 && !sink.intact) return deviates('the server accepted a message whose size or SHA-256 differs from what was sent');
  if (outcome.kind === 'delivered' && sink.copies === 0) return deviates('reported delivered, but the server holds no copy: the message is lost');
  if (outcome.kind === 'hung') return deviates(`never reported anything: still waiting at the deadline (${outcome.phase}); ${expect.rule}`);
  if (expect.client === 'delivers') {
    return outcome.kind === 'delivered'
      ? { verdict: 'conformant', reason: `delivered exactly once; ${expect.rule}` }
      : deviates(`did not deliver (${saw})${sink.copies === 1 ? ', yet the server holds the message: a retry delivers it twice' : ''}; ${expect.rule}`);
  }
  if (outcome.kind === 'delivered') return deviates(`reported success although the transaction was cut (${outcome.phase}); ${expect.rule}`);
  const trap = sink.copies === 1 ? ' The server did accept the message: a retry will deliver it twice (RFC 1047).' : '';
  return { verdict: 'conformant', reason: `reported the failure (${saw}); ${expect.rule}.${trap}` };
}

function deviates(reason: string): Judged {
  return { verdict: 'deviates', reason };
}
