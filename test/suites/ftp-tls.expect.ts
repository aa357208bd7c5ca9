/**
 * ftp/tls, measured here: every client delivers over AUTH TLS and implicit FTPS except curl 7.88.1 in
 * active mode, which sends the file in clear text on a PROT P data connection (curl issue #10666, fixed
 * in 8.0): the proxy's TLS handshake with it fails, the client's end is reset, and curl gives up (exit 55). Session reuse: curl,
 * lftp and basic-ftp resume the control connection's TLS session on the data connection; Python's
 * ftplib does not, and a server that requires it (vsftpd's default) resets the data connection with 522
 * (the RST first, the 522 right behind it: src/proxy/data-link.ts). Refused FTPS: lftp sees no AUTH TLS
 * in FEAT and stops; the others stop at the 502 to AUTH. PROT P refused: lftp goes on and moves the file
 * over a clear data connection (ftp:ssl-protect-data is a wish, not a requirement: a deviation);
 * basic-ftp ignores the 534 and starts TLS on a data connection the server keeps clear (timeout).
 */
import { every, NA, oneOf, REACHED, type OneOf, type Want } from './want.js';

/** curl 7.88.1, active FTPS: clear data under PROT P; the proxy's TLS handshake with it fails and curl gives up (exit 55). */
const CURL_ACTIVE_CLEAR: Want = ['reset', 'transfer', 'deviates'];

const TABLE: Readonly<Record<string, Readonly<Record<string, Want>>>> = {
  clean: every(['delivered', 'stor', 'conformant'], {
    'curl/active': CURL_ACTIVE_CLEAR,
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  'clean-implicit': every(['delivered', 'stor', 'conformant'], {
    'curl/active': CURL_ACTIVE_CLEAR,
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
  }),
  'reuse-required': every(['delivered', 'stor', 'conformant'], {
    'curl/active': CURL_ACTIVE_CLEAR,
    'lftp/passive': ['delivered', 'site', 'conformant'],
    'lftp/active': ['delivered', 'site', 'conformant'],
    'ftplib/passive': ['reset', 'stor', 'deviates'],
    'ftplib/active': ['reset', 'stor', 'deviates'],
  }),
  'reset-handshake': every(['reset', 'tls', 'conformant']),
  // A fatal handshake_failure alert to the ClientHello: every client names it and stops (curl exit 35, lftp 1 after one attempt).
  'alert-handshake': every(['closed', 'tls', 'conformant']),
  'reset-after-pass-inside': every(['reset', 'pbsz', 'conformant'], {
    'basic-ftp/passive': ['reset', 'feat', 'conformant'],
    'lftp/passive': ['reset', 'pwd', 'conformant'],
    'lftp/active': ['reset', 'pwd', 'conformant'],
    'ftplib/passive': ['closed', 'pbsz', 'conformant'],
    'ftplib/active': ['closed', 'pbsz', 'conformant'],
  }),
  'reset-data-mid-stor': every(['reset', 'transfer', 'conformant'], { 'curl/active': ['reset', 'transfer', 'unfired'] }),
  'no-ftps': every(['reply', 'auth', 'conformant'], { 'lftp/passive': ['closed', 'feat', 'conformant'], 'lftp/active': ['closed', 'feat', 'conformant'] }),
  'prot-p-refused': every(['reply', 'prot', 'conformant'], {
    'basic-ftp/passive': ['timeout', 'transfer', 'conformant'],
    'lftp/passive': ['delivered', 'site', 'deviates'],
    'lftp/active': ['delivered', 'site', 'deviates'],
  }),
};

/**
 * lftp's own retry loop after each cut protected data connection: its last try ends at a FIN, an RST
 * or its own timeout, wherever it got to (each measured).
 */
const LFTP_RETRIES: OneOf = oneOf(['closed', REACHED, 'conformant'], ['timeout', REACHED, 'conformant'], ['reset', REACHED, 'conformant']);

/**
 * ftplib, its protected data connection reset mid-STOR: it sends QUIT once its write fails, racing the
 * server's 426, which comes only once the server's own end is reset (after the proxy's grace): QUIT
 * first (at the transfer) or the 426 first (at STOR); or its last write was already in the kernel when
 * the RST came, and it read the 426 (a reply). Each measured.
 */
const FTPLIB_RACE: OneOf = oneOf(['reset', 'transfer', 'conformant'], ['reset', 'stor', 'conformant'], ['reply', 'stor', 'conformant']);

/**
 * ftplib refused for not resuming the session: the server resets the data connection and answers 522;
 * ftplib fails on the RST while still writing, or, its writes all in the kernel already, reads the 522.
 */
const FTPLIB_NO_REUSE: OneOf = oneOf(['reset', 'stor', 'deviates'], ['reply', 'stor', 'deviates']);

export function expectFtpTls(id: string, column: string): Want | OneOf | undefined {
  const name = id.slice('ftp/tls/'.length);
  if (name === 'reset-data-mid-stor' && column.startsWith('lftp/')) return LFTP_RETRIES;
  if (name === 'reset-data-mid-stor' && column.startsWith('ftplib/')) return FTPLIB_RACE;
  if (name === 'reuse-required' && column.startsWith('ftplib/')) return FTPLIB_NO_REUSE;
  const want = TABLE[name]?.[column];
  return want ?? (column === 'basic-ftp/active' && TABLE[name] ? NA : undefined);
}
