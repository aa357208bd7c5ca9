/**
 * ftp/resets: every client reports a cut before the 226 and success after it, in both modes; phases
 * differ by what each client sends first (basic-ftp OPTS UTF8, lftp FEAT). The mid-transfer cuts move
 * 8 MiB so the client is still writing when its connection dies; with 1 MiB (all of it already in
 * socket buffers) a FIN on the data connection let basic-ftp, ftplib and lftp report a truncated upload
 * complete, and lftp looped on data-connection resets until the deadline.
 */
import { NA, oneOf, type OneOf, type Want } from './want.js';

/** Per scenario, per client/mode column: [kind, phase, verdict], as measured. */
const TABLE: Readonly<Record<string, Readonly<Record<string, Want>>>> = {
  'reset-on-connect': {
    'basic-ftp/passive': ['reset', 'connect', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['reset', 'connect', 'conformant'],
    'curl/active': ['reset', 'connect', 'conformant'],
    'lftp/passive': ['reset', 'connect', 'conformant'],
    'lftp/active': ['reset', 'connect', 'conformant'],
    'ftplib/passive': ['reset', 'connect', 'conformant'],
    'ftplib/active': ['reset', 'connect', 'conformant'],
  },
  'close-on-connect': {
    'basic-ftp/passive': ['closed', 'connect', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['closed', 'connect', 'conformant'],
    'curl/active': ['closed', 'connect', 'conformant'],
    'lftp/passive': ['closed', 'connect', 'conformant'],
    'lftp/active': ['closed', 'connect', 'conformant'],
    'ftplib/passive': ['closed', 'connect', 'conformant'],
    'ftplib/active': ['closed', 'connect', 'conformant'],
  },
  'reset-after-greeting': {
    'basic-ftp/passive': ['reset', 'opts', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['reset', 'user', 'conformant'],
    'curl/active': ['reset', 'user', 'conformant'],
    'lftp/passive': ['reset', 'feat', 'conformant'],
    'lftp/active': ['reset', 'feat', 'conformant'],
    'ftplib/passive': ['reset', 'user', 'conformant'],
    'ftplib/active': ['reset', 'user', 'conformant'],
  },
  'close-after-greeting': {
    'basic-ftp/passive': ['closed', 'greeting', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['closed', 'greeting', 'conformant'],
    'curl/active': ['closed', 'greeting', 'conformant'],
    'lftp/passive': ['closed', 'greeting', 'conformant'],
    'lftp/active': ['closed', 'greeting', 'conformant'],
    'ftplib/passive': ['closed', 'greeting', 'conformant'],
    'ftplib/active': ['closed', 'greeting', 'conformant'],
  },
  'reset-before-user-reply': {
    'basic-ftp/passive': ['reset', 'user', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['reset', 'user', 'conformant'],
    'curl/active': ['reset', 'user', 'conformant'],
    'lftp/passive': ['reset', 'user', 'conformant'],
    'lftp/active': ['reset', 'user', 'conformant'],
    'ftplib/passive': ['reset', 'user', 'conformant'],
    'ftplib/active': ['reset', 'user', 'conformant'],
  },
  'close-before-user-reply': {
    'basic-ftp/passive': ['closed', 'user', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['closed', 'user', 'conformant'],
    'curl/active': ['closed', 'user', 'conformant'],
    'lftp/passive': ['closed', 'user', 'conformant'],
    'lftp/active': ['closed', 'user', 'conformant'],
    'ftplib/passive': ['closed', 'user', 'conformant'],
    'ftplib/active': ['closed', 'user', 'conformant'],
  },
  'reset-before-pass-reply': {
    'basic-ftp/passive': ['reset', 'pass', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['reset', 'pass', 'conformant'],
    'curl/active': ['reset', 'pass', 'conformant'],
    'lftp/passive': ['reset', 'pass', 'conformant'],
    'lftp/active': ['reset', 'pass', 'conformant'],
    'ftplib/passive': ['reset', 'pass', 'conformant'],
    'ftplib/active': ['reset', 'pass', 'conformant'],
  },
  'close-before-pass-reply': {
    'basic-ftp/passive': ['closed', 'pass', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['closed', 'pass', 'conformant'],
    'curl/active': ['closed', 'pass', 'conformant'],
    'lftp/passive': ['closed', 'pass', 'conformant'],
    'lftp/active': ['closed', 'pass', 'conformant'],
    'ftplib/passive': ['closed', 'pass', 'conformant'],
    'ftplib/active': ['closed', 'pass', 'conformant'],
  },
  'reset-after-pass': {
    'basic-ftp/passive': ['reset', 'feat', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['reset', 'pwd', 'conformant'],
    'curl/active': ['reset', 'pwd', 'conformant'],
    'lftp/passive': ['reset', 'pwd', 'conformant'],
    'lftp/active': ['reset', 'pwd', 'conformant'],
    'ftplib/passive': ['reset', 'type', 'conformant'],
    'ftplib/active': ['reset', 'type', 'conformant'],
  },
  'close-after-pass': {
    'basic-ftp/passive': ['closed', 'pass', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['closed', 'pass', 'conformant'],
    'curl/active': ['closed', 'pass', 'conformant'],
    'lftp/passive': ['closed', 'pass', 'conformant'],
    'lftp/active': ['closed', 'pass', 'conformant'],
    'ftplib/passive': ['closed', 'pass', 'conformant'],
    'ftplib/active': ['closed', 'pass', 'conformant'],
  },
  'reset-before-stor-reply': {
    'basic-ftp/passive': ['reset', 'stor', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['reset', 'stor', 'conformant'],
    'curl/active': ['reset', 'stor', 'conformant'],
    'lftp/passive': ['reset', 'stor', 'conformant'],
    'lftp/active': ['reset', 'stor', 'conformant'],
    'ftplib/passive': ['reset', 'stor', 'conformant'],
    'ftplib/active': ['reset', 'stor', 'conformant'],
  },
  'close-before-stor-reply': {
    'basic-ftp/passive': ['closed', 'stor', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['closed', 'stor', 'conformant'],
    'curl/active': ['closed', 'stor', 'conformant'],
    'lftp/passive': ['closed', 'stor', 'conformant'],
    'lftp/active': ['closed', 'stor', 'conformant'],
    'ftplib/passive': ['closed', 'stor', 'conformant'],
    'ftplib/active': ['closed', 'stor', 'conformant'],
  },
  'reset-data-mid-stor': {
    'basic-ftp/passive': ['reset', 'transfer', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['reset', 'transfer', 'conformant'],
    'curl/active': ['reset', 'transfer', 'conformant'],
    'lftp/passive': ['closed', 'size', 'conformant'],
    'lftp/active': ['closed', 'size', 'conformant'],
    'ftplib/passive': ['reset', 'transfer', 'conformant'],
    'ftplib/active': ['reset', 'transfer', 'conformant'],
  },
  'close-data-mid-stor': {
    'basic-ftp/passive': ['reset', 'transfer', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['closed', 'stor', 'conformant'],
    'curl/active': ['closed', 'stor', 'conformant'],
    'lftp/passive': ['closed', 'stor', 'conformant'],
    'lftp/active': ['closed', 'stor', 'conformant'],
    'ftplib/passive': ['reset', 'transfer', 'conformant'],
    'ftplib/active': ['reset', 'stor', 'conformant'],
  },
  'reset-control-mid-stor': {
    'basic-ftp/passive': ['reset', 'transfer', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['timeout', 'transfer', 'conformant'],
    'curl/active': ['timeout', 'transfer', 'conformant'],
    'lftp/passive': ['closed', 'stor', 'conformant'],
    'lftp/active': ['closed', 'stor', 'conformant'],
    'ftplib/passive': ['reset', 'transfer', 'conformant'],
    'ftplib/active': ['timeout', 'transfer', 'conformant'],
  },
  'close-control-mid-stor': {
    'basic-ftp/passive': ['closed', 'transfer', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['closed', 'transfer', 'conformant'],
    'curl/active': ['timeout', 'transfer', 'conformant'],
    'lftp/passive': ['closed', 'size', 'conformant'],
    'lftp/active': ['closed', 'stor', 'conformant'],
    'ftplib/passive': ['reset', 'transfer', 'conformant'],
    'ftplib/active': ['timeout', 'transfer', 'conformant'],
  },
  'reset-after-stor': {
    'basic-ftp/passive': ['delivered', 'stor', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['delivered', 'stor', 'conformant'],
    'curl/active': ['delivered', 'stor', 'conformant'],
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
    'ftplib/passive': ['delivered', 'stor', 'conformant'],
    'ftplib/active': ['delivered', 'stor', 'conformant'],
  },
  'close-after-stor': {
    'basic-ftp/passive': ['delivered', 'stor', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['delivered', 'stor', 'conformant'],
    'curl/active': ['delivered', 'stor', 'conformant'],
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
    'ftplib/passive': ['delivered', 'stor', 'conformant'],
    'ftplib/active': ['delivered', 'stor', 'conformant'],
  },
};

/**
 * Cut mid-transfer, lftp reconnects and resumes by itself (its retry count restarts after progress) and
 * ftplib's last reply races its QUIT: which attempt the deadline or the failure lands on is timing. Each
 * still reports a failure or hangs; never a success. These cells accept every such outcome.
 */
const RACY = /^(lftp|ftplib)\//;
const FAILED_MID_TRANSFER: Want[] = (['closed', 'reset', 'timeout'] as const).flatMap((kind) =>
  ['stor', 'transfer', 'size', 'rest'].map((phase): Want => [kind, phase, 'conformant']),
);
const HUNG: Want[] = ['stor', 'transfer', 'size', 'rest'].map((phase): Want => ['hung', phase, 'deviates']);

export function expectFtpResets(id: string, column: string): Want | OneOf | undefined {
  const name = id.slice('ftp/resets/'.length);
  const measured = TABLE[name]?.[column];
  if (!measured || !name.endsWith('mid-stor') || !RACY.test(column)) return measured;
  return oneOf(measured, ...FAILED_MID_TRANSFER, ...(column.startsWith('lftp/') ? HUNG : []));
}
