/**
 * `ftp.quota` (documented in ./ftp-ids.ts): how a server refuses an upload it has no room for. Only
 * with limits.quotaOctets > 0 (`--quota-probe SIZE`): it writes up to that many octets on purpose.
 *
 *   TYPE I ─► data connection ─► STOR wireprobe-probe-<random>.bin ─► up to SIZE octets
 *     ─► refused on the way (452/552 with text: pass), or 226 (SIZE must then equal what was sent)
 *     ─► DELE (always; in a new session if needed)
 *
 * RFC 959 §4.2 gives the replies: 452 (insufficient storage space) and 552 (exceeded storage
 * allocation), both among STOR's replies in §5.4. A reset or a silent close tells the client nothing,
 * and a 226 for fewer octets than were sent stores a truncated file as complete. An interrupt
 * (`context.signal`) cuts the upload and goes straight to the DELE, as the integrity upload does.
 */
import { openLoggedIn, type FtpSession, type Transfer } from './ftp-control.js';
import { DataOpener } from './ftp-data-opener.js';
import { type Judged, probeFileFinding } from './ftp-cleanup.js';
import { DATA_TROUBLE, UPLOAD_DIRS } from './ftp-integrity.js';
import { Payload } from './ftp-payload.js';
import { codeOf, said } from './ftp-shared.js';
import { skipped } from './finding.js';
import { rfcOf } from './ids.js';
import type { Finding, ProbeContext, ProbeLimits, ProbeTarget } from './types.js';

const ID = 'ftp.quota';
const RFC = rfcOf(ID);

/** The replies RFC 959 §4.2 gives for an upload there is no room for. */
const NO_ROOM: ReadonlySet<number> = new Set([452, 552]);

/** The quota check, on its own session and file. */
export async function ftpQuotaChecks(target: ProbeTarget, limits: ProbeLimits, context: ProbeContext = {}): Promise<Finding[]> {
  const size = limits.quotaOctets ?? 0;
  if (!(size > 0))
    return [
      skipped(ID, RFC, 'Not run: it uploads until the server refuses, up to a size you allow (--quota-probe SIZE, e.g. 1GiB); the file is deleted after.'),
    ];
  const opened = await openLoggedIn(target, limits);
  if (!opened.ok) return [skipped(ID, RFC, opened.why)];
  return [
    await probeFileFinding({ id: ID, rfc: RFC }, opened.session, target, limits, context, (s, file, wrote) => fill(s, file, size, wrote, context.signal)),
  ];
}

/** STOR of up to `size` octets (in the first directory that takes it), judged. */
async function fill(s: FtpSession, name: string, size: number, wrote: (path: string) => void, stop?: AbortSignal): Promise<Judged> {
  await s.command('TYPE I');
  const opener = new DataOpener(s);
  let refusal = '';
  for (const dir of UPLOAD_DIRS) {
    const plan = await opener.open();
    if (!plan) return { status: 'skip', advice: 'Not run: no data connection could be made (see ftp.pasv-connect, ftp.epsv, ftp.active).' };
    const path = `${dir}${name}`;
    const t = await s.transfer(plan, `STOR ${path}`, new Payload(size).pieces());
    const first = codeOf(t.first);
    if (!stop?.aborted && t.first.ok && first >= 400 && !DATA_TROUBLE.has(first) && !NO_ROOM.has(first)) {
      refusal ||= said(t.first);
      continue;
    }
    wrote(path);
    if (stop?.aborted) return { status: 'skip', advice: 'Not finished: the probe was interrupted.' };
    if (NO_ROOM.has(first)) return refused(t, 0);
    if (!t.first.ok || first >= 200) return { status: 'skip', advice: `Not run: STOR got ${said(t.first)} (see ftp.integrity).` };
    return judge(s, path, t, size);
  }
  return { status: 'skip', advice: `Not run: uploads are refused (${refusal}, also in pub/ and incoming/), so no quota can be reached.` };
}

/** A 452/552: a pass when it says why in words. */
function refused(t: Transfer, sent: number): Judged {
  const read = sent === 0 ? t.first : t.final;
  const code = codeOf(read);
  const text = read?.ok ? read.value.lines.join(' ').trim() : '';
  const when = sent === 0 ? 'at STOR, before any data' : `after ${sent} octets`;
  const value = `${code} after ${sent} octets`;
  if (text === '')
    return { status: 'warn', value, advice: `The upload was refused ${when} with a bare ${code}: the code is right (RFC 959 §4.2), but users see no reason.` };
  return { status: 'pass', value, advice: `The upload was refused ${when} with "${said(read)}", the reply RFC 959 §4.2 gives for a full quota or disk.` };
}

async function judge(s: FtpSession, path: string, t: Transfer, size: number): Promise<Judged> {
  const sent = t.sent ?? 0;
  const code = codeOf(t.final);
  if (NO_ROOM.has(code)) return refused(t, sent);
  if (code === 226 || code === 250) {
    const held = await s.command(`SIZE ${path}`);
    const octets = codeOf(held) === 213 && held.ok ? Number(held.value.lines[0]) : Number.NaN;
    if (sent < size || (Number.isFinite(octets) && octets < sent)) {
      const kept = Number.isFinite(octets) ? `the server holds ${octets}` : 'SIZE could not say what it holds';
      return {
        status: 'fail',
        value: `${code} after ${sent} octets`,
        advice: `The upload ended with ${said(t.final)} after ${sent} of ${size} octets were taken and ${kept}: a full quota or disk must be refused with 452 or 552 (RFC 959 §4.2), never reported complete with a truncated file.`,
      };
    }
    return {
      status: 'pass',
      value: `no limit within ${size} octets`,
      advice: `All ${size} octets were taken (${said(t.final)}, SIZE ${Number.isFinite(octets) ? octets : 'not answered'}): no quota or size limit below the --quota-probe size.`,
    };
  }
  if (code >= 400)
    return {
      status: 'warn',
      value: `${code} after ${sent} octets`,
      advice: `The upload was stopped after ${sent} octets with ${said(t.final)}: if this is the quota, say so with 452 or 552 (RFC 959 §4.2), which clients show as "out of space" instead of retrying a failed transfer.`,
    };
  const how = t.final && !t.final.ok ? t.final.event : 'nothing';
  return {
    status: 'fail',
    value: `no reply after ${sent} octets`,
    advice: `The upload was stopped after ${sent} octets and the control connection got ${how}${t.dataEnd ? ` (data connection: ${t.dataEnd})` : ''}: a full quota or disk must be answered 452 or 552 with text (RFC 959 §4.2), not a reset or silence.`,
  };
}
