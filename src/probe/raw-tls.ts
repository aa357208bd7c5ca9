/**
 * What a TLS handshake showed of the server (protocol, cipher, certificate and whether it verifies and
 * names the host), read off the raw client's socket once STARTTLS / AUTH TLS succeeded; the tls checks
 * judge it.
 */
import tls, { type PeerCertificate, type TLSSocket } from 'node:tls';

/** What a ClientHello offers beyond Node's defaults: one version, ciphers, a session to resume (RawConnection.upgradeTls). */
export type TlsOffer = Pick<tls.ConnectionOptions, 'minVersion' | 'maxVersion' | 'ciphers' | 'session'>;

/** What a TLS handshake showed of the server; recorded for the tls checks. */
export interface TlsInfo {
  /** `TLSv1.3`, `TLSv1.2`...; null if unknown. */
  readonly protocol: string | null;
  /** Negotiated cipher name, e.g. `TLS_AES_256_GCM_SHA384`. */
  readonly cipher: string;
  /** The chain verified against the system's CAs (it was not required to: rejectUnauthorized is false). */
  readonly authorized: boolean;
  /** Why it did not verify (`DEPTH_ZERO_SELF_SIGNED_CERT`, `CERT_HAS_EXPIRED`...). */
  readonly authorizationError?: string;
  /** The certificate's names match the host we connected to (tls.checkServerIdentity). */
  readonly nameMatches: boolean;
  /** Subject and issuer common names, subjectAltName, validity dates as the certificate gives them. */
  readonly subject?: string;
  readonly issuer?: string;
  readonly altNames?: string;
  readonly validFrom?: string;
  readonly validTo?: string;
  /** Whole days until `validTo` (negative once expired). */
  readonly daysLeft?: number;
  readonly selfSigned: boolean;
  /** SHA-256 fingerprint, colon-separated hex. */
  readonly fingerprint256?: string;
}

/** What a TLS socket showed, for the tls check. */
export function tlsInfo(socket: TLSSocket, host: string): TlsInfo {
  const cert = socket.getPeerCertificate(false) as PeerCertificate | Record<string, never>;
  const has = Object.keys(cert).length > 0;
  const pc = cert as PeerCertificate;
  const error = socket.authorizationError ? String((socket.authorizationError as unknown as { code?: string }).code ?? socket.authorizationError) : undefined;
  const validTo = has ? pc.valid_to : undefined;
  const daysLeft = validTo ? Math.floor((Date.parse(validTo) - Date.now()) / 86_400_000) : undefined;
  const nameMatches = has ? tls.checkServerIdentity(host, pc) === undefined : false;
  const cn = (name: unknown): string | undefined => {
    const value = (name as { CN?: string | string[] } | undefined)?.CN;
    return Array.isArray(value) ? value.join(', ') : value;
  };
  return {
    protocol: socket.getProtocol(),
    cipher: socket.getCipher()?.name ?? '?',
    authorized: socket.authorized,
    ...(error ? { authorizationError: error } : {}),
    nameMatches,
    ...(has && cn(pc.subject) ? { subject: cn(pc.subject) } : {}),
    ...(has && cn(pc.issuer) ? { issuer: cn(pc.issuer) } : {}),
    ...(has && pc.subjectaltname ? { altNames: pc.subjectaltname } : {}),
    ...(has ? { validFrom: pc.valid_from, validTo: pc.valid_to } : {}),
    ...(daysLeft !== undefined && Number.isFinite(daysLeft) ? { daysLeft } : {}),
    selfSigned: error === 'DEPTH_ZERO_SELF_SIGNED_CERT' || error === 'SELF_SIGNED_CERT_IN_CHAIN',
    ...(has && pc.fingerprint256 ? { fingerprint256: pc.fingerprint256 } : {}),
  };
}
