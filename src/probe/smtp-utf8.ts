/**
 * Internationalised mail, checked only when the EHLO reply lists the extension (else a skip that says
 * so): `smtp.smtputf8` (RFC 6531) and `smtp.8bitmime` (RFC 6152). Each runs on a session of its own
 * and every transaction is reset before DATA: nothing is ever delivered.
 *
 *   smtputf8: MAIL FROM:<> SMTPUTF8 ─► 250? ─► RCPT TO:<UTF-8 address> ─► syntax taken? ─► RSET
 *             MAIL FROM:<> ─► RCPT TO:<the same address> ─► refused (5xx)? ─► RSET ─► QUIT
 *   8bitmime: MAIL FROM:<> BODY=8BITMIME ─► 250? ─► RSET ─► MAIL FROM:<> BODY=BOGUS ─► 501/555? ─► QUIT
 *
 * The RCPT with SMTPUTF8 is judged on its syntax only: a server may refuse the recipient for its own
 * reasons (550 user unknown), but not the UTF-8 mailbox name itself (553, 501, 555 or X.6.7).
 */
import { isIP } from 'node:net';
import type { Reply } from '../protocol/reply.js';
import { rfcOf } from './ids.js';
import { finding, skipped } from './finding.js';
import type { Read, RawConnection } from './raw.js';
import { annotate, closeSmtp, noSession, openSmtp, said, wantsFirst, type SessionNotes } from './smtp-session.js';
import type { SmtpFindingId } from './smtp-ids.js';
import type { CheckGroup, Finding, FindingStatus, ProbeLimits, ProbeTarget } from './types.js';
import { unmapped } from '../util/address.js';

/** The UTF-8 local part the probe sends: `wireprobe-` and the Greek for "test" (two octets a letter). */
export const UTF8_LOCAL_PART = 'wireprobe-δοκιμή';

/** A BODY value RFC 6152 §2 does not define (only 7BIT and 8BITMIME are). */
export const BOGUS_BODY = 'BOGUS';

/** An LDH domain name (RFC 5321 §4.1.2 Domain). */
const DOMAIN = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** X.6.7: "Non-ASCII addresses not permitted for that sender/recipient" (RFC 6531 §3.5). */
const NON_ASCII_REFUSED = /\b[45]\.6\.7\b/;

interface Problem {
  readonly status: FindingStatus;
  readonly text: string;
}

/**
 * The UTF-8 address: UTF8_LOCAL_PART at --rcpt's domain; for a --rcpt without one (`postmaster`), at the
 * name the server gives in its EHLO reply (a bare UTF-8 local part is refused for its missing domain,
 * which says nothing about UTF-8), or its address literal when that name is no domain.
 */
export function utf8Address(rcpt: string, ehlo: Reply, conn: RawConnection): string {
  const at = rcpt.lastIndexOf('@');
  if (at >= 0) return `${UTF8_LOCAL_PART}${rcpt.slice(at)}`;
  const name = ehlo.lines[0]?.trim().split(/\s+/)[0] ?? '';
  if (DOMAIN.test(name)) return `${UTF8_LOCAL_PART}@${name}`;
  const address = unmapped(conn.remoteAddress) ?? '127.0.0.1';
  return `${UTF8_LOCAL_PART}@${isIP(address) === 6 ? `[IPv6:${address}]` : `[${address}]`}`;
}

/** Sends one command line as UTF-8 octets (conn.send writes latin1) and reads its reply. */
async function commandUtf8(conn: RawConnection, line: string): Promise<Read<Reply>> {
  await conn.write(Buffer.from(`${line}\r\n`, 'utf8'), { show: line });
  return conn.readReply();
}

const cap = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** The finding from what the steps found: the worst problem's status, else a pass with `fine`. */
function verdict(id: SmtpFindingId, problems: readonly Problem[], fine: readonly string[], conn: RawConnection): Finding {
  const t = conn.takeTranscript();
  const rfc = rfcOf(id);
  const nothing = ' (Each transaction was reset before DATA: nothing delivered.)';
  if (problems.length === 0) return finding(id, 'pass', rfc, `${cap(fine.join('; '))}.${nothing}`, t);
  const status = problems.some((p) => p.status === 'fail') ? 'fail' : 'warn';
  const good = fine.length ? ` Fine: ${fine.join('; ')}.` : '';
  return finding(id, status, rfc, `${cap(problems.map((p) => p.text).join('; '))}.${good}${nothing}`, t);
}

/** Ends a step's transaction (RSET), and says whether the session can go on. */
async function reset(conn: RawConnection): Promise<boolean> {
  if (conn.ended !== null) return false;
  const reply = await conn.command('RSET');
  return reply.ok;
}

/** What a RCPT of the UTF-8 address after `MAIL FROM:<> SMTPUTF8` shows (RFC 6531 §3.2). */
function judgeWith(rcpt: Read<Reply>, line: string): { problem?: Problem; fine?: string } {
  if (!rcpt.ok) return { problem: { status: 'fail', text: `${line} (after MAIL with SMTPUTF8) got no reply ${rcpt.event}` } };
  const { code } = rcpt.value;
  const text = `${line} got "${said(rcpt)}"`;
  if (code === 250 || code === 251) return { fine: `with SMTPUTF8 on MAIL, ${text}` };
  if (code === 553 || code === 501 || code === 555 || NON_ASCII_REFUSED.test(rcpt.value.raw.join(' ')))
    return {
      problem: {
        status: 'fail',
        text: `with SMTPUTF8 on MAIL, ${text}: a server announcing SMTPUTF8 MUST accept a UTF-8 string wherever a mailbox can appear (RFC 6531 §3.2)`,
      },
    };
  if (code >= 400 && code < 600)
    return {
      fine: `with SMTPUTF8 on MAIL, ${text}, a refusal of the recipient, not of its UTF-8 syntax (give --rcpt an address at a domain the server takes to see a 250)`,
    };
  return { problem: { status: 'warn', text: `with SMTPUTF8 on MAIL, ${text}, neither 250 nor a refusal` } };
}

/** What a RCPT of the UTF-8 address after a MAIL without SMTPUTF8 shows (RFC 5321 §4.1.2; RFC 6531 §3.5). */
function judgeWithout(rcpt: Read<Reply>, line: string): { problem?: Problem; fine?: string } {
  if (!rcpt.ok) return { problem: { status: 'fail', text: `${line} without SMTPUTF8 on MAIL got no reply ${rcpt.event}: refuse it with 553` } };
  const { code } = rcpt.value;
  const text = `${line} without SMTPUTF8 on MAIL got "${said(rcpt)}"`;
  if (code >= 500 && code < 600) return { fine: `${text}, refused as it must be` };
  if (code >= 200 && code < 300)
    return {
      problem: {
        status: 'warn',
        text: `${text}: without the parameter a non-ASCII address MUST be refused (501, RFC 5321 §4.1.2; 553 with 5.6.7, RFC 6531 §3.5); taking it lets a client that forgot SMTPUTF8 (RFC 6531 §3.4) send mail a later hop may not carry`,
      },
    };
  return {
    problem: { status: 'warn', text: `${text}: a temporary refusal, so the client retries a message that can never go; refuse it with 553 (RFC 6531 §3.5)` },
  };
}

async function smtputf8(target: ProbeTarget, limits: ProbeLimits, notes: SessionNotes): Promise<Finding> {
  const id = 'smtp.smtputf8';
  const rfc = rfcOf(id);
  const session = await openSmtp(target, limits, { auth: true, notes });
  if (!session.ok) return skipped(id, rfc, noSession(session), session);
  const { conn, caps } = session;
  if (!caps.has('SMTPUTF8')) {
    await closeSmtp(conn, limits);
    return skipped(
      id,
      rfc,
      'Not checked: the EHLO reply does not list SMTPUTF8, so a client must not send UTF-8 addresses (RFC 6531 §3.2).',
      conn.takeTranscript(),
    );
  }
  const problems: Problem[] = [];
  const fine: string[] = [];
  const take = (judged: { problem?: Problem; fine?: string }): void => {
    if (judged.problem) problems.push(judged.problem);
    if (judged.fine) fine.push(judged.fine);
  };
  if (!caps.has('8BITMIME'))
    problems.push({
      status: 'fail',
      text: 'SMTPUTF8 is listed without 8BITMIME: a server offering SMTPUTF8 MUST support and announce 8BITMIME (RFC 6531 §3.1)',
    });
  const rcptLine = `RCPT TO:<${utf8Address(limits.rcpt, session.ehlo, conn)}>`;
  const mail = await conn.command('MAIL FROM:<> SMTPUTF8');
  const first = mail.ok ? wantsFirst(session, limits, mail.value) : undefined;
  if (first !== undefined) {
    if (conn.ended === null) await conn.command('RSET');
    await closeSmtp(conn, limits);
    return skipped(id, rfc, `Not checked: ${first}.`, conn.takeTranscript());
  }
  if (mail.ok && mail.value.code === 250) take(judgeWith(await commandUtf8(conn, rcptLine), rcptLine));
  else
    problems.push({
      status: 'fail',
      text: `MAIL FROM:<> SMTPUTF8 got "${said(mail)}": a server listing SMTPUTF8 takes the parameter on MAIL (RFC 6531 §3.1)`,
    });
  if (await reset(conn)) {
    const plain = await conn.command('MAIL FROM:<>');
    if (plain.ok && plain.value.code === 250) take(judgeWithout(await commandUtf8(conn, rcptLine), rcptLine));
    else fine.push(`the UTF-8 address without SMTPUTF8 was not tried: MAIL FROM:<> got "${said(plain)}"`);
    await reset(conn);
  }
  await closeSmtp(conn, limits);
  return verdict(id, problems, fine, conn);
}

async function eightBitMime(target: ProbeTarget, limits: ProbeLimits, notes: SessionNotes): Promise<Finding> {
  const id = 'smtp.8bitmime';
  const rfc = rfcOf(id);
  const session = await openSmtp(target, limits, { auth: true, notes });
  if (!session.ok) return skipped(id, rfc, noSession(session), session);
  const { conn, caps } = session;
  if (!caps.has('8BITMIME')) {
    await closeSmtp(conn, limits);
    return skipped(
      id,
      rfc,
      'Not checked: the EHLO reply does not list 8BITMIME, so a client must send only 7-bit content (RFC 6152 §3).',
      conn.takeTranscript(),
    );
  }
  const problems: Problem[] = [];
  const fine: string[] = [];
  const good = await conn.command('MAIL FROM:<> BODY=8BITMIME');
  const first = good.ok ? wantsFirst(session, limits, good.value) : undefined;
  if (first !== undefined) {
    if (conn.ended === null) await conn.command('RSET');
    await closeSmtp(conn, limits);
    return skipped(id, rfc, `Not checked: ${first}.`, conn.takeTranscript());
  }
  if (good.ok && good.value.code === 250) fine.push(`MAIL FROM:<> BODY=8BITMIME got "${said(good)}"`);
  else
    problems.push({
      status: 'fail',
      text: `MAIL FROM:<> BODY=8BITMIME got "${said(good)}": listing 8BITMIME promises the MAIL command with BODY=8BITMIME (RFC 6152 §3)`,
    });
  if (await reset(conn)) {
    const line = `MAIL FROM:<> BODY=${BOGUS_BODY}`;
    const bogus = await conn.command(line);
    const text = `${line} got "${said(bogus)}"`;
    const why = `BODY is 7BIT or 8BITMIME (RFC 6152 §2) and a parameter a server cannot implement gets 555 (RFC 5321 §4.1.1.11)`;
    if (!bogus.ok) problems.push({ status: 'fail', text: `${line} got no reply ${bogus.event}: refuse it with 555 or 501` });
    else if ([501, 504, 555].includes(bogus.value.code)) fine.push(`${text}, refused`);
    else if (bogus.value.code >= 200 && bogus.value.code < 300) problems.push({ status: 'warn', text: `${text}, taken: ${why}` });
    else problems.push({ status: 'warn', text: `${text}: ${why}, 501 for bad syntax` });
    await reset(conn);
  }
  await closeSmtp(conn, limits);
  return verdict(id, problems, fine, conn);
}

/** The internationalised-mail group: `smtp.smtputf8`, `smtp.8bitmime`. */
export const smtpUtf8Group: CheckGroup = async (target, limits) => {
  const notes: SessionNotes = {};
  const utf8 = annotate(await smtputf8(target, limits, notes), notes);
  const bits = annotate(await eightBitMime(target, limits, notes), notes);
  return [utf8, bits];
};
