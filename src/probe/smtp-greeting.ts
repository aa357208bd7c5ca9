/**
 * SMTP greeting and capabilities: `smtp.greeting` (a 220 arrives, timed) and `smtp.ehlo` (EHLO lists
 * capabilities, HELO works, an unknown command gets 500 and the session survives it). HELO gets a
 * session of its own: after EHLO a server may refuse it (RFC 5321 §4.1.4: one EHLO or HELO per session).
 *
 *   connect ─► 220 (timed) ─► EHLO ─► [HELO only if EHLO was refused] ─► XYZZY ─► NOOP ─► QUIT
 *   connect ─► 220 ─► HELO ─► QUIT                                     (when EHLO worked)
 */
import { connectRaw, tlsOf } from './raw-connect.js';
import type { Read } from './raw.js';
import type { Reply } from '../protocol/reply.js';
import { rfcOf } from './ids.js';
import { finding, seconds, skipped } from './finding.js';
import { capabilities, closeSmtp, describeCapabilities, ehloName, said, UNKNOWN_COMMAND } from './smtp-session.js';
import type { CheckGroup, Finding, FindingStatus, ProbeLimits, ProbeTarget } from './types.js';

/** A greeting slower than this is a warning: clients and MTAs give up (PROBE-CHECKS: ~15 s). */
export const SLOW_GREETING_MS = 15_000;

/**
 * Whether the session group left a usable server behind: a greeting, and EHLO or HELO answered
 * (`smtp.ehlo` has a value). When not, run.ts skips the other groups instead of waiting on each.
 */
export function smtpSessionUsable(findings: readonly Finding[]): boolean {
  const greeting = findings.find((f) => f.id === 'smtp.greeting');
  const ehlo = findings.find((f) => f.id === 'smtp.ehlo');
  return greeting !== undefined && greeting.status !== 'fail' && ehlo?.value !== undefined;
}

function greetingFinding(read: Read<Reply>, where: string, sent: string[], received: string[]): Finding {
  const id = 'smtp.greeting';
  const rfc = rfcOf(id);
  const t = { sent, received };
  if (!read.ok) {
    if (read.end === 'timeout') {
      return finding(
        id,
        'fail',
        rfc,
        `No greeting ${read.event}: the server accepted the connection and then said nothing (a stalled or overloaded server, or a proxy holding the session); clients hang until their own timeout. A server that delays its greeting on purpose (a tarpit; RFC 5321 §4.5.3.2.1 has clients wait up to 5 minutes for it) needs a longer --timeout to be timed.`,
        t,
      );
    }
    const how = read.end === 'rst' ? 'reset the connection' : read.end === 'closed' ? 'closed the connection' : `failed (${read.event})`;
    return finding(
      id,
      'fail',
      rfc,
      `The server ${how} before any greeting: clients see a dropped connection, not a reason; send "421 <text>" or "554 <text>" instead.`,
      t,
    );
  }
  const reply = read.value;
  const value = seconds(read.ms, 2);
  if (reply.malformed) return finding(id, 'fail', rfc, `The greeting is not an SMTP reply (no 3-digit code): is ${where} an SMTP server?`, t, value);
  if (reply.code === 220) {
    if (read.ms > SLOW_GREETING_MS)
      return finding(
        id,
        'warn',
        rfc,
        `The 220 greeting took ${value} s: many clients give up before that; greet sooner (a deliberate tarpit delay should stay well under 15 s).`,
        t,
        value,
      );
    return finding(id, 'pass', rfc, `220 greeting after ${value} s.`, t, value);
  }
  if (reply.code === 421)
    return finding(
      id,
      'warn',
      rfc,
      `The server says it is unavailable (${reply.raw.at(-1)}): a correct way to turn clients away, but nothing else could be checked now.`,
      t,
      value,
    );
  if (reply.code === 554 || reply.code === 521)
    return finding(id, 'fail', rfc, `The server refuses sessions from this address (${reply.raw.at(-1)}): probe from an address it accepts.`, t, value);
  return finding(
    id,
    'fail',
    rfc,
    `The greeting is ${reply.code}, not 220: clients will not go on (RFC 5321 §4.3.2 allows 220 or 554, and §3.8 a 421).`,
    t,
    value,
  );
}

/** The greeting and capabilities group: `smtp.greeting`, `smtp.ehlo`. */
export const smtpGreetingGroup: CheckGroup = async (target, limits) => {
  const ehloId = 'smtp.ehlo';
  const where = `${target.host}:${target.port}`;
  const opened = await connectRaw({ host: target.host, port: target.port, ...tlsOf(target), timeoutMs: limits.replyTimeoutMs, closeOnTimeout: true });
  if (!opened.ok) {
    const failure = opened.failure;
    return [
      finding('smtp.greeting', 'fail', rfcOf('smtp.greeting'), `Cannot connect to ${where} (${failure.event}).`, {
        sent: [`[connect ${where}]`],
        received: [failure.event],
      }),
      skipped(ehloId, rfcOf(ehloId), 'Not checked: no connection.'),
    ];
  }
  const conn = opened.conn;
  const greeting = await conn.readReply();
  const g = conn.takeTranscript();
  const greetingResult = greetingFinding(greeting, where, [`[connect ${where}]`, ...g.sent], g.received);
  if (!greeting.ok || greeting.value.code !== 220) {
    conn.destroy();
    return [greetingResult, skipped(ehloId, rfcOf(ehloId), `Not checked: no 220 greeting (${said(greeting)}).`)];
  }

  const problems: { status: FindingStatus; text: string }[] = [];
  let ehlo = await conn.command(`EHLO ${ehloName(conn)}`);
  let value: string | undefined;
  if (ehlo.ok && ehlo.value.code === 250) {
    value = describeCapabilities(capabilities(ehlo.value));
  } else if (ehlo.ok) {
    const helo = await conn.command(`HELO ${ehloName(conn)}`);
    if (helo.ok && helo.value.code === 250) {
      value = '';
      problems.push({ status: 'warn', text: `EHLO got "${said(ehlo)}" but HELO works: no ESMTP, so no STARTTLS, SIZE or PIPELINING for clients` });
    } else {
      problems.push({ status: 'fail', text: `neither EHLO ("${said(ehlo)}") nor HELO ("${said(helo)}") was accepted` });
    }
    ehlo = helo;
  } else {
    problems.push({ status: 'fail', text: `no reply to EHLO ${ehlo.event}` });
  }

  const heloToo = value !== undefined && problems.length === 0;
  let unknownCode = '';
  if (conn.ended === null) {
    const unknown = await conn.command(UNKNOWN_COMMAND);
    if (unknown.ok) unknownCode = String(unknown.value.code);
    if (!unknown.ok) problems.push({ status: 'fail', text: `an unknown command got no reply ${unknown.event}` });
    else if (unknown.value.code >= 200 && unknown.value.code < 400)
      problems.push({ status: 'fail', text: `the unknown command ${UNKNOWN_COMMAND} was accepted ("${said(unknown)}"), not refused with 500` });
    else if (unknown.value.code !== 500 && unknown.value.code !== 502)
      problems.push({ status: 'warn', text: `the unknown command ${UNKNOWN_COMMAND} got "${said(unknown)}"; RFC 5321 §4.2.4 asks for 500` });
    if (conn.ended === null) {
      const noop = await conn.command('NOOP');
      if (!noop.ok) problems.push({ status: 'fail', text: `the session did not survive an unknown command: NOOP got ${noop.event}` });
    } else {
      problems.push({ status: 'fail', text: 'the server dropped the session after one unknown command' });
    }
  }
  await closeSmtp(conn, limits);
  const t = conn.takeTranscript();
  if (heloToo) {
    const helo = await heloSession(target, limits);
    t.sent.push(...helo.sent);
    t.received.push(...helo.received);
    if (helo.problem) problems.push(helo.problem);
  }
  const worst: FindingStatus = problems.some((p) => p.status === 'fail') ? 'fail' : problems.length ? 'warn' : 'pass';
  const advice = problems.length
    ? `${capitalise(problems.map((p) => p.text).join('; '))}.`
    : `EHLO lists ${value ? `its capabilities (${value})` : 'no capabilities'}; HELO works; an unknown command gets ${unknownCode} and the session stays open.`;
  return [greetingResult, finding(ehloId, worst, rfcOf(ehloId), advice, t, value)];
};

/** HELO on a fresh session (RFC 5321 §4.1.1.1: a server must accept HELO too). Transcript lines `[HELO session] ...`. */
async function heloSession(
  target: ProbeTarget,
  limits: ProbeLimits,
): Promise<{ sent: string[]; received: string[]; problem?: { status: FindingStatus; text: string } }> {
  const mark = (t: { sent: string[]; received: string[] }): { sent: string[]; received: string[] } => ({
    sent: ['[HELO session: connect]', ...t.sent.map((l) => `[HELO session] ${l}`)],
    received: t.received.map((l) => `[HELO session] ${l}`),
  });
  const opened = await connectRaw({ host: target.host, port: target.port, ...tlsOf(target), timeoutMs: limits.replyTimeoutMs, closeOnTimeout: true });
  if (!opened.ok)
    return {
      ...mark({ sent: [], received: [opened.failure.event] }),
      problem: { status: 'warn', text: `a second session to try HELO could not connect ${opened.failure.event}` },
    };
  const conn = opened.conn;
  const greeting = await conn.readReply();
  let problem: { status: FindingStatus; text: string } | undefined;
  if (!greeting.ok || greeting.value.code !== 220) {
    problem = { status: 'warn', text: `a second session to try HELO got no 220 greeting (${said(greeting)})` };
  } else {
    const helo = await conn.command(`HELO ${ehloName(conn)}`);
    if (!helo.ok) problem = { status: 'fail', text: `no reply to HELO on a fresh session ${helo.event}` };
    else if (helo.value.code !== 250)
      problem = { status: 'warn', text: `HELO on a fresh session got "${said(helo)}", not 250 (RFC 5321 §4.1.1.1: a server must accept HELO too)` };
  }
  await closeSmtp(conn, limits);
  return { ...mark(conn.takeTranscript()), ...(problem ? { problem } : {}) };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
