/** What the fault proxy can relay of the mock FTP server's FTPS (`serve ftp --tls`, `startFtp({ tls })`). */

/**
 * Why the mock FTP server's `tls` mode cannot be served through the fault proxy, or undefined. The
 * proxy reads an FTP control connection as lines and holds a line's first octets until its end: a
 * ClientHello from the first octet (implicit FTPS) has no line end, so it would wait forever. Explicit
 * FTPS works: after `234` to AUTH TLS the proxy relays the connection unread.
 */
export function ftpsUnservable(mode: 'off' | 'explicit' | 'implicit'): string | undefined {
  return mode === 'implicit'
    ? 'implicit FTPS through the fault proxy is not supported yet (the proxy reads the control connection as lines from its first octet); use explicit'
    : undefined;
}
