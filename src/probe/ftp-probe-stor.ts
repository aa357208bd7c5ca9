/**
 * The start of a check's upload of its own file (ftp.data-timeout, ftp.long-transfer): STOR in the first
 * directory that takes it, over a new data connection, then the check's own way of sending.
 *
 *   for '', pub/, incoming/: data connection ─► STOR ─► refused (not 425/426)? next directory
 *                                                      └─ 1xx ─► wrote(path) ─► connected ─► upload(data, path)
 */
import type { FtpSession } from './ftp-control.js';
import { DataOpener } from './ftp-data-opener.js';
import type { Judged } from './ftp-cleanup.js';
import { DATA_TROUBLE, UPLOAD_DIRS } from './ftp-integrity.js';
import { codeOf, said } from './ftp-shared.js';
import type { RawConnection } from './raw.js';
import type { ProbeLimits } from './types.js';

/**
 * STORs `name` in the first of UPLOAD_DIRS that takes it (`wrote` as soon as a file may exist) and runs
 * `upload` on the data connection, closed after. Each way the upload cannot start is a skip saying why;
 * `measures` ends the one for uploads refused everywhere ("the stall is measured on an upload").
 */
export async function storProbeFile(
  s: FtpSession,
  name: string,
  limits: ProbeLimits,
  wrote: (path: string) => void,
  measures: string,
  upload: (data: RawConnection, path: string) => Promise<Judged>,
): Promise<Judged> {
  await s.command('TYPE I');
  const opener = new DataOpener(s);
  let refusal = '';
  for (const dir of UPLOAD_DIRS) {
    const plan = await opener.open();
    if (!plan) return { status: 'skip', advice: 'Not run: no data connection could be made (see ftp.pasv-connect, ftp.epsv, ftp.active).' };
    const path = `${dir}${name}`;
    try {
      const first = await s.command(`STOR ${path}`);
      const code = codeOf(first);
      if (first.ok && code >= 400 && !DATA_TROUBLE.has(code)) {
        refusal ||= said(first);
        continue;
      }
      wrote(path);
      if (!first.ok || code >= 200) return { status: 'skip', advice: `Not run: STOR got ${said(first)} (see ftp.integrity).` };
      const data = await s.dataConnection(plan, limits.replyTimeoutMs);
      if (!data.ok) return { status: 'skip', advice: `Not run: the data connection was never made (${data.event}).` };
      return await upload(data.conn, path);
    } finally {
      plan.close();
    }
  }
  return { status: 'skip', advice: `Not run: uploads are refused (${refusal}, also in pub/ and incoming/), and ${measures}.` };
}
