/**
 * FTP checks of the server's limits: `ftp.idle-timeout` and `ftp.session-limit` (ids documented in
 * ./ftp-ids.ts). Both are bounded by what the user allows (ProbeLimits):
 *
 *   idle-timeout   skipped unless maxIdleSeconds > 0; log in, stay silent at most maxIdleSeconds:
 *                  421 then close (pass, seconds) │ close or RST without a reply (warn) │ nothing (pass)
 *   session-limit  sessions opened one at a time, each greeted and logged in and kept open, up to
 *                  maxSessions; the first one refused gives the limit: 421 (pass) │ 530 at PASS (warn,
 *                  proftpd) │ RST, a close without a reply, or no greeting (fail). When the server is on a
 *                  loopback address, one more session from another loopback source address (127.0.0.2)
 *                  tells a per-address limit from a total one (only if the budget allows one more).
 *
 * Idle runs first: the ramp leaves the server at its limit for a moment after it ends.
 */
import { isIPv4 } from 'node:net';
import { FtpSession, openLoggedIn } from './ftp-control.js';
import { finding, seconds, skipped } from './finding.js';
import { said } from './ftp-shared.js';
import { rfcOf } from './ids.js';
import { awaitLateGreeting, type Held, lateNote, type LateSession, silentAdvice } from './late-greeting.js';
import type { Read } from './raw.js';
import type { Reply } from '../protocol/reply.js';
import type { Finding, FindingStatus, ProbeLimits, ProbeTarget } from './types.js';
import { unmapped } from '../util/address.js';

const RFC = { 'idle-timeout': rfcOf('ftp.idle-timeout'), 'session-limit': rfcOf('ftp.session-limit') } as const;

/** The limit checks: idle timeout, then session limit. */
export async function ftpLimitChecks(target: ProbeTarget, limits: ProbeLimits): Promise<Finding[]> {
  return [await idleTimeout(target, limits), await sessionLimit(target, limits)];
}

async function idleTimeout(target: ProbeTarget, limits: ProbeLimits): Promise<Finding> {
  const id = 'ftp.idle-timeout';
  const rfc = RFC['idle-timeout'];
  if (!(limits.maxIdleSeconds > 0))
    return skipped(id, rfc, 'Not run: waiting for an idle timeout takes time; allow it with a maximum idle wait in seconds (--max-idle).');
  const opened = await openLoggedIn(target, limits);
  if (!opened.ok) return skipped(id, rfc, opened.why);
  const s = opened.session;
  const bound = Math.round(limits.maxIdleSeconds * 1000);
  try {
    s.conn.note(`[idle, waiting at most ${limits.maxIdleSeconds} s]`);
    const read = await s.next(bound);
    if (read.ok) {
      const at = seconds(read.ms, 1);
      await s.conn.waitForEnd(limits.replyTimeoutMs);
      if (read.value.code === 421) return finding(id, 'pass', rfc, `After ${at} s idle the server sent 421 and closed the session.`, s.take(), at);
      return finding(id, 'warn', rfc, `After ${at} s idle the server sent ${said(read)} rather than 421: clients may not take it for a timeout.`, s.take(), at);
    }
    const at = seconds(read.ms, 1);
    if (read.end === 'timeout')
      return finding(id, 'pass', rfc, `No idle timeout within ${limits.maxIdleSeconds} s (the most the probe was allowed to wait).`, s.take());
    const how = read.end === 'rst' ? 'reset it (RST)' : 'closed it';
    return finding(
      id,
      'warn',
      rfc,
      `After ${at} s idle the server ${how} without a 421: clients report a broken connection instead of a timeout; send 421 before closing.`,
      s.take(),
      at,
    );
  } finally {
    s.conn.destroy();
  }
}

/** How one session of the ramp went. */
type Admission =
  /** Logged in and kept open; `lateMs`: greeted only after that long, with the others open (see late-greeting.ts). */
  | { readonly kind: 'in'; readonly session: FtpSession; readonly lateMs?: number }
  | {
      readonly kind: 'refused';
      readonly how: 'reply' | 'pass' | 'rst' | 'closed' | 'timeout' | 'connect' | 'freed';
      readonly said: string;
      readonly code?: number;
      /** `freed`: no greeting for so long with the others open, then one once one of them ended. */
      readonly heldMs?: number;
    }
  /** No greeting in `heldMs` with the others open, nor once one of them ended: no limit on sessions. */
  | { readonly kind: 'silent'; readonly said: string; readonly heldMs: number };

/**
 * Opens one session and logs in; on refusal, says how. Keeps an admitted session open. `endOne` ends
 * one of the sessions held beside it, to tell a limit from a late greeting (late-greeting.ts).
 */
async function admit(
  target: ProbeTarget,
  limits: ProbeLimits,
  log: (n: string, t: { sent: string[]; received: string[] }) => void,
  label: string,
  options: { readonly localAddress?: string; readonly held?: Held } = {},
): Promise<Admission> {
  const opened = await FtpSession.open(target, limits, options.localAddress);
  if (!opened.ok && opened.stage === 'connect') {
    log(label, opened.transcript);
    return { kind: 'refused', how: opened.failure.kind === 'reset' ? 'rst' : 'connect', said: opened.failure.event };
  }
  const session = opened.session;
  const refusedBy = (read: Read<Reply>, atPass: boolean): Admission => {
    log(label, session.take());
    session.conn.destroy();
    if (read.ok) return { kind: 'refused', how: atPass ? 'pass' : 'reply', said: said(read), code: read.value.code };
    return { kind: 'refused', how: read.end === 'rst' ? 'rst' : read.end === 'timeout' ? 'timeout' : 'closed', said: read.event };
  };
  let lateMs: number | undefined;
  if (!opened.ok) {
    const { read } = opened;
    if (read.ok || read.end !== 'timeout' || opened.preliminary || !options.held) return refusedBy(read, false);
    const late = await awaitLateGreeting(session.conn, limits.replyTimeoutMs, read.ms, options.held);
    if (late.kind === 'silent') {
      log(label, session.take());
      session.conn.destroy();
      return { kind: 'silent', said: late.read.end === 'timeout' ? '' : late.read.event, heldMs: late.heldMs };
    }
    if (late.kind === 'freed') {
      log(label, session.take());
      session.conn.destroy();
      return { kind: 'refused', how: 'freed', said: said(late.read), heldMs: late.heldMs };
    }
    // RFC 959 §5.4: a 120 first, the 220 still to come.
    const greeting = late.read.ok && late.read.value.code === 120 ? await session.conn.readReply() : late.read;
    if (!greeting.ok || greeting.value.code !== 220) return refusedBy(greeting, false);
    lateMs = late.ms;
  }
  const login = await session.loginAs(target);
  if (!login.ok) return refusedBy(login.last, login.at === 'PASS' && login.code === 530);
  log(label, session.take());
  return { kind: 'in', session, ...(lateMs === undefined ? {} : { lateMs }) };
}

async function sessionLimit(target: ProbeTarget, limits: ProbeLimits): Promise<Finding> {
  const id = 'ftp.session-limit';
  const rfc = RFC['session-limit'];
  const max = Math.max(1, Math.floor(limits.maxSessions));
  const sent: string[] = [];
  const received: string[] = [];
  const log = (label: string, t: { sent: string[]; received: string[] }): void => {
    sent.push(...t.sent.map((line) => `${label} ${line}`));
    received.push(...t.received.map((line) => `${label} ${line}`));
  };
  const open: { readonly label: string; readonly session: FtpSession }[] = [];
  const endOne = async (): Promise<void> => {
    const first = open.shift();
    if (!first) return;
    await first.session.command('QUIT', { timeoutMs: Math.min(limits.replyTimeoutMs, 1_000) });
    log(first.label, first.session.take());
    first.session.conn.destroy();
  };
  const slow: LateSession[] = [];
  try {
    let refusal: Exclude<Admission, { kind: 'in' }> | undefined;
    let admitted = 0;
    for (let n = 1; n <= max && !refusal; n++) {
      const held: Held = { anyEnded: () => open.some((o) => o.session.conn.ended !== null), ...(open.length ? { endOne } : {}) };
      const a = await admit(target, limits, log, `#${n}`, { held });
      if (a.kind !== 'in') refusal = a;
      else {
        admitted++;
        open.push({ label: `#${n}`, session: a.session });
        if (a.lateMs !== undefined) slow.push({ n, ms: a.lateMs });
      }
    }
    // How a held session the server itself ended went.
    if (refusal) for (const o of open) if (o.session.conn.ended !== null) log(o.label, o.session.take());
    const transcript = { sent, received };
    const found = await (async (): Promise<Finding> => {
      if (!refusal)
        return finding(
          id,
          'pass',
          rfc,
          `${admitted} sessions at once were all admitted: no limit up to ${max} (the most the probe was allowed to open).`,
          transcript,
        );
      if (refusal.kind === 'silent') {
        const advice = silentAdvice({
          others: admitted,
          who: 'the next',
          heldMs: refusal.heldMs,
          boundMs: limits.replyTimeoutMs,
          ended: refusal.said,
          greetingCheck: 'ftp.greeting',
        });
        return finding(id, admitted === 0 ? 'skip' : 'warn', rfc, advice, transcript);
      }
      if (admitted === 0)
        return finding(id, 'skip', rfc, `Not measured: not even one session was admitted (${refusal.said}; see ftp.greeting and ftp.login).`, transcript);
      // Per client address, or in all? Only answerable from another source address: loopback targets
      // only, and not once a held session was ended to free a slot (the next one would take it).
      let scope = '';
      const peer = unmapped(open[0]?.session.conn.remoteAddress) ?? '';
      if (refusal.how !== 'freed' && admitted + 1 < max && isIPv4(peer) && peer.startsWith('127.')) {
        const here = unmapped(open[0]?.session.conn.localAddress) ?? '';
        const other = here === '127.0.0.2' ? '127.0.0.3' : '127.0.0.2';
        const a = await admit(target, limits, log, `#${admitted + 2} from ${other}`, { localAddress: other });
        if (a.kind === 'in') {
          open.push({ label: `#${admitted + 2}`, session: a.session });
          scope = ` per client address (a session from ${other} was still admitted)`;
        } else if (a.kind === 'refused' && a.how === refusal.how && a.said === refusal.said)
          scope = ` in all (a session from ${other} was refused the same way)`;
        // Refused otherwise (vsftpd: max_per_ip then max_clients): two limits, and the total one is near.
        else scope = ` from one client address (a session from ${other} then got ${a.said}: a limit on all clients is near too)`;
      }
      return refusedFinding(id, rfc, `The server admits ${admitted} sessions${scope}`, refusal, transcript, admitted);
    })();
    return slow.length ? { ...found, advice: `${found.advice} ${lateNote(slow, 'ftp.greeting')}` } : found;
  } finally {
    for (const { session } of open) session.conn.destroy();
  }
}

function refusedFinding(
  id: string,
  rfc: string,
  what: string,
  r: Extract<Admission, { kind: 'refused' }>,
  transcript: { sent: string[]; received: string[] },
  limit: number,
): Finding {
  let status: FindingStatus;
  let how: string;
  switch (r.how) {
    case 'reply':
      status = r.code === 421 ? 'pass' : 'warn';
      how = r.code === 421 ? `the next one got ${r.said}, as it should` : `the next one got ${r.said} instead of 421`;
      break;
    case 'pass':
      status = 'warn';
      how = `the next one was greeted, then refused at PASS with ${r.said}: clients report a wrong password; refuse with 421 at connect instead (proftpd: MaxClients answers at login)`;
      break;
    case 'rst':
      status = 'fail';
      how = 'the next one was reset (RST) without a reply: clients report "connection reset" and may retry at once; answer 421 and close';
      break;
    case 'closed':
      status = 'fail';
      how = 'the next one was closed without a reply: clients cannot tell a limit from a crash; answer 421 and close (proftpd MaxInstances closes silently)';
      break;
    case 'freed':
      status = 'warn';
      how = `the next one got no greeting for ${seconds(r.heldMs ?? 0, 2)} s, then ${r.said} once one of them ended: clients over the limit wait in silence; answer 421 and close`;
      break;
    case 'timeout':
      status = 'fail';
      how = `the next one got no greeting at all (${r.said}): clients hang until they time out; answer 421 and close`;
      break;
    default:
      status = 'fail';
      how = `the next connection failed (${r.said}): the listener refuses connections instead of answering 421`;
  }
  return finding(id, status, rfc, `${what}; ${how}.`, transcript, limit);
}
