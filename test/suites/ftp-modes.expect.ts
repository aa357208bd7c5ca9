/**
 * ftp/modes: passive and active per fault. basic-ftp has no active mode (n/a). curl ignores the 227
 * address and uses EPSV/EPRT first; ftplib uses PASV/PORT only; in active mode the mock refuses a PORT
 * to another address (RFC 2577: 500). curl hangs on a stalled data connection: its low-speed check
 * does not cover the wait for the reply once the upload sat in socket buffers.
 */
import { NA, type Want } from './want.js';

/** Per scenario, per client/mode column: [kind, phase, verdict], as measured. */
const TABLE: Readonly<Record<string, Readonly<Record<string, Want>>>> = {
  'baseline-upload': {
    'basic-ftp/passive': ['delivered', 'stor', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['delivered', 'stor', 'conformant'],
    'curl/active': ['delivered', 'stor', 'conformant'],
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
    'ftplib/passive': ['delivered', 'stor', 'conformant'],
    'ftplib/active': ['delivered', 'stor', 'conformant'],
  },
  'baseline-download': {
    'basic-ftp/passive': ['delivered', 'retr', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['delivered', 'retr', 'conformant'],
    'curl/active': ['delivered', 'retr', 'conformant'],
    'lftp/passive': ['delivered', 'retr', 'conformant'],
    'lftp/active': ['delivered', 'retr', 'conformant'],
    'ftplib/passive': ['delivered', 'retr', 'conformant'],
    'ftplib/active': ['delivered', 'retr', 'conformant'],
  },
  'wrong-data-address': {
    'basic-ftp/passive': ['delivered', 'stor', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['delivered', 'stor', 'conformant'],
    'curl/active': ['reply', 'port', 'conformant'],
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['reply', 'port', 'conformant'],
    'ftplib/passive': ['delivered', 'stor', 'conformant'],
    'ftplib/active': ['reply', 'port', 'conformant'],
  },
  'data-port-refused': {
    'basic-ftp/passive': ['refused', 'pasv', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['timeout', 'pasv', 'conformant'],
    'curl/active': ['reply', 'stor', 'conformant'],
    'lftp/passive': ['timeout', 'pasv', 'conformant'],
    'lftp/active': ['closed', 'stor', 'conformant'],
    'ftplib/passive': ['refused', 'pasv', 'conformant'],
    'ftplib/active': ['reply', 'stor', 'conformant'],
  },
  'epsv-500': {
    'basic-ftp/passive': ['delivered', 'stor', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['delivered', 'stor', 'conformant'],
    'curl/active': ['delivered', 'stor', 'conformant'],
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
    'ftplib/passive': ['delivered', 'stor', 'conformant'],
    'ftplib/active': ['delivered', 'stor', 'conformant'],
  },
  'eprt-500': {
    'basic-ftp/passive': ['delivered', 'stor', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['delivered', 'stor', 'conformant'],
    'curl/active': ['delivered', 'stor', 'conformant'],
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
    'ftplib/passive': ['delivered', 'stor', 'conformant'],
    'ftplib/active': ['delivered', 'stor', 'conformant'],
  },
  'active-refused': {
    'basic-ftp/passive': ['delivered', 'stor', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['delivered', 'stor', 'conformant'],
    'curl/active': ['reply', 'port', 'conformant'],
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['reply', 'port', 'conformant'],
    'ftplib/passive': ['delivered', 'stor', 'conformant'],
    'ftplib/active': ['reply', 'port', 'conformant'],
  },
  'data-reset-on-open': {
    'basic-ftp/passive': ['reset', 'stor', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['reset', 'transfer', 'conformant'],
    'curl/active': ['reset', 'transfer', 'conformant'],
    'lftp/passive': ['closed', 'size', 'conformant'],
    'lftp/active': ['closed', 'size', 'conformant'],
    'ftplib/passive': ['reset', 'transfer', 'conformant'],
    'ftplib/active': ['reset', 'transfer', 'conformant'],
  },
  'data-stall': {
    'basic-ftp/passive': ['timeout', 'transfer', 'conformant'],
    'basic-ftp/active': NA,
    'curl/passive': ['hung', 'transfer', 'deviates'],
    'curl/active': ['hung', 'transfer', 'deviates'],
    'lftp/passive': ['closed', 'size', 'conformant'],
    'lftp/active': ['closed', 'size', 'conformant'],
    'ftplib/passive': ['timeout', 'transfer', 'conformant'],
    'ftplib/active': ['timeout', 'transfer', 'conformant'],
  },
};

export function expectFtpModes(id: string, column: string): Want | undefined {
  const name = id.slice('ftp/modes/'.length);
  return TABLE[name]?.[column];
}
