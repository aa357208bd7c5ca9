/**
 * ftp/resets: every client reports a cut before the 226 and success after it, in both modes (an upload's,
 * and a download's data connection cut mid-RETR, which the mock answers 426); phases
 * differ by what each client sends first (basic-ftp OPTS UTF8, lftp FEAT). The mid-transfer cuts move
 * 8 MiB so the client is still writing when its connection dies; with 1 MiB (all of it already in
 * socket buffers) a FIN on the data connection let basic-ftp, ftplib and lftp report a truncated upload
 * complete, and lftp looped on data-connection resets until the deadline.
 */
import { every, FAILED_ANYWHERE, LFTP_HUNG, LFTP_RECOVERED, LFTP_STALE_BLOCK, oneOf, type OneOf, type Want } from './want.js';

/** Per scenario: the outcome of every client and mode (basic-ftp has no active mode), then the columns that differ. */
const TABLE: Readonly<Record<string, Readonly<Record<string, Want>>>> = {
  'reset-on-connect': every(['reset', 'connect', 'conformant']),
  'close-on-connect': every(['closed', 'connect', 'conformant']),
  'reset-after-greeting': every(['reset', 'user', 'conformant'], {
    'basic-ftp/passive': ['reset', 'opts', 'conformant'],
    'lftp/passive': ['reset', 'feat', 'conformant'],
    'lftp/active': ['reset', 'feat', 'conformant'],
  }),
  'close-after-greeting': every(['closed', 'greeting', 'conformant']),
  'reset-before-user-reply': every(['reset', 'user', 'conformant']),
  'close-before-user-reply': every(['closed', 'user', 'conformant']),
  'reset-before-pass-reply': every(['reset', 'pass', 'conformant']),
  'close-before-pass-reply': every(['closed', 'pass', 'conformant']),
  'reset-after-pass': every(['reset', 'pwd', 'conformant'], {
    'basic-ftp/passive': ['reset', 'feat', 'conformant'],
    'ftplib/passive': ['reset', 'type', 'conformant'],
    'ftplib/active': ['reset', 'type', 'conformant'],
  }),
  'close-after-pass': every(['closed', 'pass', 'conformant']),
  'reset-before-stor-reply': every(['reset', 'stor', 'conformant']),
  'close-before-stor-reply': every(['closed', 'stor', 'conformant']),
  'reset-data-mid-stor': every(['reset', 'transfer', 'conformant'], {
    'lftp/passive': ['closed', 'size', 'conformant'],
    'lftp/active': ['closed', 'size', 'conformant'],
  }),
  'close-data-mid-stor': every(['closed', 'stor', 'conformant'], {
    'basic-ftp/passive': ['reset', 'transfer', 'conformant'],
    'ftplib/passive': ['reset', 'transfer', 'conformant'],
    'ftplib/active': ['reset', 'stor', 'conformant'],
  }),
  'reset-control-mid-stor': every(['timeout', 'transfer', 'conformant'], {
    'basic-ftp/passive': ['reset', 'transfer', 'conformant'],
    'lftp/passive': ['closed', 'stor', 'conformant'],
    'lftp/active': ['closed', 'stor', 'conformant'],
    'ftplib/passive': ['reset', 'transfer', 'conformant'],
  }),
  'close-control-mid-stor': every(['closed', 'transfer', 'conformant'], {
    'curl/active': ['timeout', 'transfer', 'conformant'],
    'lftp/passive': ['closed', 'size', 'conformant'],
    'lftp/active': ['closed', 'stor', 'conformant'],
    'ftplib/passive': ['reset', 'transfer', 'conformant'],
    'ftplib/active': ['timeout', 'transfer', 'conformant'],
  }),
  'reset-after-stor': every(['delivered', 'stor', 'conformant'], {
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  'close-after-stor': every(['delivered', 'stor', 'conformant'], {
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  // A download cut mid-RETR: the proxy cuts the server's end at once, so the mock answers 426. With a
  // FIN the client reads end of file and then the 426; lftp retries (REST, RETR) on its own and gets the
  // whole file. With an RST every other client fails on it: see RST_MID_RETR.
  'reset-data-mid-retr': every(['reset', 'retr', 'conformant'], {
    'lftp/passive': ['delivered', 'retr', 'conformant'],
    'lftp/active': ['delivered', 'retr', 'conformant'],
  }),
  'close-data-mid-retr': every(['reply', 'retr', 'conformant'], {
    'lftp/passive': ['delivered', 'retr', 'conformant'],
    'lftp/active': ['delivered', 'retr', 'conformant'],
  }),
  // lftp reconnects into the restart: see RESTART_LFTP.
  'restart-mid-stor': every(['closed', 'transfer', 'conformant']),
  'restart-mid-stor-rst': every(['reset', 'transfer', 'conformant']),
};

/**
 * Cut mid-transfer, lftp reconnects and resumes by itself (its retry count restarts after progress) and
 * ftplib's last reply races its QUIT: which attempt the deadline or the failure lands on is timing. Each
 * reports a failure, hangs, or (lftp) recovers with the whole file at the server; never a false success.
 */
const RACY = /^(lftp|ftplib)\//;

/**
 * lftp meets the restart's own window: it reconnects 1 s later (refused or reset while the server is
 * down, or greeted once it is back, then resuming): any reported failure, or the whole file delivered.
 */
const RESTART_LFTP: readonly Want[] = [...FAILED_ANYWHERE, LFTP_RECOVERED, LFTP_STALE_BLOCK, ...LFTP_HUNG];

/**
 * An RST mid-RETR goes to the client once it has read what was relayed (an RST that finds unread data
 * reads as end of file on Linux), and the server's 426 is shown right behind it: every client fails on
 * the RST, at the 426 to RETR. One outcome.
 */
const RST_MID_RETR: readonly Want[] = [['reset', 'retr', 'conformant']];

export function expectFtpResets(id: string, column: string): Want | OneOf | undefined {
  const name = id.slice('ftp/resets/'.length);
  const measured = TABLE[name]?.[column];
  if (measured && name === 'reset-data-mid-retr' && !column.startsWith('lftp/') && measured[2] !== 'n/a') return oneOf(measured, ...RST_MID_RETR);
  if (measured && name.startsWith('restart-') && column.startsWith('lftp/')) return oneOf(measured, ...RESTART_LFTP);
  if (!measured || !name.endsWith('mid-stor') || !RACY.test(column)) return measured;
  return oneOf(measured, ...FAILED_ANYWHERE, ...(column.startsWith('lftp/') ? [...LFTP_HUNG, LFTP_RECOVERED, LFTP_STALE_BLOCK] : []));
}
