/**
 * smtp/tls: what each client does with STARTTLS required. After the 220 to STARTTLS the proxy sees only
 * opaque TLS bytes, so the phase stays `tls`; a refused STARTTLS ends at `starttls`. Every client
 * refuses to go on in clear after a 454 and rejects the self-signed certificate when it verifies.
 */
import type { Want } from './want.js';

const COMMON: Record<string, Want> = {
  clean: ['delivered', 'tls', 'conformant'],
  'refused-454': ['reply', 'starttls', 'conformant'],
  'reset-handshake': ['reset', 'tls', 'conformant'],
  'cert-rejected': ['closed', 'tls', 'conformant'],
};

/**
 * The same for every client. The refused STARTTLS is the 454 each was shown: nodemailer and smtplib by
 * reply code, curl (exit 64), swaks (exit 29) and msmtp (exit 76) by exit code plus the last reply the
 * proxy showed them.
 */
export function expectTls(id: string, _client: string): Want | undefined {
  return COMMON[/^smtp\/tls\/(.+)$/.exec(id)?.[1] ?? ''];
}
