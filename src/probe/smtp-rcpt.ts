/**
 * SMTP recipient limits: `smtp.rcpt-limit`. RFC 5321 §4.5.3.1.8: a server MUST buffer at least 100
 * recipients; past its own limit it answers 452 (§4.5.3.1.10: 552 was RFC 821's mistake). Non-destructive:
 * the recipients are the probe's --rcpt, repeated, and the transaction ends with RSET, never DATA.
 *
 *   MAIL FROM:<> ─► RCPT TO:<rcpt> x 101 ─► the first 100 250? the 101st 250 or 452 ─► RSET ─► QUIT
 */
import { rfcOf } from './ids.js';
import { finding } from './finding.js';
import { startTransaction } from './smtp-mail.js';
import { annotate, closeSmtp, said, type SessionNotes } from './smtp-session.js';
import type { CheckGroup, Finding, FindingStatus, ProbeLimits, ProbeTarget } from './types.js';

/** RFC 5321 §4.5.3.1.8: the recipients a server must take in one transaction. */
export const RFC_RECIPIENTS = 100;

async function rcptLimit(target: ProbeTarget, limits: ProbeLimits, notes: SessionNotes): Promise<Finding> {
  const id = 'smtp.rcpt-limit';
  const rfc = rfcOf(id);
  // The first RCPT is startTransaction's: a refusal there is about the address, not the count (a skip).
  const started = await startTransaction(target, limits, id, notes, false);
  if (!started.ok) return started.finding;
  const { conn } = started;
  let accepted = 1;
  let status: FindingStatus = 'pass';
  let advice = '';
  for (let n = 2; n <= RFC_RECIPIENTS + 1; n++) {
    const reply = await conn.command(`RCPT TO:<${limits.rcpt}>`);
    if (reply.ok && reply.value.code === 250) {
      accepted++;
      continue;
    }
    if (n <= RFC_RECIPIENTS) {
      status = 'fail';
      advice = `Recipient ${n} (the same address as the ${accepted} accepted before it) got "${said(reply)}": RFC 5321 §4.5.3.1.8 requires at least ${RFC_RECIPIENTS} recipients per transaction; clients sending to more split them in chunks of ${RFC_RECIPIENTS}.`;
    } else if (!reply.ok) {
      status = 'fail';
      advice = `The first ${RFC_RECIPIENTS} recipients were accepted; recipient ${n} got no reply ${reply.event}: refuse recipients past a limit with 452, keeping the session.`;
    } else if (reply.value.code === 452) {
      advice = `The first ${RFC_RECIPIENTS} recipients were accepted and recipient ${n} got "${said(reply)}": a limit of ${accepted}, answered 452 as RFC 5321 §4.5.3.1.10 says.`;
    } else {
      status = 'warn';
      advice = `The first ${RFC_RECIPIENTS} recipients were accepted; recipient ${n} got "${said(reply)}": a recipient limit is answered 452 (RFC 5321 §4.5.3.1.10; a 5yz only for a site policy, and 552 is RFC 821's old mistake that clients may take as permanent).`;
    }
    break;
  }
  if (!advice)
    advice = `All ${accepted} recipients were accepted in one transaction: no limit at ${RFC_RECIPIENTS + 1} (RFC 5321 §4.5.3.1.8 asks for at least ${RFC_RECIPIENTS}).`;
  if (conn.ended === null) await conn.command('RSET');
  await closeSmtp(conn, limits);
  return finding(id, status, rfc, `${advice} (The transaction was reset before DATA: nothing delivered.)`, conn.takeTranscript(), accepted);
}

/** The recipient-limit group: `smtp.rcpt-limit`. */
export const smtpRcptGroup: CheckGroup = async (target, limits) => {
  const notes: SessionNotes = {};
  return [annotate(await rcptLimit(target, limits, notes), notes)];
};
