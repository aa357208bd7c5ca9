/**
 * The two questions every adapter asks of a TlsMode: when TLS starts (never, after STARTTLS, or from
 * the first octet: RFC 8314 §3.3's implicit TLS) and whether the certificate is verified. Each adapter
 * then says it in its own client's options.
 */
import type { TlsMode } from './types.js';

/** When a client's TLS starts: `none` (plaintext), `starttls` (RFC 3207 upgrade), `implicit` (from the first octet). */
export type TlsStart = 'none' | 'starttls' | 'implicit';

/** When TLS starts in `mode`. */
export function tlsStart(mode: TlsMode): TlsStart {
  if (mode === 'none') return 'none';
  return mode.startsWith('implicit') ? 'implicit' : 'starttls';
}

/** Whether `mode` verifies the server's certificate (against the job's `ca`, else the system's CAs). */
export function tlsVerifies(mode: TlsMode): boolean {
  return mode.endsWith('-verify');
}
