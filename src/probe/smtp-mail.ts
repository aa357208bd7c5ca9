/**
 * What the transaction checks (rcpt-limit, drop-mid-data) share: opening a session and
 * starting a transaction from the null sender to the probe's recipient, up to DATA's 354 when asked,
 * with a refusal on the way turned into a skip that says why.
 */
import type { RawConnection } from './raw.js';
import { rfcOf } from './ids.js';
import { skipped } from './finding.js';
import { closeSmtp, noSession, wantsFirst, openSmtp, said, type Capabilities, type SessionNotes } from './smtp-session.js';
import type { SmtpFindingId } from './smtp-ids.js';
import type { Finding, ProbeLimits, ProbeTarget } from './types.js';

/** The probe's test message header, to its recipient (--rcpt). */
export const probeHeader = (rcpt: string): string => `From: <wireprobe@example.com>\r\nTo: <${rcpt}>\r\nSubject: wireprobe probe\r\n\r\n`;

/** A started transaction, or the finding (a skip) that says why it could not start. */
export type Started = { readonly ok: true; readonly conn: RawConnection; readonly caps: Capabilities } | { readonly ok: false; readonly finding: Finding };

/**
 * Opens a session (STARTTLS and AUTH as the other checks) and sends MAIL FROM:<> and RCPT TO:<--rcpt>,
 * then DATA when `data` is true (354 expected). Anything else ends the session politely: a skip.
 */
export async function startTransaction(target: ProbeTarget, limits: ProbeLimits, id: SmtpFindingId, notes: SessionNotes, data: boolean): Promise<Started> {
  const session = await openSmtp(target, limits, { auth: true, notes });
  if (!session.ok) return { ok: false, finding: skipped(id, rfcOf(id), noSession(session), session) };
  const { conn, caps } = session;
  const lines = ['MAIL FROM:<>', `RCPT TO:<${limits.rcpt}>`, ...(data ? ['DATA'] : [])];
  for (const line of lines) {
    const reply = await conn.command(line);
    const want = line === 'DATA' ? 354 : 250;
    if (!reply.ok || reply.value.code !== want) {
      const why = (reply.ok ? wantsFirst(session, limits, reply.value) : undefined) ?? `${line.split(':')[0]} got "${said(reply)}"`;
      if (conn.ended === null && reply.ok) await conn.command('RSET');
      await closeSmtp(conn, limits);
      return { ok: false, finding: skipped(id, rfcOf(id), `Not checked: ${why}.`, conn.takeTranscript()) };
    }
  }
  return { ok: true, conn, caps };
}
