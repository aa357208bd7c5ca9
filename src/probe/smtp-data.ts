/**
 * SMTP size, pipelining and framing: `smtp.size`, `smtp.pipelining`, `smtp.bare-lf`. Each on its own
 * session (STARTTLS when offered, AUTH when credentials were given). Non-destructive unless
 * `limits.send`: RSET before any DATA, or a DATA that is never ended (the connection is dropped, so the
 * server discards the transaction). bare-lf runs only with `limits.send`: a vulnerable server takes a
 * look-alike as the end of data and delivers the probe's test message, which nothing can undo.
 *
 *   size:       MAIL SIZE=small (250?) ─► RSET ─► MAIL SIZE=limit+1 (552?) ─► RSET   [--send: body > limit]
 *   pipelining: "MAIL\r\nRCPT\r\nRCPT\r\nDATA\r\n" in one write ─► 4 replies, 354 last ─► drop [--send: message]
 *   bare-lf:    per look-alike of <CRLF>.<CRLF>, its own session: MAIL, RCPT, DATA ─► body ending with the
 *               look-alike, nothing after it ─► a bounded wait: silence (still inside DATA) passes ─► drop;
 *               any reply means DATA ended at the look-alike: 2xx taken (fail), or refused ─► NOOP: the
 *               session still reads commands (fail) or it ended (pass)
 */
import { visible } from '../util/terminal.js';
import type { RawConnection } from './raw.js';
import type { Reply } from '../protocol/reply.js';
import { rfcOf } from './ids.js';
import { finding, skipped } from './finding.js';
import { annotate, closeSmtp, noSession, openSmtp, said, trustedVantage, wantsFirst, type SessionNotes } from './smtp-session.js';
import { probeHeader } from './smtp-mail.js';
import type { CheckGroup, Finding, FindingStatus, ProbeLimits, ProbeTarget } from './types.js';

/** The end-of-data look-alikes of SMTP smuggling (CVE-2023-51764/51765/51766; SEC Consult). */
export const SMUGGLING_SEQUENCES = ['\n.\n', '\r\n.\n', '\n.\r\n', '\r.\r', '\r\n.\r', '\r.\r\n'] as const;

/** Largest oversized body --send will push for the size check. */
export const MAX_OVERSIZE_BODY = 10 * 1024 * 1024;

/** The test message's header, to the probe's recipient (--rcpt). */

/**
 * Leaves a session whose DATA must never end: a FIN inside DATA, so the server discards the unfinished
 * transaction; waits (bounded) for it to close its side too, so it no longer counts the session.
 */
async function abandon(conn: RawConnection, limits: ProbeLimits, note: string): Promise<void> {
  conn.note(note);
  await conn.end();
  await conn.waitForEnd(Math.min(limits.replyTimeoutMs, 1_000));
  conn.destroy();
}

/** Opens a session and starts a transaction from the null sender to the probe's recipient. */
async function transaction(
  target: ProbeTarget,
  limits: ProbeLimits,
  id: 'smtp.bare-lf' | 'smtp.size',
  notes: SessionNotes,
): Promise<{ ok: true; conn: RawConnection } | { ok: false; finding: Finding }> {
  const session = await openSmtp(target, limits, { auth: true, notes });
  if (!session.ok) return { ok: false, finding: skipped(id, rfcOf(id), noSession(session), session) };
  const { conn } = session;
  for (const line of ['MAIL FROM:<>', `RCPT TO:<${limits.rcpt}>`, 'DATA']) {
    const reply = await conn.command(line);
    const want = line === 'DATA' ? 354 : 250;
    if (!reply.ok || reply.value.code !== want) {
      const why = (reply.ok ? wantsFirst(session, limits, reply.value) : undefined) ?? `${line.split(':')[0]} got "${said(reply)}"`;
      if (line === 'DATA' && reply.ok) await conn.command('RSET');
      await closeSmtp(conn, limits);
      return { ok: false, finding: skipped(id, rfcOf(id), `Not checked: ${why}.`, conn.takeTranscript()) };
    }
  }
  return { ok: true, conn };
}

async function sizeCheck(target: ProbeTarget, limits: ProbeLimits, notes: SessionNotes): Promise<Finding> {
  const id = 'smtp.size';
  const rfc = rfcOf(id);
  const session = await openSmtp(target, limits, { auth: true, notes });
  if (!session.ok) return skipped(id, rfc, noSession(session), session);
  const { conn, caps } = session;
  const param = caps.get('SIZE');
  const limit = Number(param);
  if (param === undefined || !Number.isSafeInteger(limit) || limit <= 0) {
    await closeSmtp(conn, limits);
    return skipped(
      id,
      rfc,
      param === undefined
        ? 'Not checked: SIZE is not advertised, so clients learn a size limit only after sending the whole message; advertise it (RFC 1870).'
        : 'Not checked: SIZE is advertised without a fixed limit.',
      conn.takeTranscript(),
    );
  }
  const problems: { status: FindingStatus; text: string }[] = [];
  const small = await conn.command(`MAIL FROM:<> SIZE=${Math.min(limit, 1000)}`);
  const first = small.ok ? wantsFirst(session, limits, small.value) : undefined;
  if (first !== undefined) {
    await closeSmtp(conn, limits);
    return skipped(id, rfc, `Not checked: ${first}.`, conn.takeTranscript());
  }
  if (!small.ok) problems.push({ status: 'fail', text: `MAIL with SIZE=${Math.min(limit, 1000)} got no reply ${small.event}` });
  else if (small.value.code !== 250)
    problems.push({ status: 'warn', text: `MAIL with a small SIZE= got "${said(small)}": the advertised SIZE parameter is not accepted` });
  if (conn.ended === null) await conn.command('RSET');
  if (conn.ended === null) {
    const big = await conn.command(`MAIL FROM:<> SIZE=${limit + 1}`);
    if (!big.ok) problems.push({ status: 'fail', text: `MAIL with SIZE=${limit + 1} got no reply ${big.event}` });
    // RFC 1870 §6.1: a server *should* check the declared size at MAIL. Not checking it costs clients a
    // whole transfer, but the limit may still hold at the end of DATA (--send finds out): a warning.
    else if (big.value.code < 400)
      problems.push({
        status: 'warn',
        text: `MAIL with SIZE=${limit + 1}, over the advertised ${limit}, was accepted ("${said(big)}"): clients send the whole message before they learn it is too big; refuse it at MAIL with 552 (RFC 1870 §6.1)`,
      });
    else if (big.value.code !== 552) problems.push({ status: 'warn', text: `MAIL with SIZE=${limit + 1} got "${said(big)}"; RFC 1870 asks for 552` });
    if (conn.ended === null) await conn.command('RSET');
  }
  let body = '';
  if (limits.send && conn.ended === null && problems.every((p) => p.status !== 'fail')) {
    body = await oversizedBody(conn, limit, limits, problems);
  }
  await closeSmtp(conn, limits);
  const t = conn.takeTranscript();
  if (problems.length)
    return finding(id, problems.some((p) => p.status === 'fail') ? 'fail' : 'warn', rfc, `${cap(problems.map((p) => p.text).join('; '))}.${body}`, t, limit);
  return finding(id, 'pass', rfc, `The advertised limit of ${limit} octets is enforced at MAIL (552 for SIZE=${limit + 1}).${body}`, t, limit);
}

/** --send only: a body over the limit without SIZE=; the dot must get 552 (a 250 means it was delivered). */
async function oversizedBody(conn: RawConnection, limit: number, limits: ProbeLimits, problems: { status: FindingStatus; text: string }[]): Promise<string> {
  if (limit + 1 > MAX_OVERSIZE_BODY) return ` (An undeclared oversized body was not sent: over ${MAX_OVERSIZE_BODY} octets.)`;
  for (const line of ['MAIL FROM:<>', `RCPT TO:<${limits.rcpt}>`, 'DATA']) {
    const reply = await conn.command(line);
    if (!reply.ok || reply.value.code !== (line === 'DATA' ? 354 : 250))
      return ` (The undeclared oversized body was not sent: ${line.split(':')[0]} got "${said(reply)}".)`;
  }
  const lines = Math.ceil((limit + 1) / 78) + 1;
  const content = `${probeHeader(limits.rcpt)}${`${'x'.repeat(76)}\r\n`.repeat(lines)}`;
  await conn.write(content, { show: `[message body: ${content.length} octets, over the ${limit} limit]` });
  const end = await conn.command('.', { timeoutMs: Math.max(limits.replyTimeoutMs, 30_000) });
  if (!end.ok) problems.push({ status: 'fail', text: `an undeclared body of ${content.length} octets got no reply at its end ${end.event}` });
  else if (end.value.code < 400)
    problems.push({
      status: 'fail',
      text: `an undeclared body of ${content.length} octets, over the ${limit} limit, was accepted and delivered ("${said(end)}")`,
    });
  else if (end.value.code !== 552) problems.push({ status: 'warn', text: `an oversized body got "${said(end)}" at its end; RFC 1870 asks for 552` });
  return end.ok && end.value.code === 552 ? ` An undeclared body of ${content.length} octets got 552 at its end.` : '';
}

async function pipeliningCheck(target: ProbeTarget, limits: ProbeLimits, notes: SessionNotes): Promise<Finding> {
  const id = 'smtp.pipelining';
  const rfc = rfcOf(id);
  const session = await openSmtp(target, limits, { auth: true, notes });
  if (!session.ok) return skipped(id, rfc, noSession(session), session);
  const { conn, caps } = session;
  if (!caps.has('PIPELINING')) {
    await closeSmtp(conn, limits);
    return skipped(id, rfc, 'Not checked: PIPELINING is not advertised (clients then wait for each reply: slower on long links).', conn.takeTranscript());
  }
  const commands = ['MAIL FROM:<>', `RCPT TO:<${limits.rcpt}>`, `RCPT TO:<${limits.rcpt}>`, 'DATA'];
  await conn.write(commands.map((c) => `${c}\r\n`).join(''));
  const replies: number[] = [];
  /** The reply to MAIL, the first of the four. */
  let mail: Reply | undefined;
  let missing: string | undefined;
  for (const _ of commands) {
    const reply = await conn.readReply();
    if (!reply.ok) {
      missing = reply.event;
      break;
    }
    mail ??= reply.value;
    replies.push(reply.value.code);
  }
  const codes = replies.join(', ');
  const first = mail ? wantsFirst(session, limits, mail, ` (${codes})`) : undefined;
  let status: FindingStatus = 'pass';
  let advice: string;
  if (missing !== undefined) {
    status = 'fail';
    advice = `Only ${replies.length} of 4 pipelined commands were answered (${codes || 'none'}) before ${missing}: the server loses commands sent in one write though it advertises PIPELINING (RFC 2920 §3.2: never flush the input buffer).`;
  } else if (replies.slice(0, 3).includes(354) || (replies[3] !== 354 && replies[3]! < 400)) {
    status = 'fail';
    advice = `The replies came out of order (${codes}): one reply per command, in order, 354 last.`;
  } else if (first !== undefined) {
    status = 'skip';
    advice = `Not checked: ${first}.`;
  } else if (replies[3] === 354) {
    advice = `Four pipelined commands got four replies in order (${codes}), 354 last.`;
  } else {
    advice = `Four pipelined commands got four replies in order (${codes}); DATA was refused after the recipients were (framing is right).`;
  }
  if (replies[3] === 354) {
    if (limits.send) {
      await conn.write(`${probeHeader(limits.rcpt)}wireprobe test message (--send).\r\n.\r\n`, { show: ['[message body]', '.'] });
      const end = await conn.readReply();
      if (!end.ok || end.value.code !== 250) {
        status = 'fail';
        advice += ` With --send the message was not accepted at its end ("${said(end)}").`;
      } else advice += ` With --send a test message to ${limits.rcpt} was delivered.`;
      await closeSmtp(conn, limits);
    } else {
      // No RSET inside DATA: ending the connection discards the transaction.
      await abandon(conn, limits, '[probe closed the connection inside DATA: nothing delivered]');
    }
  } else {
    if (conn.ended === null) await conn.command('RSET');
    await closeSmtp(conn, limits);
  }
  return finding(id, status, rfc, advice, conn.takeTranscript());
}

/**
 * What one look-alike did inside DATA: `silent` (still inside DATA at the end of the wait) and `refused`
 * (a refusal, then the session ended) are safe; `accepted` and `reads-on` (a refusal, then NOOP answered
 * 2xx) make the server vulnerable; `dropped` (closed without a reply) and `unclear` are warnings.
 */
type LookAlike =
  | { readonly sequence: string; readonly kind: 'silent' | 'refused' }
  | { readonly sequence: string; readonly kind: 'accepted' | 'reads-on'; readonly said: string; readonly from: string | undefined }
  | { readonly sequence: string; readonly kind: 'dropped' | 'unclear'; readonly said: string }
  | { readonly sequence: string; readonly kind: 'unchecked'; readonly why: string };

/**
 * One look-alike on its own transaction. The write ends with the look-alike, so whatever the server
 * answers can only be about it (text behind it would be read as commands once DATA ended, and a
 * refusal of that text would look like a refusal of the look-alike). Any reply while the probe is still
 * inside DATA means DATA ended at the look-alike.
 */
async function tryLookAlike(
  target: ProbeTarget,
  limits: ProbeLimits,
  sequence: string,
  notes: SessionNotes,
  transcript: { sent: string[]; received: string[] },
): Promise<LookAlike> {
  const tag = visible(sequence);
  const keep = (t: { sent: readonly string[]; received: readonly string[] }): void => {
    transcript.sent.push(...t.sent.map((l) => `${tag}: ${l}`));
    transcript.received.push(...t.received.map((l) => `${tag}: ${l}`));
  };
  const started = await transaction(target, limits, 'smtp.bare-lf', notes);
  if (!started.ok) {
    keep(started.finding);
    return { sequence, kind: 'unchecked', why: started.finding.advice.replace(/^Not checked: /, '').replace(/\.$/, '') };
  }
  const { conn } = started;
  conn.closeOnTimeout = false; // silence is the pass here; the session is then left inside DATA
  await conn.write(`${probeHeader(limits.rcpt)}A${sequence}`, { show: ['[message header]', `A${tag} [the write ends with the look-alike]`] });
  const reply = await conn.readReply(limits.replyTimeoutMs);
  let result: LookAlike;
  if (!reply.ok && reply.end === 'timeout') {
    await abandon(conn, limits, '[probe closed the connection inside DATA: never sent <CRLF>.<CRLF>]');
    result = { sequence, kind: 'silent' };
  } else if (!reply.ok) {
    conn.destroy();
    result = { sequence, kind: 'dropped', said: reply.event };
  } else if (reply.value.code < 400) {
    await closeSmtp(conn, limits);
    result = { sequence, kind: 'accepted', said: said(reply), from: conn.localAddress };
  } else {
    // Refused, but did DATA end? A command after it tells: answered means commands are read there.
    const noop = await conn.command('NOOP', { timeoutMs: Math.min(limits.replyTimeoutMs, 2_000) });
    if (!noop.ok && noop.end !== 'timeout') result = { sequence, kind: 'refused' };
    else if (noop.ok && noop.value.code < 400)
      result = { sequence, kind: 'reads-on', said: `${said(reply)}", then NOOP "${said(noop)}`, from: conn.localAddress };
    else result = { sequence, kind: 'unclear', said: `${said(reply)}", then NOOP "${said(noop)}` };
    await closeSmtp(conn, limits);
  }
  keep(conn.takeTranscript());
  return result;
}

async function bareLfCheck(target: ProbeTarget, limits: ProbeLimits, notes: SessionNotes): Promise<Finding> {
  const id = 'smtp.bare-lf';
  const rfc = rfcOf(id);
  if (!limits.send) {
    const why = `Not checked by default: on a server vulnerable to SMTP smuggling the test itself delivers a message (to ${limits.rcpt}); give --send to run it.`;
    return skipped(id, rfc, why, { sent: [], received: [] });
  }
  const t = { sent: [] as string[], received: [] as string[] };
  const results: LookAlike[] = [];
  for (const sequence of SMUGGLING_SEQUENCES) results.push(await tryLookAlike(target, limits, sequence, notes, t));
  const list = (kinds: readonly LookAlike['kind'][]): string =>
    results
      .filter((r) => kinds.includes(r.kind))
      .map((r) => visible(r.sequence))
      .join(' ');
  const detail = (kinds: readonly LookAlike['kind'][]): string =>
    results.flatMap((r) => (kinds.includes(r.kind) && 'said' in r ? [`${visible(r.sequence)} got "${r.said}"`] : [])).join('; ');
  const bad = list(['accepted', 'reads-on']);
  if (bad) {
    const taken = list(['accepted']);
    const readsOn = list(['reads-on']);
    const parts = [
      ...(taken
        ? [`${taken} ended the message and it was accepted (${detail(['accepted'])}); the probe's test messages to ${limits.rcpt} were delivered`]
        : []),
      ...(readsOn ? [`${readsOn} ended DATA with a refusal and the session went on reading commands (${detail(['reads-on'])})`] : []),
    ];
    const from = results.flatMap((r) => (r.kind === 'accepted' || r.kind === 'reads-on' ? [r.from] : []))[0];
    const trusted = trustedVantage(from)
      ? ` This probe connected from ${from}, an address Postfix exempts from that setting by default (smtpd_forbid_bare_newline_exclusions = $mynetworks): probe from outside your networks to be sure.`
      : '';
    return finding(
      id,
      'fail',
      rfc,
      `Vulnerable to SMTP smuggling: ${parts.join('; ')}. A sender can hide a second, forged message inside one (CVE-2023-51764); accept only <CRLF>.<CRLF> as the end of data (Postfix smtpd_forbid_bare_newline = normalize).${trusted}`,
      t,
      bad,
    );
  }
  const dropped = list(['dropped']);
  const unclear = list(['unclear']);
  if (dropped || unclear) {
    const parts = [
      ...(dropped
        ? [
            `at ${dropped} the server ended the session without a reply (${detail(['dropped'])}): nothing after it is read, but clients get no reason; normalise a bare LF, or refuse it with a reply`,
          ]
        : []),
      ...(unclear
        ? [
            `${unclear} ended DATA with a refusal, and after it a command got no clear answer (${detail(['unclear'])}): check by hand whether text after it is read as commands`,
          ]
        : []),
    ];
    return finding(id, 'warn', rfc, `${cap(parts.join('; '))}. Only <CRLF>.<CRLF> should end the data.`, t, [dropped, unclear].filter(Boolean).join(' '));
  }
  const unchecked = results.filter((r): r is Extract<LookAlike, { kind: 'unchecked' }> => r.kind === 'unchecked');
  if (unchecked.length) {
    return finding(
      id,
      'skip',
      rfc,
      `Not checked: ${unchecked[0]!.why}${unchecked.length < results.length ? ` (for ${list(['unchecked'])}; the others did not end the message)` : ''}.`,
      t,
    );
  }
  const refused = list(['refused']);
  const silent = list(['silent']);
  if (!refused)
    return finding(
      id,
      'pass',
      rfc,
      `None of ${silent}, each at the end of a write on its own transaction, ended the message: the server waited for <CRLF>.<CRLF>.`,
      t,
    );
  return finding(
    id,
    'pass',
    rfc,
    `No look-alike let a message or a command through: ${refused} ended DATA with a refusal and the session ended there${silent ? `; ${silent} did not end the message (the server waited for <CRLF>.<CRLF>)` : ''}.`,
    t,
  );
}

/** The size, pipelining and framing group: `smtp.size`, `smtp.pipelining`, `smtp.bare-lf`. */
export const smtpDataGroup: CheckGroup = async (target, limits) => {
  const checks = [sizeCheck, pipeliningCheck, bareLfCheck];
  const findings: Finding[] = [];
  for (const check of checks) {
    const notes: SessionNotes = {};
    findings.push(annotate(await check(target, limits, notes), notes));
  }
  return findings;
};

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
