/**
 * FTP checks that move a file: `ftp.integrity` and `ftp.resume` (ids documented in ./ftp-ids.ts). One
 * logged-in session; the probe's file has a unique name and is deleted at the end, whatever happened
 * (in a new session if this one broke).
 *
 *   TYPE I, FEAT ─► STOR wireprobe-probe-<random>.bin (limits.uploadOctets, default 8 MiB of random
 *     octets, timed; tried in ., pub/, incoming/) ─► SIZE, MDTM ─► RETR, compare SHA-256      integrity
 *     ─► open the data connection, then REST n immediately before RETR (RFC 3659 §5.3):
 *        only the last octets? ─► APPE more ─► RETR, compare
 *        ─► REST n before STOR of the file's octets from n on ─► RETR: unchanged?         resume
 *     ─► DELE (always)
 *
 * The upload is large by default because what cuts uploads short (a buffer, a proxy's or a filter's
 * size threshold, a quota) only shows past a size; it is streamed, never held whole (./ftp-payload.ts).
 *
 * Data connections go by the first mode that works (EPSV, PASV to the control address, active): the
 * modes themselves are judged in ./ftp-data.ts.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { formatSize } from '../util/units.js';
import { openLoggedIn, type DataPlan, type FtpSession, type Transfer } from './ftp-control.js';
import { DataOpener } from './ftp-data-opener.js';
import { finding, merge, seconds, skipped } from './finding.js';
import { codeOf, said } from './ftp-shared.js';
import { rfcOf } from './ids.js';
import { Payload } from './ftp-payload.js';
import { type Cleanup, type Transcript, withCleanup, withProbeFile } from './ftp-cleanup.js';
import { DEFAULT_UPLOAD_OCTETS, type Finding, type FindingStatus, type ProbeContext, type ProbeLimits, type ProbeTarget } from './types.js';

const RFC = { integrity: rfcOf('ftp.integrity'), resume: rfcOf('ftp.resume') } as const;

/** Octets appended by the resume check's APPE. */
const APPENDED_OCTETS = 1_000;
/** Where to try an upload when the login directory refuses it (anonymous servers often allow pub/ only). */
export const UPLOAD_DIRS = ['', 'pub/', 'incoming/'] as const;
/** Refusals of a transfer's data connection (not of the file name): no point trying another directory. */
export const DATA_TROUBLE: ReadonlySet<number> = new Set([425, 426]);
const NOT_IMPLEMENTED: ReadonlySet<number> = new Set([500, 502, 504]);

/** `8MiB` for whole binary units, else `100000 octets`. */
const size = (octets: number): string => (/[KMG]iB$/.test(formatSize(octets)) ? formatSize(octets) : `${octets} octets`);

/** `3.2 s (2.5 MiB/s)`, `0.041 s (195 MiB/s)`: how long an upload took as the server saw it (150 to 226), and its rate. */
function pace(octets: number, ms: number): string {
  const rate = (octets / 1024 ** 2 / Math.max(ms, 1)) * 1000;
  return `${ms < 1000 ? (ms / 1000).toFixed(3) : seconds(ms, 1)} s (${rate >= 10 ? Math.round(rate) : Math.round(rate * 10) / 10} MiB/s)`;
}

/**
 * The integrity and resume checks. An interrupt (`context.signal`) cuts the transfer under way, skips
 * the remaining steps and goes straight to the DELE (each wait bounded by limits.replyTimeoutMs).
 */
export async function ftpIntegrityChecks(target: ProbeTarget, limits: ProbeLimits, context: ProbeContext = {}): Promise<Finding[]> {
  const opened = await openLoggedIn(target, limits);
  if (!opened.ok) return [skipped('ftp.integrity', RFC.integrity, opened.why), skipped('ftp.resume', RFC.resume, opened.why)];
  const { value, cleanup, name } = await withProbeFile(opened.session, target, limits, context, (s, file, wrote) =>
    steps(s, file, wrote, limits, context.signal),
  );
  // Built after the cleanup, whose outcome belongs to the integrity finding (a file left behind).
  return build(value, cleanup, name);
}

type Integrity = { status: FindingStatus; advice: string; value?: number; transcript: Transcript };

/** Upload, read back, then the resume check; an interrupt skips what is left. */
async function steps(
  s: FtpSession,
  name: string,
  wrote: (path: string) => void,
  limits: ProbeLimits,
  stop: AbortSignal | undefined,
): Promise<{ integrity: Integrity; resume: Finding }> {
  const interrupted = (integrity?: Integrity) => ({
    integrity: integrity ?? { status: 'skip' as FindingStatus, advice: 'Not finished: the probe was interrupted.', transcript: s.take() },
    resume: skipped('ftp.resume', RFC.resume, 'Not run: the probe was interrupted.'),
  });
  await s.command('TYPE I');
  const feat = await s.command('FEAT');
  const restAdvertised = feat.ok && feat.value.code === 211 && feat.value.lines.some((l) => /^\s*REST\s+STREAM/i.test(l));
  const data = new DataOpener(s);
  const payload = new Payload(limits.uploadOctets ?? DEFAULT_UPLOAD_OCTETS);
  const up = await upload(s, data, name, payload, stop);
  if (up.path !== undefined) wrote(up.path);
  if (stop?.aborted) return interrupted();
  if (!up.ok) {
    return {
      integrity: { ...up.result, transcript: s.take() },
      resume: skipped('ftp.resume', RFC.resume, 'Not run: the upload did not succeed (see ftp.integrity).'),
    };
  }
  const stored = up.path;
  const size = await s.command(`SIZE ${stored}`);
  await s.command(`MDTM ${stored}`);
  const down = await download(s, data, `RETR ${stored}`);
  if (stop?.aborted) return interrupted();
  const judged = judgeIntegrity(payload, size, down, stored, up.ms);
  const integrity = { ...judged, transcript: s.take() };
  if (s.stale) return { integrity, resume: skipped('ftp.resume', RFC.resume, 'Not run: the session stopped answering in step (see ftp.integrity).') };
  // REST and APPE are judged against the uploaded octets: a server that did not keep them is reported
  // by ftp.integrity, and what it holds instead is not known here.
  const resume = judged.intact
    ? await resumeCheck(s, data, stored, payload, restAdvertised, stop)
    : skipped(
        'ftp.resume',
        RFC.resume,
        `Not run: the file could not be read back as uploaded (see ftp.integrity), so a resumed transfer has nothing to be compared with.`,
      );
  return { integrity, resume };
}

/** The two findings, the cleanup folded into integrity. */
function build({ integrity, resume }: { integrity: Integrity; resume: Finding }, cleanup: Cleanup | undefined, name: string): Finding[] {
  const i = withCleanup(integrity, cleanup, name);
  const transcript = cleanup ? merge(i.transcript, cleanup.transcript, 'cleanup') : i.transcript;
  return [finding('ftp.integrity', i.status, RFC.integrity, i.advice, transcript, i.value), resume];
}

/** STOR in the first directory that takes it. `path` is set once a STOR started (a file may exist). */
async function upload(
  s: FtpSession,
  data: DataOpener,
  name: string,
  payload: Payload,
  stop?: AbortSignal,
): Promise<{ ok: true; path: string; ms: number } | { ok: false; path?: string; result: { status: FindingStatus; advice: string; value?: number } }> {
  let refusal = '';
  const octets = payload.size;
  const stopped = { ok: false as const, result: { status: 'skip' as const, advice: 'Not run: the probe was interrupted.' } };
  for (const dir of UPLOAD_DIRS) {
    if (stop?.aborted) return stopped;
    const plan = await data.open();
    if (plan && stop?.aborted) {
      plan.close();
      return stopped;
    }
    if (!plan)
      return {
        ok: false,
        result: {
          status: 'fail',
          advice: 'No data connection could be made (EPSV, PASV and active all failed: see ftp.pasv-connect, ftp.epsv, ftp.active), so nothing was uploaded.',
        },
      };
    const path = `${dir}${name}`;
    const t = await s.transfer(plan, `STOR ${path}`, payload.pieces());
    const first = codeOf(t.first);
    if (t.first.ok && first >= 400 && !DATA_TROUBLE.has(first)) {
      refusal ||= said(t.first);
      continue;
    }
    if (!t.first.ok) return { ok: false, path, result: { status: 'fail', advice: `STOR got no reply (${t.first.event}).` } };
    if (first >= 400)
      return {
        ok: false,
        path,
        result: { status: 'fail', advice: `STOR got ${said(t.first)}: the data connection could not be used (see ftp.pasv-connect, ftp.epsv).`, value: first },
      };
    const final = codeOf(t.final);
    if (t.dataFailed)
      return {
        ok: false,
        path,
        result: { status: 'fail', advice: `STOR got ${first}, but the data connection was never made (${t.dataFailed}); then ${said(t.final)}.` },
      };
    const sent = t.sent ?? 0;
    if (sent < octets || (final !== 226 && final !== 250)) {
      // What the server kept (the value, as for a complete upload: octets held), when it still answers.
      const kept = s.stale ? undefined : await s.command(`SIZE ${path}`);
      const held = codeOf(kept) === 213 && kept?.ok ? Number(kept.value.lines[0]?.trim()) : Number.NaN;
      const holds = Number.isFinite(held) ? `; the server holds ${held}` : '';
      const value = Number.isFinite(held) ? { value: held } : {};
      if (sent < octets) {
        const how = t.stalled ? `the server stopped taking data after ${sent} octets` : `the data connection was closed after ${sent} octets had been sent`;
        return {
          ok: false,
          path,
          result: {
            status: 'fail',
            advice: `An upload of ${size(octets)} was cut short: ${how}, then ${said(t.final)}${holds}; uploads past a size are cut off (a buffer, a proxy or filter threshold, a quota?).`,
            ...value,
          },
        };
      }
      return {
        ok: false,
        path,
        result: {
          status: 'fail',
          advice: `An upload of ${size(octets)} ended with ${said(t.final)} instead of 226${holds}: uploads fail (quota, disk space, a limit?).`,
          ...value,
        },
      };
    }
    return { ok: true, path, ms: t.ms ?? 0 };
  }
  return {
    ok: false,
    result: {
      status: 'skip',
      advice: `Uploads are refused (${refusal}, also in pub/ and incoming/): give the probe a login that may write to check integrity.`,
    },
  };
}

/** A download over `plan` (default: the opener's next); complete when 1xx, a clean end, then 226/250. */
async function download(s: FtpSession, data: DataOpener, line: string, plan?: DataPlan): Promise<Transfer & { complete: boolean }> {
  const use = plan ?? (await data.open());
  if (!use) return { first: { ok: false, end: 'error', event: '[no data connection]', ms: 0 }, complete: false };
  const t = await s.transfer(use, line);
  const code = codeOf(t.final);
  return { ...t, complete: t.first.ok && t.first.value.code < 200 && (code === 226 || code === 250) && t.dataEnd === 'closed' };
}

function judgeIntegrity(
  payload: Payload,
  sizeReply: Awaited<ReturnType<FtpSession['command']>>,
  down: Transfer & { complete: boolean },
  path: string,
  ms: number,
): { status: FindingStatus; advice: string; value?: number; intact: boolean } {
  const sent = payload.size;
  const what = `an upload of ${size(sent)}`;
  const took = `in ${pace(sent, ms)}`;
  const sizeCode = codeOf(sizeReply);
  const sized = sizeCode === 213 && sizeReply.ok ? Number(sizeReply.value.lines[0]?.trim()) : undefined;
  if (!down.complete && sized !== undefined && sized !== sent) {
    return {
      status: 'fail',
      advice: `The server answered 226 to ${what} but SIZE says ${sized}: it loses or adds data silently; check disk space, quotas, upload filters and the file system.`,
      value: sized,
      intact: false,
    };
  }
  const refused = down.first.ok && down.first.value.code >= 400;
  if (!down.complete && refused && sized === sent) {
    // vsftpd's anon_world_readable_only, drop-box directories: uploads that may not be read back.
    return {
      status: 'warn',
      advice: `The upload of ${size(sent)} got 226 ${took} and SIZE ${sized}, but RETR was refused (${said(down.first)}), so the content could not be compared: fine for an upload-only (drop box) setup, else allow the probe's login to read its uploads.`,
      value: sized,
      intact: false,
    };
  }
  if (!down.complete) {
    return {
      status: 'fail',
      advice: `The upload of ${size(sent)} to ${path} got 226, but downloading it back failed: RETR got ${said(down.first)}${down.final ? `, then ${said(down.final)}` : ''}${down.octets !== undefined ? ` after ${down.octets} octets` : ''}.`,
      ...(sized !== undefined ? { value: sized } : {}),
      intact: false,
    };
  }
  const got = down.octets ?? 0;
  const expected = payload.sha256();
  const same = got === sent && down.sha256 === expected;
  if (!same || (sized !== undefined && sized !== sent)) {
    const sizeSays = sized !== undefined ? `SIZE ${sized}, ` : '';
    const held = got < sent ? `kept ${got}` : got > sent ? `holds ${got}` : 'holds different octets';
    return {
      status: 'fail',
      advice: `The server answered 226 to ${what} (${sent} octets) but ${held} (${sizeSays}the download's SHA-256 ${down.sha256 === expected ? 'matches' : `is ${down.sha256?.slice(0, 16)}…, the upload's ${expected.slice(0, 16)}…`}): it loses data silently; check disk space, quotas, upload filters and the file system.`,
      value: got,
      intact: false,
    };
  }
  if (sizeCode === 0 || NOT_IMPLEMENTED.has(sizeCode)) {
    return {
      status: 'warn',
      advice: `Uploaded ${size(sent)} of random octets ${took} and the download's SHA-256 matches, but SIZE is not supported (${said(sizeReply)}): clients cannot check sizes or resume by size (RFC 3659 §4).`,
      value: got,
      intact: true,
    };
  }
  if (sized === undefined) {
    return {
      status: 'warn',
      advice: `Uploaded ${size(sent)} of random octets ${took} and the download's SHA-256 matches, but SIZE of the file got ${said(sizeReply)} instead of 213 ${sent}.`,
      value: got,
      intact: true,
    };
  }
  return {
    status: 'pass',
    advice: `Uploaded ${size(sent)} of random octets ${took}: 226, SIZE ${sized}, and the download's SHA-256 matches.`,
    value: got,
    intact: true,
  };
}

/**
 * The data connection first, then REST n immediately before RETR (RFC 3659 §5.3: anything between them,
 * EPSV included, may cancel the restart); only the rest should come. Then APPE and a download of the
 * whole; then REST n before STOR of the file's own octets from n on (restStor), where what the file
 * holds is known.
 */
async function resumeCheck(s: FtpSession, data: DataOpener, path: string, payload: Payload, restAdvertised: boolean, stop?: AbortSignal): Promise<Finding> {
  const id = 'ftp.resume';
  const held = payload.size;
  const offset = Math.floor(held / 2);
  const problems: string[] = [];
  const notes: string[] = [];
  let status: FindingStatus = 'pass';
  let value: number | undefined;
  const worse = (next: FindingStatus): void => {
    if (next === 'fail' || (next === 'warn' && status === 'pass')) status = next;
  };
  const first = await data.open();
  const rest = first ? await s.command(`REST ${offset}`) : undefined;
  if (!first) {
    worse('fail');
    problems.push('no data connection could be opened for a resumed download');
  } else if (codeOf(rest) === 350) {
    const down = await download(s, data, `RETR ${path}`, first);
    value = down.octets;
    if (!down.complete) {
      worse('fail');
      problems.push(`RETR after REST ${offset} got ${said(down.first)}${down.final ? `, then ${said(down.final)}` : ''}`);
    } else if (down.octets === held - offset && down.sha256 === payload.sha256(offset)) {
      notes.push(`REST ${offset} then RETR brought the last ${down.octets} octets`);
    } else {
      worse('fail');
      problems.push(
        down.octets === held && down.sha256 === payload.sha256()
          ? `REST ${offset} was accepted (350) but RETR sent the whole file: clients resuming a download get a corrupt file`
          : `REST ${offset} then RETR brought ${down.octets} octets that are not the last ${held - offset}`,
      );
    }
  } else {
    first.close();
    worse(restAdvertised ? 'fail' : 'warn');
    problems.push(`REST ${offset} got ${said(rest)}${restAdvertised ? ' although FEAT advertises REST STREAM' : ''}: interrupted downloads restart from zero`);
  }
  if (codeOf(rest) === 350 && !restAdvertised) notes.push('REST STREAM is not in FEAT, so clients may not use it');
  if (stop?.aborted) return skipped(id, RFC.resume, 'Not finished: the probe was interrupted.');
  const tail = randomBytes(APPENDED_OCTETS);
  const plan = await data.open();
  const appe = plan ? await s.transfer(plan, `APPE ${path}`, tail) : undefined;
  const appeCode = codeOf(appe?.final);
  /** What the file holds after the payload once APPE is done: the tail, nothing (refused), or unknown. */
  let after: Buffer | undefined | 'unknown' = 'unknown';
  if (!appe?.first.ok || appe.first.value.code >= 400) {
    const code = codeOf(appe?.first);
    worse(NOT_IMPLEMENTED.has(code) ? 'warn' : 'fail');
    problems.push(`APPE got ${appe ? said(appe.first) : 'no data connection'}: interrupted uploads cannot be resumed`);
    if (appe?.first.ok) after = undefined;
  } else if (appeCode !== 226 && appeCode !== 250) {
    worse('fail');
    problems.push(`APPE of ${tail.length} octets ended with ${said(appe.final)}`);
  } else {
    const whole = await download(s, data, `RETR ${path}`);
    const expected = held + tail.length;
    if (whole.complete && whole.octets === expected && whole.sha256 === payload.sha256(0, held, tail)) {
      notes.push(`APPE added ${tail.length} octets in place`);
      after = tail;
    } else {
      worse('fail');
      problems.push(
        `APPE of ${tail.length} octets got 226, but the file then ${whole.complete ? `held ${whole.octets} octets${whole.octets === expected ? ' that differ from' : ', not'} the ${expected} expected` : `could not be downloaded (${said(whole.first)})`}`,
      );
    }
  }
  // REST+STOR only where REST was taken and what the file holds is known.
  if (codeOf(rest) === 350 && after !== 'unknown' && !stop?.aborted) {
    const stored = await restStor(s, data, path, payload, offset, after, appe?.first.ok === true && appe.first.value.code < 400);
    if (stop?.aborted) return skipped(id, RFC.resume, 'Not finished: the probe was interrupted.');
    if ('note' in stored) notes.push(stored.note);
    else {
      worse(stored.status);
      problems.push(stored.problem);
    }
  }
  const advice = problems.length > 0 ? `${problems.join('; ')}.` : `${notes.join('; ')}.`;
  return finding(
    id,
    status,
    RFC.resume,
    problems.length > 0 && notes.length > 0 ? `${advice.replace(/\.$/, '')} (${notes.join('; ')}).` : advice,
    s.take(),
    value,
  );
}

/** The file's octets from `from` on: the payload's, then what APPE added. */
function* from(payload: Payload, offset: number, extra: Buffer | undefined): Generator<Buffer> {
  yield* payload.pieces(offset);
  if (extra) yield extra;
}

/**
 * REST n right before STOR of the file's own octets from n on, over a data connection opened first (how
 * lftp and Python's ftplib resume an upload, RFC 3659 §5.1): the file must read as it was. A server that
 * empties the file before writing at n (bftpd 4.9) leaves zeros where the first n octets were.
 */
async function restStor(
  s: FtpSession,
  data: DataOpener,
  path: string,
  payload: Payload,
  offset: number,
  extra: Buffer | undefined,
  appendTaken: boolean,
): Promise<{ note: string } | { status: FindingStatus; problem: string; corrupt?: true }> {
  const expected = payload.size + (extra?.length ?? 0);
  const sent = expected - offset;
  const what = `STOR of the last ${sent} octets after REST ${offset}`;
  const clients = "a client resuming an upload with REST+STOR (lftp, Python's ftplib)";
  const other = appendTaken ? ' (APPE is the other way)' : '';
  const plan = await data.open();
  if (!plan) return { status: 'fail', problem: 'no data connection could be opened for a resumed upload' };
  const rest = await s.command(`REST ${offset}`);
  if (codeOf(rest) !== 350) {
    plan.close();
    return { status: 'warn', problem: `REST ${offset} before STOR got ${said(rest)}: ${clients} cannot resume${other}` };
  }
  const stor = await s.transfer(plan, `STOR ${path}`, from(payload, offset, extra));
  if (!stor.first.ok || stor.first.value.code >= 400) {
    return { status: 'warn', problem: `${what} got ${said(stor.first)}: ${clients} cannot resume${other}` };
  }
  const final = codeOf(stor.final);
  if (final !== 226 && final !== 250) return { status: 'fail', problem: `${what} ended with ${said(stor.final)}` };
  const whole = await download(s, data, `RETR ${path}`);
  if (whole.complete && whole.octets === expected && whole.sha256 === payload.sha256(0, payload.size, extra)) {
    return { note: `${what} left the file as it was` };
  }
  if (!whole.complete) return { status: 'fail', problem: `${what} got ${final}, but the file then could not be downloaded (${said(whole.first)})` };
  const held = `held ${whole.octets} octets${whole.octets === expected ? ' that differ from' : ', not'} the ${expected} it held before`;
  return { status: 'fail', problem: `${what} got ${final}, but the file then ${held}: ${clients} gets a corrupt file`, corrupt: true };
}

/** The file of restStorCorrupts: big enough for several TCP segments, small for a user's server. */
const REST_STOR_OCTETS = 64 * 1024;

/**
 * Whether the server's own REST n before STOR loses what the file held before n (restStor), checked on a
 * session of its own: a probe file of REST_STOR_OCTETS put in `dir`, resumed from its middle, read back
 * and deleted (withProbeFile). `corrupts`: the problem in words when it does; absent when it keeps the
 * file, or the check could not say (no session, the put, REST or STOR refused, the file not read back).
 * `left`: the file could not be deleted, in words.
 */
export async function restStorCorrupts(target: ProbeTarget, dir: string, limits: ProbeLimits): Promise<{ readonly corrupts?: string; readonly left?: string }> {
  const opened = await openLoggedIn(target, limits);
  if (!opened.ok) return {};
  let left: string | undefined;
  const onLeftBehind = (path: string, why: string): void => {
    left = `could not delete ${path} (${why})`;
  };
  const { value } = await withProbeFile(opened.session, target, limits, { onLeftBehind }, async (s, name, wrote) => {
    const path = posix.join(dir, name);
    await s.command('TYPE I');
    const data = new DataOpener(s);
    const payload = new Payload(REST_STOR_OCTETS);
    const plan = await data.open();
    if (!plan) return undefined;
    const put = await s.transfer(plan, `STOR ${path}`, payload.pieces());
    if (put.first.ok && put.first.value.code < 400) wrote(path);
    if (!put.first.ok || put.first.value.code >= 400 || ![226, 250].includes(codeOf(put.final))) return undefined;
    const stored = await restStor(s, data, path, payload, payload.size / 2, undefined, false);
    // Only a file read back whole and changed: anything else says nothing of what REST+STOR does.
    return 'corrupt' in stored ? stored.problem : undefined;
  });
  return { ...(value ? { corrupts: value } : {}), ...(left ? { left } : {}) };
}
