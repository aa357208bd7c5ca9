/**
 * SMTP limits and timeouts: `smtp.session-limit` and `smtp.idle-timeout`.
 *
 *   session-limit: connect #1 ─► 220, hold ─► connect #2 ─► 220, hold ─► ... up to limits.maxSessions,
 *                  one at a time; the first one not greeted with 220 shows the limit and how it refuses;
 *                  one not greeted at all is a limit only if its greeting waits for another's end
 *                  (late-greeting.ts)
 *   idle-timeout:  (only with limits.maxIdleSeconds > 0) EHLO ─► wait, bounded ─► 421? ─► close: seconds
 */
import { connectRaw, tlsOf } from './raw-connect.js';
import type { RawConnection } from './raw.js';
import { rfcOf } from './ids.js';
import { finding, seconds, skipped } from './finding.js';
import { closeSmtp, noSession, openSmtp, said } from './smtp-session.js';
import { awaitLateGreeting, type LateGreeting, lateNote, type LateSession, silentAdvice } from './late-greeting.js';
import type { CheckGroup, Finding, ProbeLimits, ProbeTarget } from './types.js';

/** RFC 5321 §4.5.3.2.7: a server should wait at least 5 minutes for the next command. */
export const RFC_IDLE_SECONDS = 300;

async function sessionLimit(target: ProbeTarget, limits: ProbeLimits): Promise<Finding> {
  const id = 'smtp.session-limit';
  const rfc = rfcOf(id);
  const held: { readonly n: number; readonly conn: RawConnection }[] = [];
  const sent: string[] = [];
  const received: string[] = [];
  const keep = (n: number, t: { sent: string[]; received: string[] }): void => {
    sent.push(...t.sent.map((l) => `#${n} ${l}`));
    received.push(...t.received.map((l) => `#${n} ${l}`));
  };
  const quick = { ...limits, replyTimeoutMs: Math.min(limits.replyTimeoutMs, 1_000) };
  /** Sessions greeted late with the others open: the server's own wait, said beside the result. */
  const slow: LateSession[] = [];
  let result: Finding | undefined;
  for (let n = 1; n <= limits.maxSessions && !result; n++) {
    sent.push(`#${n} [connect]`);
    const opened = await connectRaw({ host: target.host, port: target.port, ...tlsOf(target), timeoutMs: limits.replyTimeoutMs });
    if (!opened.ok) {
      received.push(`#${n} ${opened.failure.event}`);
      if (opened.failure.kind === 'reset') {
        result = finding(
          id,
          'fail',
          rfc,
          `With ${n - 1} sessions open, session ${n} was reset (RST) without a reply: clients report "connection reset" and cannot tell a limit from a crash; answer "421 <text>" then close (RFC 5321 §3.8).`,
          { sent, received },
          n - 1,
        );
        break;
      }
      const how =
        opened.failure.kind === 'timeout'
          ? 'the connection was not even accepted (no SYN-ACK, the listen queue is full or a firewall drops it)'
          : `the connection failed ${opened.failure.event}`;
      result = finding(
        id,
        'warn',
        rfc,
        `Session ${n} was refused below the greeting: ${how}; a "421 <text>" greeting tells clients to come back later.`,
        { sent, received },
        n - 1,
      );
      break;
    }
    const conn = opened.conn;
    const others = held.length;
    held.push({ n, conn });
    let greeting = await conn.readReply();
    if (!greeting.ok && greeting.end === 'timeout') {
      const late = await awaitLateGreeting(conn, limits.replyTimeoutMs, greeting.ms, {
        anyEnded: () => held.some((h) => h.conn !== conn && h.conn.ended !== null),
        ...(others > 0
          ? {
              endOne: async () => {
                const first = held.shift();
                if (!first) return;
                await closeSmtp(first.conn, quick);
                keep(first.n, first.conn.takeTranscript());
              },
            }
          : {}),
      });
      if (late.kind === 'late') {
        greeting = late.read;
        if (greeting.ok && greeting.value.code === 220) slow.push({ n, ms: late.ms });
      } else {
        // How a held session the server itself ended went, then this one's.
        for (const h of held) if (h.conn !== conn && h.conn.ended !== null) keep(h.n, h.conn.takeTranscript());
        keep(n, conn.takeTranscript());
        result = lateFinding(id, rfc, n, others, late, limits, { sent, received });
        break;
      }
    }
    keep(n, conn.takeTranscript());
    if (greeting.ok && greeting.value.code === 220) continue;
    const limit = n - 1;
    if (!greeting.ok) {
      // No timeout here: a greeting not come within the bound was waited on above.
      if (greeting.end === 'rst') {
        result = finding(
          id,
          'fail',
          rfc,
          `With ${limit} sessions open, session ${n} was reset (RST) without a reply: clients report "connection reset" and cannot tell a limit from a crash; answer "421 <text>" then close (RFC 5321 §3.8).`,
          { sent, received },
          limit,
        );
      } else {
        result = finding(
          id,
          'fail',
          rfc,
          `With ${limit} sessions open, session ${n} was closed without a reply: clients see a dropped connection and no reason; answer "421 <text>" then close (RFC 5321 §3.8).`,
          { sent, received },
          limit,
        );
      }
    } else if (greeting.value.code === 421) {
      result = finding(
        id,
        'pass',
        rfc,
        `The limit is ${limit} concurrent sessions from this address; session ${n} got "${said(greeting)}" and was closed: clients retry later.`,
        { sent, received },
        limit,
      );
    } else if (greeting.value.code >= 500) {
      result = finding(
        id,
        'fail',
        rfc,
        `With ${limit} sessions open, session ${n} got "${said(greeting)}": a 5xx is permanent, senders bounce their mail; use 421 for a busy server.`,
        { sent, received },
        limit,
      );
    } else {
      result = finding(
        id,
        'warn',
        rfc,
        `With ${limit} sessions open, session ${n} got "${said(greeting)}"; RFC 5321 §3.8 asks for 421.`,
        { sent, received },
        limit,
      );
    }
  }
  // Let go of every held session, politely, all at once (each wait bounded).
  await Promise.all(held.map(({ conn }) => closeSmtp(conn, quick)));
  const found =
    result ??
    finding(id, 'pass', rfc, `No limit reached: ${limits.maxSessions} concurrent sessions were all greeted with 220 (raise --max-sessions to look further).`, {
      sent,
      received,
    });
  return slow.length ? { ...found, advice: `${found.advice} ${lateNote(slow, 'smtp.greeting')}` } : found;
}

/** Session `n`, not greeted within the bound with `others` held, as awaitLateGreeting found it: a limit, or none shown. */
function lateFinding(
  id: string,
  rfc: string,
  n: number,
  others: number,
  late: Exclude<LateGreeting, { kind: 'late' }>,
  limits: ProbeLimits,
  transcript: { sent: string[]; received: string[] },
): Finding {
  const s = seconds(late.heldMs, 2);
  if (late.kind === 'freed')
    return finding(
      id,
      'warn',
      rfc,
      `With ${others} sessions open, session ${n} got no greeting for ${s} s, then "${said(late.read)}" once one of the ${others} had ended: the server makes clients over its limit wait in silence (as at Postfix's process limit); a "421 <text>" is clearer.`,
      transcript,
      others,
    );
  const advice = silentAdvice({
    others,
    who: `session ${n}`,
    heldMs: late.heldMs,
    boundMs: limits.replyTimeoutMs,
    ended: late.read.end === 'timeout' ? '' : late.read.event,
    greetingCheck: 'smtp.greeting',
  });
  return others === 0 ? skipped(id, rfc, advice, transcript) : finding(id, 'warn', rfc, advice, transcript);
}

async function idleTimeout(target: ProbeTarget, limits: ProbeLimits): Promise<Finding> {
  const id = 'smtp.idle-timeout';
  const rfc = rfcOf(id);
  if (!(limits.maxIdleSeconds > 0))
    return skipped(id, rfc, "Not measured: give --max-idle SECONDS to wait for the server's idle timeout (RFC 5321 asks for at least 300).");
  const session = await openSmtp(target, limits, { tls: 'never' });
  if (!session.ok) return skipped(id, rfc, noSession(session), session);
  const { conn } = session;
  const waitMs = limits.maxIdleSeconds * 1000;
  conn.closeOnTimeout = false; // still open at the end of the wait is a result, then QUIT
  const first = await conn.readReply(waitMs);
  if (!first.ok && first.end === 'timeout') {
    await closeSmtp(conn, limits);
    const advice =
      limits.maxIdleSeconds >= RFC_IDLE_SECONDS
        ? `Still open after ${limits.maxIdleSeconds} s idle: at least the 5 minutes RFC 5321 §4.5.3.2.7 asks for.`
        : `Still open after ${limits.maxIdleSeconds} s idle (the --max-idle bound); raise it to ${RFC_IDLE_SECONDS} or more to measure the timeout.`;
    return finding(id, 'pass', rfc, advice, conn.takeTranscript());
  }
  const s = seconds(first.ms, 2);
  const short =
    s < RFC_IDLE_SECONDS
      ? ` ${s} s is shorter than the 5 minutes RFC 5321 §4.5.3.2.7 asks for: slow clients (and big messages over slow links) get cut off.`
      : '';
  if (!first.ok) {
    conn.destroy();
    const how = first.end === 'rst' ? 'reset (RST)' : first.end === 'closed' ? 'closed' : `ended ${first.event}`;
    return finding(
      id,
      'warn',
      rfc,
      `An idle session was ${how} after ${s} s without a 421 first: clients cannot tell a timeout from a crash; send "421 <text>" before closing.${short}`,
      conn.takeTranscript(),
      s,
    );
  }
  if (first.value.code !== 421) {
    await closeSmtp(conn, limits);
    return finding(id, 'warn', rfc, `An idle session got "${said(first)}" after ${s} s, not a 421 before the close.${short}`, conn.takeTranscript(), s);
  }
  const end = await conn.waitForEnd();
  conn.destroy();
  const closed = end.end === 'closed' || end.end === 'rst' ? '' : ' but the connection stayed open after it';
  const status = short || closed ? 'warn' : 'pass';
  return finding(
    id,
    status,
    rfc,
    `An idle session got "${said(first)}" after ${s} s${closed}.${short || (closed ? '' : ' 421 then close, as it should be.')}`,
    conn.takeTranscript(),
    s,
  );
}

/** The limits group: `smtp.session-limit`, `smtp.idle-timeout`. */
export const smtpLimitsGroup: CheckGroup = async (target, limits) => [await sessionLimit(target, limits), await idleTimeout(target, limits)];
