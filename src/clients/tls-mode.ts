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

/** A job's TLS as three facts, for adapters that set options one by one (absent or `none`: all false). */
export interface TlsFacts {
  /** TLS at all (STARTTLS / AUTH TLS, or implicit). */
  readonly on: boolean;
  /** Implicit: the handshake first (FTPS port 990, SMTP 465). */
  readonly implicit: boolean;
  /** The certificate is verified (against `job.ca`, else the system's CAs). */
  readonly verify: boolean;
}

/** Reads a job's `tls` as TlsFacts. */
export function tlsFacts(job: { readonly tls?: TlsMode | undefined }): TlsFacts {
  const start = tlsStart(job.tls ?? 'none');
  return { on: start !== 'none', implicit: start === 'implicit', verify: start !== 'none' && tlsVerifies(job.tls ?? 'none') };
}
