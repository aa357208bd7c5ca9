/**
 * SMTP connections lost inside DATA: `smtp.drop-mid-data`. Twice, each on its own transaction, the
 * probe sends a header and part of a body, never an end of data, and drops the connection: once by RST,
 * once by FIN. The server must deliver nothing (RFC 5321 §4.1.1.10: a connection closed prematurely
 * cancels the pending transaction) and must still serve the next session. Non-destructive: nothing
 * complete is ever sent, so a conforming server has nothing to deliver.
 *
 *   RST: MAIL, RCPT, DATA ─► 354 ─► header + part of a body ─► RST ─► fresh session: 220, EHLO, NOOP 250?
 *   FIN: MAIL, RCPT, DATA ─► 354 ─► header + part of a body ─► FIN ─► a bounded wait for a reply: a 2xx
 *        means it took a message that never ended (fail) ─► fresh session: 220, EHLO, NOOP 250?
 *
 * From outside, the probe cannot read the server's mailbox: it judges what comes back (a 2xx after the
 * FIN, a server that no longer answers). A server that stores the partial message without saying so
 * is invisible to it; the advice says so.
 */
import { rfcOf } from './ids.js';
import { finding, skipped } from './finding.js';
import { probeHeader, startTransaction } from './smtp-mail.js';
import { annotate, closeSmtp, openSmtp, said, type SessionNotes } from './smtp-session.js';
import type { CheckGroup, Finding, ProbeLimits, ProbeTarget } from './types.js';

/** How the probe drops the connection inside DATA. */
export type DropWay = 'RST' | 'FIN';

/** What one drop showed: nothing wrong, a problem (fail), or it could not be tried (why). */
type Dropped =
  | { readonly kind: 'ok'; readonly text: string }
  | { readonly kind: 'fail'; readonly text: string }
  | { readonly kind: 'unchecked'; readonly why: string };

/**
 * How long the RST waits after the partial body. Linux shows an RST that finds unread data in the
 * receive queue as a plain end of file once the data is read: sent at once, the "RST" would often reach
 * the server as a second FIN case.
 */
export const RST_GRACE_MS = 250;

/** The part of a body the probe sends: a header, one line, and a line cut off before its end. */
export const partialBody = (rcpt: string): string =>
  `${probeHeader(rcpt)}wireprobe: this message is cut off before its end and must never be delivered.\r\n${'x'.repeat(2_000)}`;

async function dropOnce(
  target: ProbeTarget,
  limits: ProbeLimits,
  way: DropWay,
  notes: SessionNotes,
  t: { sent: string[]; received: string[] },
): Promise<Dropped> {
  const keep = (part: { readonly sent: readonly string[]; readonly received: readonly string[] }): void => {
    t.sent.push(...part.sent.map((l) => `${way}: ${l}`));
    t.received.push(...part.received.map((l) => `${way}: ${l}`));
  };
  const started = await startTransaction(target, limits, 'smtp.drop-mid-data', notes, true);
  if (!started.ok) {
    keep(started.finding);
    return { kind: 'unchecked', why: started.finding.advice.replace(/^Not checked: /, '').replace(/\.$/, '') };
  }
  const { conn } = started;
  const body = partialBody(limits.rcpt);
  await conn.write(body, { show: `[part of a body: ${body.length} octets, no end of data]` });
  let result: Dropped;
  if (way === 'RST') {
    await new Promise((resolve) => setTimeout(resolve, RST_GRACE_MS));
    conn.note('[probe reset the connection inside DATA]');
    conn.reset();
    result = { kind: 'ok', text: 'after an RST inside DATA' };
  } else {
    conn.closeOnTimeout = false; // silence after the FIN is fine: no end of data came
    conn.note('[probe sent FIN inside DATA]');
    await conn.end();
    const reply = await conn.readReply(limits.replyTimeoutMs);
    conn.destroy();
    if (reply.ok && reply.value.code < 400)
      result = {
        kind: 'fail',
        text: `after a FIN inside DATA (no <CRLF>.<CRLF> was sent) the server answered "${said(reply)}": it took a message the client never finished; a closed connection must cancel the transaction (RFC 5321 §4.1.1.10)`,
      };
    else if (reply.ok) result = { kind: 'ok', text: `after a FIN inside DATA (answered "${said(reply)}")` };
    else result = { kind: 'ok', text: reply.end === 'timeout' ? 'after a FIN inside DATA (no reply, the session left open)' : 'after a FIN inside DATA' };
  }
  keep(conn.takeTranscript());
  // The next session: greeted, EHLO, NOOP answered. Plain text: this asks only whether the server lives.
  const next = await openSmtp(target, limits, { tls: 'never' });
  if (!next.ok) {
    keep(next);
    return {
      kind: 'fail',
      text: `${result.kind === 'fail' ? `${result.text}; and ` : ''}${result.text.split(' (')[0]} the next session failed at ${next.step}: ${next.reason}`,
    };
  }
  const noop = await next.conn.command('NOOP');
  await closeSmtp(next.conn, limits);
  keep(next.conn.takeTranscript());
  if (!noop.ok || noop.value.code !== 250) return { kind: 'fail', text: `${result.text.split(' (')[0]} the next session's NOOP got "${said(noop)}", not 250` };
  return result;
}

async function dropMidData(target: ProbeTarget, limits: ProbeLimits, notes: SessionNotes): Promise<Finding> {
  const id = 'smtp.drop-mid-data';
  const rfc = rfcOf(id);
  const t = { sent: [] as string[], received: [] as string[] };
  const rst = await dropOnce(target, limits, 'RST', notes, t);
  const fin = await dropOnce(target, limits, 'FIN', notes, t);
  const results = [rst, fin];
  const failed = results.filter((r): r is Extract<Dropped, { kind: 'fail' }> => r.kind === 'fail');
  if (failed.length)
    return finding(
      id,
      'fail',
      rfc,
      `${cap(failed.map((f) => f.text).join('; '))}. (The probe sent only part of a message to ${limits.rcpt}, never a complete one.)`,
      t,
    );
  const unchecked = results.filter((r): r is Extract<Dropped, { kind: 'unchecked' }> => r.kind === 'unchecked');
  if (unchecked.length === results.length) return skipped(id, rfc, `Not checked: ${unchecked[0]!.why}.`, t);
  const done = results.filter((r): r is Extract<Dropped, { kind: 'ok' }> => r.kind === 'ok');
  const skippedPart = unchecked.length ? ` (The other drop could not be tried: ${unchecked[0]!.why}.)` : '';
  return finding(
    id,
    'pass',
    rfc,
    `The server went on serving new sessions ${done.map((d) => d.text).join(' and ')}, and answered no 2xx to data that never ended. The probe sent only part of a message to ${limits.rcpt}, never a complete one; from outside it cannot see whether the server stored the partial message (check the mailbox if in doubt).${skippedPart}`,
    t,
  );
}

/** The drop group: `smtp.drop-mid-data`. */
export const smtpDropGroup: CheckGroup = async (target, limits) => {
  const notes: SessionNotes = {};
  return [annotate(await dropMidData(target, limits, notes), notes)];
};

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
