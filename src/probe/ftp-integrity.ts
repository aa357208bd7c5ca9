/**
 * FTP checks that move a file: `ftp.integrity` and `ftp.resume` (ids documented in ./ftp.ts). One
 * logged-in session; the probe's file has a unique name and is deleted at the end, whatever happened
 * (in a new session if this one broke).
 *
 *   TYPE I, FEAT ─► STOR wireprobe-probe-<random>.bin (random octets; tried in ., pub/, incoming/)
 *     ─► SIZE, MDTM ─► RETR, compare SHA-256                                      integrity
 *     ─► REST n, RETR: only the last octets? ─► APPE more ─► RETR, compare       resume
 *     ─► DELE (always)
 *
 * Data connections go by the first mode that works (EPSV, PASV to the control address, active): the
 * modes themselves are judged in ./ftp-data.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { DataOpener, openLoggedIn, type FtpSession, type Transfer } from './ftp-control.js';
import { codeOf, finding, merge, probeFileName, said, skipped } from './ftp-finding.js';
import { ftpRfc } from './ftp-ids.js';
import type { Finding, FindingStatus, ProbeContext, ProbeLimits, ProbeTarget } from './types.js';

const RFC = { integrity: ftpRfc('ftp.integrity'), resume: ftpRfc('ftp.resume') } as const;

/** Octets uploaded: not a power of two, several TCP segments and more than one 64 KiB write. */
export const PAYLOAD_OCTETS = 100_000;
/** Octets appended by the resume check's APPE. */
const APPENDED_OCTETS = 1_000;
/** Where to try the upload when the login directory refuses it (anonymous servers often allow pub/ only). */
const UPLOAD_DIRS = ['', 'pub/', 'incoming/'];
/** Refusals of a transfer's data connection (not of the file name): no point trying another directory. */
const DATA_TROUBLE: ReadonlySet<number> = new Set([425, 426]);
const NOT_IMPLEMENTED: ReadonlySet<number> = new Set([500, 502, 504]);

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
type Transcript = { sent: string[]; received: string[] };

/**
 * The integrity and resume checks. An interrupt (`context.signal`) cuts the transfer under way, skips
 * the remaining steps and goes straight to the DELE (each wait bounded by limits.replyTimeoutMs).
 */
export async function ftpIntegrityChecks(target: ProbeTarget, limits: ProbeLimits, context: ProbeContext = {}): Promise<Finding[]> {
  const stop = context.signal;
  const opened = await openLoggedIn(target, limits);
  if (!opened.ok) return [skipped('ftp.integrity', RFC.integrity, opened.why), skipped('ftp.resume', RFC.resume, opened.why)];
  let s = opened.session;
  const name = probeFileName();
  /** Where the file went (once a STOR got past its first reply): what DELE must remove. */
  let path: string | undefined;
  let integrity: { status: FindingStatus; advice: string; value?: number; transcript: Transcript } | undefined;
  let resume: Finding | undefined;
  let cleanup: { ok: boolean; said: string; transcript: Transcript } | undefined;
  const interrupted = (): boolean => {
    if (!stop?.aborted) return false;
    integrity ??= { status: 'skip', advice: 'Not finished: the probe was interrupted.', transcript: s.take() };
    resume ??= skipped('ftp.resume', RFC.resume, 'Not run: the probe was interrupted.');
    return true;
  };
  const steps = async (): Promise<void> => {
    await s.command('TYPE I');
    const feat = await s.command('FEAT');
    const restAdvertised = feat.ok && feat.value.code === 211 && feat.value.lines.some((l) => /^\s*REST\s+STREAM/i.test(l));
    const data = new DataOpener(s);
    const payload = randomBytes(PAYLOAD_OCTETS);
    const up = await upload(s, data, name, payload, stop);
    path = up.path;
    if (interrupted()) return;
    if (!up.ok) {
      integrity = { ...up.result, transcript: s.take() };
      resume = skipped('ftp.resume', RFC.resume, 'Not run: the upload did not succeed (see ftp.integrity).');
      return;
    }
    const stored = up.path;
    const size = await s.command(`SIZE ${stored}`);
    await s.command(`MDTM ${stored}`);
    const down = await download(s, data, `RETR ${stored}`);
    if (interrupted()) return;
    integrity = { ...judgeIntegrity(payload, size, down, stored), transcript: s.take() };
    if (s.stale) {
      resume = skipped('ftp.resume', RFC.resume, 'Not run: the session stopped answering in step (see ftp.integrity).');
      return;
    }
    resume = down.data && down.data.length > 0 ? await resumeCheck(s, data, stored, down.data, restAdvertised, stop) : skipped('ftp.resume', RFC.resume, 'Not run: the file could not be downloaded back (see ftp.integrity).');
  };
  const cut = (): void => s.cut();
  stop?.addEventListener('abort', cut, { once: true });
  try {
    await steps();
  } finally {
    stop?.removeEventListener('abort', cut);
    // Even when a step failed or threw: the probe leaves nothing behind if the server lets it.
    if (path !== undefined) {
      const removed = await remove(s, path, target, limits);
      s = removed.session;
      cleanup = removed;
      if (!removed.ok) context.onLeftBehind?.(path, removed.said);
    }
    await s.quit();
  }
  // Built after the cleanup, whose outcome belongs to the integrity finding (a file left behind).
  return build(integrity, resume, cleanup, name);
}

/** The two findings, the cleanup folded into integrity. */
function build(
  integrity: { status: FindingStatus; advice: string; value?: number; transcript: Transcript } | undefined,
  resume: Finding | undefined,
  cleanup: { ok: boolean; said: string; transcript: Transcript } | undefined,
  name: string,
): Finding[] {
  const i = integrity ?? { status: 'fail' as FindingStatus, advice: 'The check stopped early.', transcript: { sent: [], received: [] } };
  let status = i.status;
  let advice = i.advice;
  let transcript = i.transcript;
  if (cleanup) {
    transcript = merge(transcript, cleanup.transcript, 'cleanup');
    if (cleanup.ok) advice = `${advice.replace(/\.$/, '')}; the probe's file was deleted.`;
    else {
      advice = `${advice.replace(/\.$/, '')}; the probe could not delete its file ${name} (${cleanup.said}): remove it by hand.`;
      if (status === 'pass') status = 'warn';
    }
  }
  return [finding('ftp.integrity', status, RFC.integrity, advice, transcript, i.value), resume ?? skipped('ftp.resume', RFC.resume, 'Not run: the check stopped early.')];
}

/** STOR in the first directory that takes it. `path` is set once a STOR started (a file may exist). */
async function upload(
  s: FtpSession,
  data: DataOpener,
  name: string,
  payload: Buffer,
  stop?: AbortSignal,
): Promise<{ ok: true; path: string } | { ok: false; path?: string; result: { status: FindingStatus; advice: string; value?: number } }> {
  let refusal = '';
  const stopped = { ok: false as const, result: { status: 'skip' as const, advice: 'Not run: the probe was interrupted.' } };
  for (const dir of UPLOAD_DIRS) {
    if (stop?.aborted) return stopped;
    const plan = await data.open();
    if (plan && stop?.aborted) {
      plan.close();
      return stopped;
    }
    if (!plan) return { ok: false, result: { status: 'fail', advice: 'No data connection could be made (EPSV, PASV and active all failed: see ftp.pasv-connect, ftp.epsv, ftp.active), so nothing was uploaded.' } };
    const path = `${dir}${name}`;
    const t = await s.transfer(plan, `STOR ${path}`, payload);
    const first = codeOf(t.first);
    if (t.first.ok && first >= 400 && !DATA_TROUBLE.has(first)) {
      refusal ||= said(t.first);
      continue;
    }
    if (!t.first.ok) return { ok: false, path, result: { status: 'fail', advice: `STOR got no reply (${t.first.event}).` } };
    if (first >= 400) return { ok: false, path, result: { status: 'fail', advice: `STOR got ${said(t.first)}: the data connection could not be used (see ftp.pasv-connect, ftp.epsv).`, value: first } };
    const final = codeOf(t.final);
    if (t.dataFailed) return { ok: false, path, result: { status: 'fail', advice: `STOR got ${first}, but the data connection was never made (${t.dataFailed}); then ${said(t.final)}.` } };
    if (final !== 226 && final !== 250) {
      return { ok: false, path, result: { status: 'fail', advice: `An upload of ${payload.length} octets ended with ${said(t.final)} instead of 226: uploads fail (quota, disk space, a limit?).`, value: final || undefined } };
    }
    return { ok: true, path };
  }
  return { ok: false, result: { status: 'skip', advice: `Uploads are refused (${refusal}, also in pub/ and incoming/): give the probe a login that may write to check integrity.` } };
}

/** A download over the opener's data connection; `data` only when it completed (226/250 after a clean end). */
async function download(s: FtpSession, data: DataOpener, line: string): Promise<Transfer & { complete: boolean }> {
  const plan = await data.open();
  if (!plan) return { first: { ok: false, end: 'error', event: '[no data connection]', ms: 0 }, complete: false };
  const t = await s.transfer(plan, line);
  const code = codeOf(t.final);
  return { ...t, complete: t.first.ok && t.first.value.code < 200 && (code === 226 || code === 250) && t.dataEnd === 'closed' };
}

function judgeIntegrity(payload: Buffer, size: Awaited<ReturnType<FtpSession['command']>>, down: Transfer & { complete: boolean }, path: string): { status: FindingStatus; advice: string; value?: number } {
  const sent = payload.length;
  const sizeCode = codeOf(size);
  const sized = sizeCode === 213 && size.ok ? Number(size.value.lines[0]?.trim()) : undefined;
  if ((!down.complete || !down.data) && sized !== undefined && sized !== sent) {
    return { status: 'fail', advice: `The server answered 226 to an upload of ${sent} octets but SIZE says ${sized}: it loses or adds data silently; check disk space, quotas, upload filters and the file system.`, value: sized };
  }
  const refused = down.first.ok && down.first.value.code >= 400;
  if (!down.data && refused && sized === sent) {
    // vsftpd's anon_world_readable_only, drop-box directories: uploads that may not be read back.
    return { status: 'warn', advice: `The upload of ${sent} octets got 226 and SIZE ${sized}, but RETR was refused (${said(down.first)}), so the content could not be compared: fine for an upload-only (drop box) setup, else allow the probe's login to read its uploads.`, value: sized };
  }
  if (!down.complete || !down.data) {
    return { status: 'fail', advice: `The upload of ${sent} octets to ${path} got 226, but downloading it back failed: RETR got ${said(down.first)}${down.final ? `, then ${said(down.final)}` : ''}.`, ...(sized !== undefined ? { value: sized } : {}) };
  }
  const got = down.data;
  const same = got.length === sent && sha256(got) === sha256(payload);
  if (!same || (sized !== undefined && sized !== sent)) {
    const sizeSays = sized !== undefined ? `SIZE ${sized}, ` : '';
    const what = got.length < sent ? `kept ${got.length}` : got.length > sent ? `holds ${got.length}` : 'holds different octets';
    return { status: 'fail', advice: `The server answered 226 to an upload of ${sent} octets but ${what} (${sizeSays}the download's SHA-256 ${same ? 'matches' : 'differs'}): it loses data silently; check disk space, quotas, upload filters and the file system.`, value: got.length };
  }
  if (sizeCode === 0 || NOT_IMPLEMENTED.has(sizeCode)) {
    return { status: 'warn', advice: `Uploaded ${sent} random octets and the download's SHA-256 matches, but SIZE is not supported (${said(size)}): clients cannot check sizes or resume by size (RFC 3659 §4).`, value: got.length };
  }
  if (sized === undefined) {
    return { status: 'warn', advice: `Uploaded ${sent} random octets and the download's SHA-256 matches, but SIZE of the file got ${said(size)} instead of 213 ${sent}.`, value: got.length };
  }
  return { status: 'pass', advice: `Uploaded ${sent} random octets: 226, SIZE ${sized}, and the download's SHA-256 matches.`, value: got.length };
}

/** REST n then RETR (only the rest should come), then APPE and a download of the whole. */
async function resumeCheck(s: FtpSession, data: DataOpener, path: string, held: Buffer, restAdvertised: boolean, stop?: AbortSignal): Promise<Finding> {
  const id = 'ftp.resume';
  const offset = Math.floor(held.length / 2);
  const problems: string[] = [];
  const notes: string[] = [];
  let status: FindingStatus = 'pass';
  let value: number | undefined;
  const worse = (next: FindingStatus): void => {
    if (next === 'fail' || (next === 'warn' && status === 'pass')) status = next;
  };
  const rest = await s.command(`REST ${offset}`);
  if (codeOf(rest) === 350) {
    const down = await download(s, data, `RETR ${path}`);
    value = down.data?.length;
    if (!down.complete || !down.data) {
      worse('fail');
      problems.push(`RETR after REST ${offset} got ${said(down.first)}${down.final ? `, then ${said(down.final)}` : ''}`);
    } else if (down.data.equals(held.subarray(offset))) {
      notes.push(`REST ${offset} then RETR brought the last ${down.data.length} octets`);
    } else {
      worse('fail');
      problems.push(down.data.equals(held) ? `REST ${offset} was accepted (350) but RETR sent the whole file: clients resuming a download get a corrupt file` : `REST ${offset} then RETR brought ${down.data.length} octets that are not the last ${held.length - offset}`);
    }
  } else {
    worse(restAdvertised ? 'fail' : 'warn');
    problems.push(`REST ${offset} got ${said(rest)}${restAdvertised ? ' although FEAT advertises REST STREAM' : ''}: interrupted downloads restart from zero`);
  }
  if (codeOf(rest) === 350 && !restAdvertised) notes.push('REST STREAM is not in FEAT, so clients may not use it');
  if (stop?.aborted) return skipped(id, RFC.resume, 'Not finished: the probe was interrupted.');
  const tail = randomBytes(APPENDED_OCTETS);
  const plan = await data.open();
  const appe = plan ? await s.transfer(plan, `APPE ${path}`, tail) : undefined;
  const appeCode = codeOf(appe?.final);
  if (!appe || !appe.first.ok || appe.first.value.code >= 400) {
    const code = codeOf(appe?.first);
    worse(NOT_IMPLEMENTED.has(code) ? 'warn' : 'fail');
    problems.push(`APPE got ${appe ? said(appe.first) : 'no data connection'}: interrupted uploads cannot be resumed`);
  } else if (appeCode !== 226 && appeCode !== 250) {
    worse('fail');
    problems.push(`APPE of ${tail.length} octets ended with ${said(appe.final)}`);
  } else {
    const whole = await download(s, data, `RETR ${path}`);
    const expected = Buffer.concat([held, tail]);
    if (whole.complete && whole.data && sha256(whole.data) === sha256(expected)) notes.push(`APPE added ${tail.length} octets in place`);
    else {
      worse('fail');
      problems.push(`APPE of ${tail.length} octets got 226, but the file then ${whole.data ? `held ${whole.data.length} octets, not the ${expected.length} expected` : `could not be downloaded (${said(whole.first)})`}`);
    }
  }
  const advice = problems.length > 0 ? `${problems.join('; ')}.` : `${notes.join('; ')}.`;
  return finding(id, status, RFC.resume, problems.length > 0 && notes.length > 0 ? `${advice.replace(/\.$/, '')} (${notes.join('; ')}).` : advice, s.take(), value);
}

/** DELE the probe's file: in this session if it still answers, else (or if it gave no answer) in a new one. */
async function remove(s: FtpSession, path: string, target: ProbeTarget, limits: ProbeLimits): Promise<{ ok: boolean; said: string; transcript: Transcript; session: FtpSession }> {
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
