/**
 * FTP check of a stalled transfer: `ftp.data-timeout` (id documented in ./ftp-ids.ts). Only with
 * limits.maxDataIdleSeconds > 0: it holds a data connection open for up to that long on purpose.
 *
 *   TYPE I ─► data connection ─► STOR wireprobe-probe-<random>.bin ─► 64 KiB, then nothing
 *     ─► wait (at most maxDataIdleSeconds) for the server to give up: a reply on the control
 *        connection (426, or 421 and a close) and/or the data connection closed
 *     ─► abort what is left, DELE the partial file (always; in a new session if needed)
 *
 * What it tells: how long a transfer may stall before the server drops it (vsftpd
 * data_connection_timeout, proftpd TimeoutStalled, pure-ftpd -I), and whether the client is told why
 * (RFC 959 §4.2: 426 "Connection closed; transfer aborted"). A server that answers 226 to a stall has
 * stored a truncated file as if it were complete.
 */
import { openLoggedIn, type FtpSession } from './ftp-control.js';
import { seconds, skipped } from './finding.js';
import { codeOf, said } from './ftp-shared.js';
import { rfcOf } from './ids.js';
import { type Judged, probeFileFinding } from './ftp-cleanup.js';
import { storProbeFile } from './ftp-probe-stor.js';
import { Payload } from './ftp-payload.js';
import type { RawConnection, Read } from './raw.js';
import type { Reply } from '../protocol/reply.js';
import type { Finding, ProbeContext, ProbeLimits, ProbeTarget } from './types.js';

const ID = 'ftp.data-timeout';
const RFC = rfcOf(ID);
/** Octets sent before the stall: a transfer that has visibly started. */
const STARTED_OCTETS = 64 * 1024;

/** The data-timeout check, as a check group of its own (its own session and file). */
export async function ftpDataTimeoutChecks(target: ProbeTarget, limits: ProbeLimits, context: ProbeContext = {}): Promise<Finding[]> {
  const bound = limits.maxDataIdleSeconds ?? 0;
  if (!(bound > 0))
    return [
      skipped(
        ID,
        RFC,
        'Not run: stalling an upload to measure the data-connection timeout takes time; allow it with a maximum stall in seconds (--max-data-idle).',
      ),
    ];
  const opened = await openLoggedIn(target, limits);
  if (!opened.ok) return [skipped(ID, RFC, opened.why)];
  const check = { id: ID, rfc: RFC, noun: 'partial file' as const };
  return [await probeFileFinding(check, opened.session, target, limits, context, (s, file, wrote) => stall(s, file, bound, limits, wrote, context.signal))];
}

/** STOR (in the first directory that takes it), a first piece, then silence until the server acts or the bound. */
function stall(s: FtpSession, name: string, boundSeconds: number, limits: ProbeLimits, wrote: (path: string) => void, stop?: AbortSignal): Promise<Judged> {
  return storProbeFile(s, name, limits, wrote, 'the stall is measured on an upload', async (data) => {
    const piece = new Payload(STARTED_OCTETS).pieces().next().value ?? Buffer.alloc(0);
    await data.write(piece, { show: [] });
    s.conn.note(`[data: ${piece.length} octets sent, then nothing for at most ${boundSeconds} s]`);
    // Interrupted: the stall ends at once (an RST, never a FIN that would store the partial file as
    // complete) and the partial file is deleted.
    const abort = (): void => data.reset();
    stop?.addEventListener('abort', abort, { once: true });
    if (stop?.aborted) abort();
    try {
      const judged = await watch(s, data, boundSeconds * 1000, limits.replyTimeoutMs);
      return stop?.aborted ? { status: 'skip', advice: 'Not finished: the probe was interrupted.' } : judged;
    } finally {
      stop?.removeEventListener('abort', abort);
    }
  });
}

/** Waits for the first sign that the server gave up on the stalled upload, then for the rest of it. */
async function watch(s: FtpSession, data: RawConnection, boundMs: number, replyMs: number): Promise<Judged> {
  const start = performance.now();
  const reply = s.next(boundMs);
  const end = data.waitForEnd(boundMs);
  const first = await Promise.race([reply.then(() => 'reply' as const), end.then(() => 'data' as const)]);
  const idle = seconds(performance.now() - start, 1);
  let read: Read<Reply> | undefined;
  let dataEnd: string | undefined;
  if (first === 'reply') {
    read = await reply;
    if (!read.ok && read.end === 'timeout') {
      // Nothing within the bound: aborted with an RST, since a FIN would be end of file (RFC 959 §3.4.1)
      // and store the partial upload as complete; the server's answer to that is not judged.
      data.reset();
      s.conn.note(`[still open after ${seconds(boundMs, 1)} s idle: upload aborted by the probe (RST)]`);
      await s.next(replyMs);
      const bound = seconds(boundMs, 1);
      return {
        status: 'pass',
        value: `still open after ${bound} s`,
        advice: `No data-connection timeout within ${bound} s (the --max-data-idle bound): a stalled transfer holds its session until the client gives up; slow links are not cut off.`,
      };
    }
    const ended = await Promise.race([end, delay(replyMs)]);
    dataEnd = ended ? ended.event : undefined;
  } else {
    dataEnd = (await end).event;
    const got = await Promise.race([reply, delay(replyMs)]);
    if (got) read = got;
    else s.conn.destroy(); // its pending read would take the next command's reply: cleanup uses a new session
  }
  const code = codeOf(read);
  const closed =
    dataEnd === undefined
      ? 'the data connection left open'
      : dataEnd === '[closed by server]'
        ? 'the data connection closed'
        : `the data connection ended ${dataEnd}`;
  if (code >= 200 && code < 300) {
    return {
      status: 'fail',
      value: `closed after ${idle} s idle with ${code}`,
      advice: `After ${idle} s without data the server ended the upload with ${said(read)}: it took the stall for the end of the file and stored a truncated file as complete; a stalled transfer must be aborted with 426 (RFC 959 §4.2).`,
    };
  }
  if (code >= 400) {
    const how = code === 426 ? 'as RFC 959 §4.2 asks' : 'so the client learns why (426 is the reply RFC 959 §4.2 gives for an aborted transfer)';
    return {
      status: 'pass',
      value: `closed after ${idle} s idle with ${code}`,
      advice: `The server gives up on a transfer stalled for ${idle} s with "${said(read)}" (${closed}), ${how}; a transfer that stops moving for that long is cut off.`,
    };
  }
  const control =
    read && !read.ok && read.end !== 'timeout' ? `the control connection ended too (${read.event}) without a reply` : 'no reply came on the control connection';
  return {
    status: 'warn',
    value: `closed after ${idle} s idle without a reply`,
    advice: `After ${idle} s without data ${closed} and ${control}: clients cannot tell a timeout from a network fault; a 426 (RFC 959 §4.2) says the transfer was aborted.`,
  };
}

/** Resolves undefined after `ms`. */
function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}
