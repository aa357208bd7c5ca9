/**
 * SMTP CHUNKING: `smtp.chunking` (RFC 3030 §2). A server that offers CHUNKING takes the message in BDAT
 * chunks, each `BDAT <size> [LAST]` followed by exactly that many octets, and MUST answer 250 to each
 * successful chunk; DATA after a BDAT in the same transaction MUST get 503. Non-destructive unless
 * `limits.send`: without it the first chunk is never followed by a LAST one, and RSET clears it.
 *
 *   EHLO: no CHUNKING ─► skip (optional extension)
 *   chunks: MAIL, RCPT ─► BDAT n (250?) ─► [--send] BDAT m LAST (250?) │ RSET
 *   mixing: MAIL, RCPT ─► BDAT n (250?) ─► DATA (503?; a 354 is left inside DATA, the connection dropped) ─► RSET ─► QUIT
 */
import type { Reply } from '../protocol/reply.js';
import type { RawConnection, Read } from './raw.js';
import { rfcOf } from './ids.js';
import { finding, skipped } from './finding.js';
import { probeHeader } from './smtp-mail.js';
import { annotate, closeSmtp, openSmtp, noSession, said, wantsFirst, type SessionNotes, type SmtpSession } from './smtp-session.js';
import type { CheckGroup, Finding, FindingStatus, ProbeLimits, ProbeTarget } from './types.js';

/** One judged step: what it adds to the advice, and how bad it is. */
type Problem = { readonly status: FindingStatus; readonly text: string };

/** Sends one BDAT chunk (the command line and its octets in one write) and reads its reply. */
async function chunk(conn: RawConnection, data: string, last: boolean): Promise<Read<Reply>> {
  const line = `BDAT ${Buffer.byteLength(data, 'latin1')}${last ? ' LAST' : ''}`;
  await conn.write(`${line}\r\n${data}`, { show: [line, `[${Buffer.byteLength(data, 'latin1')} octets of chunk data]`] });
  return conn.readReply();
}

/** MAIL FROM:<> and RCPT TO:<--rcpt> on the session; undefined when both got 250, else why not. */
async function envelope(session: SmtpSession, limits: ProbeLimits): Promise<string | undefined> {
  for (const line of ['MAIL FROM:<>', `RCPT TO:<${limits.rcpt}>`]) {
    const reply = await session.conn.command(line);
    if (reply.ok && reply.value.code === 250) continue;
    return (reply.ok ? wantsFirst(session, limits, reply.value) : undefined) ?? `${line.split(':')[0]} got "${said(reply)}"`;
  }
  return undefined;
}

/** The reply to a chunk judged: 250, as RFC 3030 §2 asks for each successful chunk. */
function judgeChunk(what: string, reply: Read<Reply>): Problem | undefined {
  if (!reply.ok) return { status: 'fail', text: `${what} got no reply ${reply.event}` };
  if (reply.value.code === 250) return undefined;
  if (reply.value.code < 300) return { status: 'warn', text: `${what} got "${said(reply)}", not the 250 RFC 3030 §2 asks for` };
  return { status: 'fail', text: `${what} was refused ("${said(reply)}") though CHUNKING is offered` };
}

/** The chunks transaction: a first chunk, then the LAST one with --send, else RSET. */
async function chunks(conn: RawConnection, limits: ProbeLimits, problems: Problem[]): Promise<string> {
  const first = await chunk(conn, probeHeader(limits.rcpt), false);
  const firstProblem = judgeChunk('The first chunk (BDAT without LAST)', first);
  if (firstProblem) problems.push(firstProblem);
  if (conn.ended !== null) return '';
  if (!limits.send || firstProblem) {
    await conn.command('RSET');
    return firstProblem ? '' : ' The first chunk got 250; without --send no LAST chunk followed: RSET cleared the transaction, nothing was delivered.';
  }
  const last = await chunk(conn, 'wireprobe test message in two BDAT chunks (--send).\r\n', true);
  const lastProblem = judgeChunk('The LAST chunk', last);
  if (lastProblem) {
    problems.push(lastProblem);
    return '';
  }
  return ` Both chunks got 250: with --send a test message to ${limits.rcpt} was delivered.`;
}

/** The mixing transaction: DATA after a BDAT must get 503; a 354 is never answered with data. */
async function mixing(session: SmtpSession, limits: ProbeLimits, problems: Problem[]): Promise<void> {
  const { conn } = session;
  const why = await envelope(session, limits);
  if (why !== undefined) {
    problems.push({ status: 'skip', text: `DATA after BDAT not checked: ${why}` });
    if (conn.ended === null) await conn.command('RSET');
    return;
  }
  const first = await chunk(conn, probeHeader(limits.rcpt), false);
  if (!first.ok || first.value.code !== 250) {
    problems.push({ status: 'skip', text: `DATA after BDAT not checked: the chunk before it got "${said(first)}"` });
    if (conn.ended === null) await conn.command('RSET');
    return;
  }
  const data = await conn.command('DATA');
  if (!data.ok) problems.push({ status: 'fail', text: `DATA after a BDAT got no reply ${data.event}` });
  else if (data.value.code === 354) {
    problems.push({
      status: 'fail',
      text: 'DATA after a BDAT in the same transaction got 354: RFC 3030 §2 requires 503 (the probe dropped the connection inside DATA: nothing delivered)',
    });
    conn.note('[probe closed the connection inside DATA: nothing delivered]');
    conn.destroy();
    return;
  } else if (data.value.code !== 503) problems.push({ status: 'warn', text: `DATA after a BDAT was refused with "${said(data)}"; RFC 3030 §2 asks for 503` });
  if (conn.ended === null) await conn.command('RSET');
}

async function chunkingCheck(target: ProbeTarget, limits: ProbeLimits, notes: SessionNotes): Promise<Finding> {
  const id = 'smtp.chunking';
  const rfc = rfcOf(id);
  const session = await openSmtp(target, limits, { auth: true, notes });
  if (!session.ok) return skipped(id, rfc, noSession(session), session);
  const { conn, caps } = session;
  if (!caps.has('CHUNKING')) {
    await closeSmtp(conn, limits);
    return skipped(id, rfc, 'Not checked: CHUNKING is not advertised (it is optional; clients then send DATA).', conn.takeTranscript());
  }
  const why = await envelope(session, limits);
  if (why !== undefined) {
    if (conn.ended === null) await conn.command('RSET');
    await closeSmtp(conn, limits);
    return skipped(id, rfc, `Not checked: ${why}.`, conn.takeTranscript());
  }
  const problems: Problem[] = [];
  const delivered = await chunks(conn, limits, problems);
  if (conn.ended === null) await mixing(session, limits, problems);
  else if (problems.length === 0)
    problems.push({ status: 'fail', text: `the server ended the session (${conn.ended}) after a chunk it answered 250: DATA after BDAT was not checked` });
  if (conn.ended === null) await closeSmtp(conn, limits);
  else conn.destroy();
  const t = conn.takeTranscript();
  const judged = problems.filter((p) => p.status !== 'skip');
  const notChecked = problems.filter((p) => p.status === 'skip').map((p) => ` ${cap(p.text)}.`);
  if (judged.length) {
    const status = judged.some((p) => p.status === 'fail') ? 'fail' : 'warn';
    return finding(id, status, rfc, `${cap(judged.map((p) => p.text).join('; '))}.${notChecked.join('')}`, t);
  }
  const mixed = notChecked.length ? notChecked.join('') : ' DATA after a BDAT in the same transaction got 503.';
  return finding(id, 'pass', rfc, `CHUNKING is offered and BDAT works (RFC 3030 §2).${delivered}${mixed}`, t);
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The CHUNKING group: `smtp.chunking`. */
export const smtpChunkingGroup: CheckGroup = async (target, limits) => {
  const notes: SessionNotes = {};
  return [annotate(await chunkingCheck(target, limits, notes), notes)];
};
