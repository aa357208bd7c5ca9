/**
 * FTP check of a transfer longer than the idle timeout: `ftp.long-transfer` (id documented in
 * ./ftp-ids.ts). Only with limits.maxIdleSeconds > 0, after ftp.idle-timeout, whose measured timeout
 * (or, when none was found, the --max-idle bound) it outlasts by TRANSFER_MARGIN_SECONDS.
 *
 *   TYPE I ─► data connection ─► STOR wireprobe-probe-<random>.bin
 *     ─► PIECE_OCTETS every TICK_MS (the data connection never idles), nothing on the control connection
 *     ─► FIN ─► 226 on the control connection ─► SIZE = octets sent
 *     ─► DELE (always; in a new session if needed)
 *
 * The field failure (basic-ftp#16, ftp-srv#387): a server, or a NAT, whose idle timer on the control
 * connection runs while only the data connection is busy closes the session under a transfer that
 * is still going, and the 226 (RFC 959 §4.2: closing data connection, file action successful) never comes.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { FtpSession, openLoggedIn } from './ftp-control.js';
import { type Judged, probeFileFinding } from './ftp-cleanup.js';
import { storProbeFile } from './ftp-probe-stor.js';
import { codeOf, said } from './ftp-shared.js';
import { seconds, skipped } from './finding.js';
import { rfcOf } from './ids.js';
import type { RawConnection, Read } from './raw.js';
import type { Reply } from '../protocol/reply.js';
import type { Finding, ProbeContext, ProbeLimits, ProbeTarget } from './types.js';

const ID = 'ftp.long-transfer';
const RFC = rfcOf(ID);
/** How much longer than the idle timeout the transfer lasts: past a timer checked once a second. */
export const TRANSFER_MARGIN_SECONDS = 2;
/** A few KiB a second, in pieces a quarter of a second apart: slow, but never idle. */
const PIECE_OCTETS = 1024;
const TICK_MS = 250;
/** Sessions tried while the server is still at its session limit (see openPastRamp), and the first pause between them. */
const LIMIT_ATTEMPTS = 5;
const LIMIT_PAUSE_MS = 250;

/** How long the transfer lasts, seconds, and why that long (for the advice). */
export interface TransferPlan {
  readonly seconds: number;
  readonly basis: string;
}

/**
 * The transfer's length: the idle timeout ftp.idle-timeout measured (an earlier finding), or when it
 * measured none, the --max-idle bound; plus the margin. Never over --max-idle plus the margin.
 */
export function transferPlan(maxIdleSeconds: number, earlier: readonly Finding[] = []): TransferPlan {
  const idle = earlier.find((f) => f.id === 'ftp.idle-timeout');
  const measured = typeof idle?.value === 'number' && idle.value > 0 ? Math.min(idle.value, maxIdleSeconds) : undefined;
  const base = measured ?? maxIdleSeconds;
  const basis =
    measured === undefined
      ? `the --max-idle bound of ${maxIdleSeconds} s, no idle timeout having been measured`
      : `the idle timeout of ${measured} s that ftp.idle-timeout measured`;
  return { seconds: base + TRANSFER_MARGIN_SECONDS, basis };
}

/** The long-transfer check, as a check group of its own (its own session and file); runs after ftp.idle-timeout. */
export async function ftpLongTransferChecks(target: ProbeTarget, limits: ProbeLimits, context: ProbeContext = {}): Promise<Finding[]> {
  if (!(limits.maxIdleSeconds > 0))
    return [
      skipped(
        ID,
        RFC,
        'Not run: a transfer longer than the idle timeout takes time; allow it with a maximum idle wait in seconds (--max-idle), which also bounds the transfer.',
      ),
    ];
  const plan = transferPlan(limits.maxIdleSeconds, context.earlier);
  const opened = await openPastRamp(target, limits);
  if (!opened.ok) return [skipped(ID, RFC, opened.why)];
  const check = { id: ID, rfc: RFC, noun: 'file' as const };
  return [await probeFileFinding(check, opened.session, target, limits, context, (s, file, wrote) => longStor(s, file, plan, limits, wrote, context.signal))];
}

/**
 * A logged-in session. The session-limit ramp, which runs just before, leaves the server at its limit
 * for a moment after its sessions are closed (vsftpd counts a session until its process is reaped): a
 * 421 at connect is tried again a few times, a little later each time. Anything else is not retried
 * (a wrong password twice would count against the probe's address).
 */
async function openPastRamp(target: ProbeTarget, limits: ProbeLimits): ReturnType<typeof openLoggedIn> {
  for (let attempt = 1; attempt < LIMIT_ATTEMPTS; attempt++) {
    const opened = await FtpSession.open(target, limits);
    if (!opened.ok && opened.stage === 'greeting' && codeOf(opened.read) === 421) {
      opened.session.conn.destroy();
      await pause(LIMIT_PAUSE_MS * attempt);
      continue;
    }
    if (!opened.ok) break;
    const login = await opened.session.loginAs(target);
    if (!login.ok) {
      await opened.session.quit();
      return { ok: false, why: `Not run: the login failed (${said(login.last)}; see ftp.login).` };
    }
    opened.session.take();
    return { ok: true, session: opened.session };
  }
  return openLoggedIn(target, limits);
}

/** STOR (in the first directory that takes it), then the slow upload, judged. */
function longStor(s: FtpSession, name: string, plan: TransferPlan, limits: ProbeLimits, wrote: (path: string) => void, stop?: AbortSignal): Promise<Judged> {
  return storProbeFile(s, name, limits, wrote, 'the check is an upload', (data, path) => trickle(s, data, path, plan, limits.replyTimeoutMs, stop));
}

/** What came on the control connection (a reply, its end, or the wait's end), and when: during the upload, it cut the upload short. */
type Heard = { readonly read: Read<Reply>; readonly at: number };

/** The slow upload: pieces until the plan's end, the control connection watched all along; then FIN, the final reply, SIZE. */
async function trickle(s: FtpSession, data: RawConnection, path: string, plan: TransferPlan, replyMs: number, stop?: AbortSignal): Promise<Judged> {
  const start = performance.now();
  const since = (): number => seconds(performance.now() - start, 1);
  const durationMs = plan.seconds * 1000;
  // One read covers the whole upload and the wait for its final reply: whatever the server says
  // before the FIN, or a close, ends the upload early.
  const control = s.next(durationMs + replyMs);
  let heard: Heard | undefined;
  const settled = control.then((read) => {
    heard = { read, at: since() };
  });
  const piece = Buffer.alloc(PIECE_OCTETS, 0x5a);
  let sent = 0;
  let dataEnd: 'gone' | 'stalled' | undefined;
  s.conn.note(`[data: ${PIECE_OCTETS} octets every ${TICK_MS} ms for ${plan.seconds} s, the control connection left silent]`);
  // Interrupted: the upload ends at once with an RST (a FIN would be end of file, RFC 959 §3.4.1) and
  // the file is deleted.
  const abort = (): void => data.reset();
  stop?.addEventListener('abort', abort, { once: true });
  try {
    // A piece at each tick from 0 up to the end, so the octets sent depend on the plan, not on timers.
    const ticks = Math.ceil(durationMs / TICK_MS);
    for (let tick = 1; tick <= ticks && !heard && !stop?.aborted; tick++) {
      const wrote = await within(Promise.race([data.write(piece, { show: [] }), settled.then(() => 'heard' as const)]), replyMs, 'stalled' as const);
      if (wrote === 'heard') break;
      if (wrote !== true) {
        dataEnd = wrote === 'stalled' ? 'stalled' : 'gone';
        break;
      }
      sent += piece.length;
      await within(settled, start + Math.min(tick * TICK_MS, durationMs) - performance.now(), undefined);
    }
  } finally {
    stop?.removeEventListener('abort', abort);
  }
  if (stop?.aborted || heard || dataEnd) {
    data.reset();
    const at = since();
    if (!heard) await within(settled, replyMs, undefined);
    if (!heard) s.conn.destroy(); // its pending read would take the next command's reply: cleanup uses a new session
    if (stop?.aborted) return { status: 'skip', advice: 'Not finished: the probe was interrupted.' };
    s.conn.note(`[data: ${sent} octets sent, then upload aborted by the probe (RST)]`);
    return cutShort(heard, dataEnd, at, sent, plan);
  }
  await data.end();
  s.conn.note(`[data: ${sent} octets sent over ${since()} s, then FIN]`);
  await settled;
  return final(s, path, heard ?? { read: await control, at: since() }, sent, plan);
}

/** The upload ended before its end: the control connection spoke or closed, or the data connection went. */
function cutShort(heard: Heard | undefined, dataEnd: 'gone' | 'stalled' | undefined, at: number, sent: number, plan: TransferPlan): Judged {
  const over = `a transfer meant to last ${plan.seconds} s, ${TRANSFER_MARGIN_SECONDS} s past ${plan.basis}`;
  if (heard && !heard.read.ok) {
    const how = heard.read.end === 'rst' ? 'reset (RST)' : 'closed';
    return {
      status: 'fail',
      value: `control connection ${how === 'closed' ? 'closed' : 'reset'} after ${heard.at} s`,
      advice: `The control connection was ${how} after ${heard.at} s of ${over}, while data was still moving: an idle timer on the control connection (the server's, or a NAT's on the way) took the transfer for silence, so the 226 (RFC 959 §4.2) never comes; a transfer must be timed by its data connection (vsftpd: data_connection_timeout), not by the session's idle timer (idle_session_timeout), and a NAT's timeout must outlast the longest transfer.`,
    };
  }
  if (heard?.read.ok) {
    const code = codeOf(heard.read);
    return {
      status: 'fail',
      value: `${code} after ${heard.at} s`,
      advice: `After ${heard.at} s of ${over}, while data was still moving, the server sent ${said(heard.read)}${code === 421 ? ' and closed the session' : ''}: it ended the transfer before its end, so the 226 (RFC 959 §4.2) never comes; a session must not time out during a transfer.`,
    };
  }
  if (dataEnd === 'stalled')
    return {
      status: 'warn',
      value: `stalled after ${at} s`,
      advice: `After ${at} s of ${over} (${sent} octets) the server stopped taking data and said nothing: the transfer could not be run to its end.`,
    };
  return {
    status: 'fail',
    value: `data connection closed after ${at} s`,
    advice: `After ${at} s of ${over} (${sent} octets) the server closed the data connection and no reply came on the control connection: the transfer was cut short without the 426 RFC 959 §4.2 gives for it.`,
  };
}

/** After the FIN: a 226, and SIZE equal to what was sent. */
async function final(s: FtpSession, path: string, end: Heard, sent: number, plan: TransferPlan): Promise<Judged> {
  const code = codeOf(end.read);
  const over = `${plan.seconds} s, ${TRANSFER_MARGIN_SECONDS} s past ${plan.basis}`;
  if (code === 226 || code === 250) {
    const size = await s.command(`SIZE ${path}`);
    const octets = codeOf(size) === 213 && size.ok ? Number(size.value.lines[0]) : Number.NaN;
    if (Number.isFinite(octets) && octets !== sent)
      return {
        status: 'warn',
        value: `${code}, SIZE ${octets} of ${sent}`,
        advice: `The control connection outlived a transfer of ${over}; the server answered ${said(end.read)}, but SIZE says ${octets} octets of the ${sent} sent: the file is not what was uploaded.`,
      };
    const held = Number.isFinite(octets) ? `SIZE ${octets}, as sent` : 'SIZE not answered, so the size is unchecked';
    return {
      status: 'pass',
      value: `${code} after ${end.at} s`,
      advice: `The control connection, silent all along, outlived a transfer of ${over}; the server answered ${said(end.read)} (${held}): no idle timer cut the session during the transfer.`,
    };
  }
  if (!end.read.ok && end.read.end === 'timeout')
    return {
      status: 'warn',
      value: `no reply after ${end.at} s`,
      advice: `A transfer of ${over}, ended (FIN) and no reply came on the control connection (${end.read.event}): clients wait for a 226 (RFC 959 §4.2) that does not come.`,
    };
  const what = end.read.ok ? `answered ${said(end.read)}` : `${end.read.end === 'rst' ? 'reset' : 'closed'} the control connection`;
  return {
    status: 'fail',
    value: end.read.ok ? `${code} after ${end.at} s` : `control connection ${end.read.end === 'rst' ? 'reset' : 'closed'} after ${end.at} s`,
    advice: `After a transfer of ${over}, the server ${what} instead of 226 (RFC 959 §4.2), ${end.at} s after it began: the session did not survive a transfer longer than its idle timeout.`,
  };
}

/** `p`, or `otherwise` once `ms` have passed (at once for ms <= 0); the timer is cleared either way. */
function within<T, U>(p: Promise<T>, ms: number, otherwise: U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<U>((resolve) => (timer = setTimeout(() => resolve(otherwise), Math.max(0, ms))));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
