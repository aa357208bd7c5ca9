/**
 * The probe's own file on the server (the uploads of ftp.integrity, ftp.quota, ftp.data-timeout): a
 * unique name, always deleted at the end, whatever happened, in a new session when the old one broke.
 * What the deletion did belongs to the check's finding: a file left behind is said there.
 */
import { openLoggedIn, type FtpSession } from './ftp-control.js';
import { finding, merge } from './finding.js';
import { codeOf, probeFileName, said } from './ftp-shared.js';
import type { Finding, FindingStatus, ProbeContext, ProbeLimits, ProbeTarget } from './types.js';

/** What one side said, line by line, for a finding's transcript. */
export type Transcript = { sent: string[]; received: string[] };

/** How deleting the probe's file went. */
export interface Cleanup {
  readonly ok: boolean;
  readonly said: string;
  readonly transcript: Transcript;
}

/** DELE the probe's file (a check's upload, complete or not): in this session if it still answers, else (or if it gave no answer) in a new one. */
export async function remove(s: FtpSession, path: string, target: ProbeTarget, limits: ProbeLimits): Promise<Cleanup & { session: FtpSession }> {
  const deleted = (code: number): boolean => code === 250 || code === 200;
  s.take();
  let transcript: Transcript = { sent: [], received: [] };
  if (!s.stale) {
    const dele = await s.command(`DELE ${path}`);
    transcript = s.take();
    if (dele.ok) return { ok: deleted(dele.value.code), said: said(dele), transcript, session: s };
  }
  await s.quit();
  const fresh = await openLoggedIn(target, limits);
  if (!fresh.ok) return { ok: false, said: fresh.why, transcript, session: s };
  const dele = await fresh.session.command(`DELE ${path}`);
  return { ok: deleted(codeOf(dele)), said: said(dele), transcript: merge(transcript, fresh.session.take(), 'new session'), session: fresh.session };
}

/** What a check that uploads a probe file does with it: `wrote(path)` as soon as a STOR got past its first reply (a file may exist). */
export type ProbeFileWork<T> = (s: FtpSession, name: string, wrote: (path: string) => void) => Promise<T>;

/**
 * Runs `work` on the logged-in session `s` with a fresh probe file name, then deletes the file it
 * wrote, even when `work` threw, and QUITs. An interrupt (`context.signal`) cuts the transfer under
 * way so the deletion comes at once; a file that could not be deleted goes to `context.onLeftBehind`.
 * When `work` throws, the cleanup still runs and the error goes on.
 */
export async function withProbeFile<T>(
  s: FtpSession,
  target: ProbeTarget,
  limits: ProbeLimits,
  context: ProbeContext,
  work: ProbeFileWork<T>,
): Promise<{ readonly value: T; readonly cleanup: Cleanup | undefined; readonly name: string }> {
  const name = probeFileName();
  const stop = context.signal;
  let path: string | undefined;
  let session = s;
  let cleanup: Cleanup | undefined;
  const cut = (): void => session.cut();
  stop?.addEventListener('abort', cut, { once: true });
  let value: T;
  try {
    value = await work(s, name, (p) => {
      path = p;
    });
  } finally {
    stop?.removeEventListener('abort', cut);
    if (path !== undefined) {
      const removed = await remove(session, path, target, limits);
      session = removed.session;
      cleanup = removed;
      if (!removed.ok) context.onLeftBehind?.(path, removed.said);
    }
    await session.quit();
  }
  return { value, cleanup, name };
}

/**
 * A check's judgement with its probe file's deletion folded in: the advice says the file was deleted,
 * or names the file left behind (and a pass becomes a warn: the server kept what it was asked to remove).
 */
export function withCleanup<J extends { readonly status: FindingStatus; readonly advice: string }>(
  judged: J,
  cleanup: Cleanup | undefined,
  name: string,
  noun: 'file' | 'partial file' = 'file',
): J {
  if (!cleanup) return judged;
  const advice = judged.advice.replace(/\.$/, '');
  if (cleanup.ok) return { ...judged, advice: `${advice}; the ${noun === 'file' ? "probe's file" : 'partial file'} was deleted.` };
  return {
    ...judged,
    status: judged.status === 'pass' ? 'warn' : judged.status,
    advice: `${advice}; the probe could not delete its ${noun} ${name} (${cleanup.said}): remove it by hand.`,
  };
}

/** What a one-finding upload check concluded, before its file's deletion is folded in. */
export type Judged = { status: FindingStatus; advice: string; value?: string };

/**
 * A check that is one finding on its own probe file (ftp.quota, ftp.data-timeout): `judge` runs on
 * the session `s` (see withProbeFile), then the deletion is folded into the advice and the transcript.
 */
export async function probeFileFinding(
  check: { readonly id: string; readonly rfc: string; readonly noun?: 'file' | 'partial file' },
  s: FtpSession,
  target: ProbeTarget,
  limits: ProbeLimits,
  context: ProbeContext,
  judge: ProbeFileWork<Judged>,
): Promise<Finding> {
  const { value, cleanup, name } = await withProbeFile(s, target, limits, context, async (session, file, wrote) => {
    const judged = await judge(session, file, wrote);
    return { judged, transcript: session.take() };
  });
  const j = withCleanup(value.judged, cleanup, name, check.noun);
  const transcript = cleanup ? merge(value.transcript, cleanup.transcript, 'cleanup') : value.transcript;
  return finding(check.id, j.status, check.rfc, j.advice, transcript, j.value);
}
