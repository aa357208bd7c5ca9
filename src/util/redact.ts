/**
 * Credentials hidden in a client line, for every transcript wireprobe writes: the proxy's, the probe's
 * and the HTML report's (which redacts again). One function, so the three cannot drift apart.
 */

/** Hides credentials in a client line. `continuation`: a SASL line after 334, all secret. */
export function redact(line: string, verb: string, continuation = false): string {
  if (continuation) return '***';
  if (verb === 'AUTH') {
    const [, mechanism = '', initial] = line.trim().split(/\s+/);
    return initial === undefined ? `AUTH ${mechanism}` : `AUTH ${mechanism} ***`;
  }
  if (verb === 'PASS' || verb === 'ACCT') return `${verb} ***`;
  return line;
}
