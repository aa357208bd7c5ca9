/**
 * Which TLS versions a server still accepts, both protocols alike (`smtp.tls-versions`,
 * `ftp.tls-versions`): after the normal session, one short connection per version, each offering that
 * version alone (minVersion = maxVersion). The protocol's own way to the handshake (STARTTLS, AUTH TLS, or
 * implicit TLS) is the caller's `reach`; judging is here.
 *
 *   TLSv1 ─► reach(offer) ─► handshake ─► accepted (negotiated TLSv1) │ refused (alert, close, reset)
 *   TLSv1.1, TLSv1.2, TLSv1.3 the same   ─► accepted 1.0 or 1.1: warn (RFC 8996); else pass
 *
 * What Node's OpenSSL cannot offer at all (SSLv2, SSLv3, RC4, export ciphers) is named "not tested" in
 * the advice, never counted as refused.
 */
import { finding, skipped } from './finding.js';
import type { RawConnection, Upgrade } from './raw.js';
import type { TlsOffer } from './raw-tls.js';
import type { Finding } from './types.js';

/** The versions offered one by one, oldest first. */
export const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;

/** One of TLS_VERSIONS. */
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** Deprecated by RFC 8996: accepting them is a warning. */
const DEPRECATED: readonly TlsVersion[] = ['TLSv1', 'TLSv1.1'];

/**
 * OpenSSL errors raised before anything was sent: the version cannot be offered from here (a build
 * without it), so the server was not asked. Everything else after the ClientHello is the server's answer.
 */
const LOCAL_ERRORS: ReadonlySet<string> = new Set(['ERR_SSL_NO_PROTOCOLS_AVAILABLE', 'ERR_SSL_NO_CIPHERS_AVAILABLE', 'ERR_SSL_NO_CIPHER_MATCH']);

/**
 * The ClientHello for one version. TLS 1.0 and 1.1 are offered at all only at OpenSSL security level 0
 * (their SHA-1 signatures are refused above it): `DEFAULT:@SECLEVEL=0`.
 */
export function offerOf(version: TlsVersion): TlsOffer {
  return { minVersion: version, maxVersion: version, ...(DEPRECATED.includes(version) ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}) };
}

/** How the protocol got to a handshake offering one version: the handshake's outcome, or why it could not start. */
export type Reached =
  | { readonly ok: true; readonly upgrade: Upgrade; readonly conn: RawConnection }
  | { readonly ok: false; readonly why: string; readonly transcript: { sent: string[]; received: string[] } };

/** What the check needs from the protocol. */
export interface VersionsProbe {
  readonly id: string;
  readonly rfc: string;
  /** Connects and gets to the TLS handshake with `offer` (STARTTLS, AUTH TLS, or implicit TLS). */
  reach(offer: TlsOffer): Promise<Reached>;
  /** Ends an accepted session politely (QUIT inside TLS); it must destroy the connection. */
  close(conn: RawConnection): Promise<void>;
}

type Answer = { readonly version: TlsVersion; readonly answer: 'accepted' | 'refused' | 'untested'; readonly detail: string };

/**
 * Offers each version on a connection of its own and judges: value the versions accepted
 * (`TLSv1.2, TLSv1.3`); TLS 1.0 or 1.1 among them warns (RFC 8996); none accepted warns (no version Node
 * offers works). A connection that cannot get to the handshake (STARTTLS refused...) makes the whole check a skip.
 */
export async function tlsVersionsCheck(probe: VersionsProbe): Promise<Finding> {
  const answers: Answer[] = [];
  for (const version of TLS_VERSIONS) {
    const reached = await probe.reach(offerOf(version));
    if (!reached.ok) return skipped(probe.id, probe.rfc, `Not checked: ${reached.why}.`, reached.transcript);
    const { upgrade, conn } = reached;
    if (upgrade.ok) {
      answers.push({
        version,
        answer: upgrade.tls.protocol === version ? 'accepted' : 'refused',
        detail: `${upgrade.tls.protocol ?? '?'} ${upgrade.tls.cipher}`,
      });
      await probe.close(conn);
    } else {
      conn.destroy();
      const local = upgrade.code !== undefined && LOCAL_ERRORS.has(upgrade.code);
      answers.push({ version, answer: local ? 'untested' : 'refused', detail: upgrade.event });
    }
  }
  const accepted = answers.filter((a) => a.answer === 'accepted').map((a) => a.version);
  const untested = [...answers.filter((a) => a.answer === 'untested').map((a) => a.version), 'SSLv3', 'RC4 and export ciphers'];
  const transcript = {
    sent: answers.map((a) => `[TLS handshake offering ${a.version} only]`),
    received: answers.map(
      (a) => `[${a.version}: ${a.answer === 'accepted' ? 'accepted' : a.answer === 'refused' ? 'refused' : 'not offered from here'}: ${a.detail}]`,
    ),
  };
  const notTested = `Not tested (Node's OpenSSL cannot offer them): ${untested.join(', ')}.`;
  const value = accepted.length ? accepted.join(', ') : 'none';
  const old = accepted.filter((v) => DEPRECATED.includes(v));
  if (old.length) {
    return finding(
      probe.id,
      'warn',
      probe.rfc,
      `The server still accepts ${old.join(' and ')}, deprecated by RFC 8996: disable TLS 1.0 and 1.1 (accepted: ${value}). ${notTested}`,
      transcript,
      value,
    );
  }
  if (accepted.length === 0) {
    return finding(probe.id, 'warn', probe.rfc, `No version offered alone was accepted (TLS 1.0 to 1.3). ${notTested}`, transcript, value);
  }
  const no13 = accepted.includes('TLSv1.3') ? '' : ' TLS 1.3 is not accepted: RFC 9325 §3.1.1 says servers SHOULD support it.';
  return finding(probe.id, 'pass', probe.rfc, `Only ${value} accepted; TLS 1.0 and 1.1 refused.${no13} ${notTested}`, transcript, value);
}
