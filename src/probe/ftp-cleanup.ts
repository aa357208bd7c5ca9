/** Deleting the probe's file at the end of an FTP check, in a new session when the old one broke. */
import { openLoggedIn, type FtpSession } from './ftp-control.js';
import { merge } from './finding.js';
import { codeOf, said } from './ftp-shared.js';
import type { ProbeLimits, ProbeTarget } from './types.js';

/** What one side said, line by line, for a finding's transcript. */
export type Transcript = { sent: string[]; received: string[] };

/** DELE the probe's file (a check's upload, complete or not): in this session if it still answers, else (or if it gave no answer) in a new one. */
export async function remove(
  s: FtpSession,
  path: string,
  target: ProbeTarget,
  limits: ProbeLimits,
): Promise<{ ok: boolean; said: string; transcript: Transcript; session: FtpSession }> {
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
