/**
 * ftp/modes: passive and active per fault. basic-ftp has no active mode (n/a). curl ignores the 227
 * address and uses EPSV/EPRT first; ftplib uses PASV/PORT only; in active mode the mock refuses a PORT
 * to another address (RFC 2577: 500). curl hangs on a stalled data connection: its low-speed check
 * does not cover the wait for the reply once the upload sat in socket buffers. A blackholed data port:
 * passive clients time out connecting; in active mode the mock server gives up connecting back after
 * 5 s (425), which curl waits for (its reply wait has no CLI bound) while ftplib and lftp time out first;
 * lftp sends ABOR (behind Telnet IP and Synch) after its no-progress timeout and reports the timeout.
 * After a data connection reset as it opens or stalled, lftp reconnects and tries again; it fails on
 * what the first session met, the session its outcome is read from (src/engine/ftp-run.ts).
 */
import { every, type Want } from './want.js';

/** Per scenario: the outcome of every client and mode (basic-ftp has no active mode), then the columns that differ. */
const TABLE: Readonly<Record<string, Readonly<Record<string, Want>>>> = {
  'baseline-upload': every(['delivered', 'stor', 'conformant'], {
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  'baseline-download': every(['delivered', 'retr', 'conformant']),
  'wrong-data-address': every(['delivered', 'stor', 'conformant'], {
    'curl/active': ['reply', 'port', 'conformant'],
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['reply', 'port', 'conformant'],
    'ftplib/active': ['reply', 'port', 'conformant'],
  }),
  'data-port-refused': every(['refused', 'pasv', 'conformant'], {
    'curl/active': ['reply', 'stor', 'conformant'],
    // lftp waits on after the 425 until its no-progress timeout, then QUITs: the 425 was its last word.
    'lftp/active': ['reply', 'stor', 'conformant'],
    'ftplib/active': ['reply', 'stor', 'conformant'],
  }),
  'data-port-blackholed': every(['timeout', 'pasv', 'conformant'], {
    'curl/active': ['reply', 'stor', 'conformant'],
    'lftp/passive': ['timeout', 'stor', 'conformant'],
    'lftp/active': ['timeout', 'stor', 'conformant'],
    'ftplib/active': ['timeout', 'stor', 'conformant'],
  }),
  'epsv-500': every(['delivered', 'stor', 'conformant'], {
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  'eprt-500': every(['delivered', 'stor', 'conformant'], {
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  'active-refused': every(['delivered', 'stor', 'conformant'], {
    'curl/active': ['reply', 'port', 'conformant'],
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['reply', 'port', 'conformant'],
    'ftplib/active': ['reply', 'port', 'conformant'],
  }),
  // The RST waits for the client's STOR (src/proxy/data-link.ts, start): a passive client's connect has
  // succeeded by then, whenever it checks it, so none fails at PASV or falls back to another connection.
  'data-reset-on-open': every(['reset', 'transfer', 'conformant'], {
    'basic-ftp/passive': ['reset', 'stor', 'conformant'],
  }),
  'data-stall': every(['timeout', 'transfer', 'conformant'], {
    'curl/passive': ['hung', 'transfer', 'deviates'],
    'curl/active': ['hung', 'transfer', 'deviates'],
  }),
};

export function expectFtpModes(id: string, column: string): Want | undefined {
  return TABLE[id.slice('ftp/modes/'.length)]?.[column];
}
