/**
 * ftp/uploads: every client keeps a throttled upload going past its 1 s inactivity timeout and past the
 * server's idle timeout, reports the 421 mid-transfer and the stalled sink as failures, and resumes
 * after a reset (basic-ftp with APPE, curl -C -, lftp put -c and its own REST, ftplib REST+STOR).
 * curl in active mode reads the 421 only at its timeout (the data connection still open); lftp closes
 * and reconnects on its own.
 */
import { every, oneOf, type OneOf, type Want } from './want.js';

/** Per scenario: the outcome of every client and mode (basic-ftp has no active mode), then the columns that differ. */
const TABLE: Readonly<Record<string, Readonly<Record<string, Want>>>> = {
  'throttled': every(['delivered', 'stor', 'conformant'], {
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  'server-idle-timeout': every(['delivered', 'stor', 'conformant'], {
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  'control-killed-421': every(['reply', 'transfer', 'conformant'], {
    'curl/active': ['timeout', 'transfer', 'conformant'],
    'lftp/passive': ['closed', 'size', 'conformant'],
    'lftp/active': ['closed', 'size', 'conformant'],
    'ftplib/passive': ['reset', 'transfer', 'conformant'],
    'ftplib/active': ['timeout', 'transfer', 'conformant'],
  }),
  'stalled-sink': every(['timeout', 'transfer', 'conformant'], {
    'lftp/passive': ['closed', 'size', 'conformant'],
    'lftp/active': ['closed', 'size', 'conformant'],
  }),
  'resume-after-reset': every(['delivered', 'appe', 'conformant'], {
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
    'ftplib/passive': ['delivered', 'stor', 'conformant'],
    'ftplib/active': ['delivered', 'stor', 'conformant'],
  }),
};

/**
 * lftp closes and reconnects by itself when the control connection dies or the data stalls; where its
 * last attempt ends (waiting for PASV, SIZE or the transfer) is timing. It still reports a failure.
 */
const LFTP_RETRIES = new Set(['control-killed-421', 'stalled-sink']);
/**
 * Seen once in three runs under load: the mock server had not read all of the 4 MiB relayed before the
 * RST (250 ms later) came, Linux showed it the RST as end of file, it stored the part it had and said
 * 226, and lftp reported the upload complete without resuming: a deviation, with both hashes.
 */
const TRUNCATED: Want = ['delivered', 'site', 'deviates'];
const FAILED: Want[] = (['closed', 'reset', 'timeout'] as const).flatMap((kind) =>
  ['pasv', 'port', 'size', 'stor', 'transfer'].map((phase): Want => [kind, phase, 'conformant']),
);

export function expectFtpUploads(id: string, column: string): Want | OneOf | undefined {
  const name = id.slice('ftp/uploads/'.length);
  const measured = TABLE[name]?.[column];
  if (measured && name === 'resume-after-reset' && column.startsWith('lftp/')) return oneOf(measured, TRUNCATED);
  if (!measured || !LFTP_RETRIES.has(name) || !column.startsWith('lftp/')) return measured;
  return oneOf(measured, ...FAILED);
}
