/**
 * What an FTP job's TLS mode asks of a client, read from its TlsMode by string, so that the implicit
 * modes (`implicit`, `implicit-verify`: TLS from the first byte, FTPS port 990 style) are understood
 * whether or not TlsMode lists them yet. Explicit TLS is AUTH TLS then PBSZ 0 and PROT P (RFC 4217
 * §§4, 8, 9): every adapter protects the data connections too.
 */
import type { FtpJob } from './types.js';

/** The job's TLS as three facts. */
export interface FtpTls {
  /** TLS at all (AUTH TLS or implicit). */
  readonly on: boolean;
  /** Implicit: the handshake first, no AUTH TLS. */
  readonly implicit: boolean;
  /** The certificate is verified (against `job.ca`, else the system's CAs). */
  readonly verify: boolean;
}

/** Reads `job.tls` (absent or `none`: off). */
export function ftpTls(job: Pick<FtpJob, 'tls'>): FtpTls {
  const mode: string = job.tls ?? 'none';
  const on = mode !== 'none';
  return { on, implicit: on && mode.startsWith('implicit'), verify: on && mode.endsWith('-verify') };
}
