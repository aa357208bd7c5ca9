/**
 * ftp/tls, measured here: every client delivers over AUTH TLS and implicit FTPS except curl 7.88.1 in
 * active mode, which sends the file in clear text on a PROT P data connection (curl issue #10666, fixed
 * in 8.0): the proxy's TLS handshake with it fails, the client's end is reset, and curl gives up (exit 55). Session reuse: curl,
 * lftp and basic-ftp resume the control connection's TLS session on the data connection; Python's
 * ftplib does not, and a server that requires it (vsftpd's default) resets the data connection with 522
 * (the RST first, the 522 right behind it, ftplib held in its write: src/proxy/data-link.ts). Refused FTPS: lftp sees no AUTH TLS
 * in FEAT and stops; the others stop at the 502 to AUTH. PROT P refused: lftp goes on and moves the file
 * over a clear data connection (ftp:ssl-protect-data is a wish, not a requirement: a deviation);
 * basic-ftp ignores the 534 and starts TLS on a data connection the server keeps clear (timeout).
 */
import { every, NA, oneOf, type OneOf, type Want } from './want.js';

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

/**
 * ftplib refused for not resuming: the mock closes the data connection (a FIN) after the handshake,
 * then resets it for ftplib's unread octets, and answers 522. The RST waits for the 522 and ftplib,
 * held in its write, fails on it (`reset@stor`, the table); but the server's FIN is relayed as it comes,
 * ahead of that RST, and now and then ftplib's TLS fails on that end instead, an SSL error after which
 * its adapter reads the 522 (seen once in 14 runs). To pin it, the proxy would hold a server's FIN
 * on a protected upload until the server's reply, as it holds the RST.
 */
const FTPLIB_NO_REUSE_FIN_FIRST: Want = ['reply', 'stor', 'deviates'];

export function expectFtpTls(id: string, column: string): Want | OneOf | undefined {
  const name = id.slice('ftp/tls/'.length);
  const want = TABLE[name]?.[column];
  if (want && name === 'reuse-required' && column.startsWith('ftplib/')) return oneOf(want, FTPLIB_NO_REUSE_FIN_FIRST);
  return want ?? (column === 'basic-ftp/active' && TABLE[name] ? NA : undefined);
}
