/**
 * ftp/tls, measured here: every client delivers over AUTH TLS and implicit FTPS except curl 7.88.1 in
 * active mode, which sends the file in clear text on a PROT P data connection (curl issue #10666, fixed
 * in 8.0): the proxy's TLS handshake with it fails, the client's end is reset, and curl gives up (exit 55). Session reuse: curl,
 * lftp and basic-ftp resume the control connection's TLS session on the data connection; Python's
 * ftplib does not, and a server that requires it (vsftpd's default) cuts the data connection and answers
 * 522; whether ftplib's TLS fails on the FIN or the RST, its adapter reads the 522 behind it. Refused FTPS: lftp sees no AUTH TLS
 * in FEAT and stops; the others stop at the 502 to AUTH. PROT P refused: lftp goes on and moves the file
 * over a clear data connection (ftp:ssl-protect-data is a wish, not a requirement: a deviation);
 * basic-ftp ignores the 534 and starts TLS on a data connection the server keeps clear (timeout).
 */
import { every, NA, type OneOf, type Want } from './want.js';

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
    'ftplib/passive': ['reply', 'stor', 'deviates'],
    'ftplib/active': ['reply', 'stor', 'deviates'],
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
  // ftplib is held in its write (the proxy reads no more of a connection it is about to reset), fails
  // with an SSL error, and its adapter then reads the server's 426.
  'reset-data-mid-stor': every(['reset', 'transfer', 'conformant'], {
    'curl/active': ['reset', 'transfer', 'unfired'],
    'ftplib/passive': ['reply', 'stor', 'conformant'],
    'ftplib/active': ['reply', 'stor', 'conformant'],
  }),
  'no-ftps': every(['reply', 'auth', 'conformant'], { 'lftp/passive': ['closed', 'feat', 'conformant'], 'lftp/active': ['closed', 'feat', 'conformant'] }),
  'prot-p-refused': every(['reply', 'prot', 'conformant'], {
    'basic-ftp/passive': ['timeout', 'transfer', 'conformant'],
    'lftp/passive': ['delivered', 'site', 'deviates'],
    'lftp/active': ['delivered', 'site', 'deviates'],
  }),
};

export function expectFtpTls(id: string, column: string): Want | OneOf | undefined {
  const name = id.slice('ftp/tls/'.length);
  const want = TABLE[name]?.[column];
  return want ?? (column === 'basic-ftp/active' && TABLE[name] ? NA : undefined);
}
