/**
 * The TLS a started mock presents (`startSmtp`/`startFtp` with `tls`, and `serve --tls`): a certificate
 * for loopback issued by a private CA made for that server alone, and that CA's certificate, which is
 * what a client is told to trust (nodemailer `tls.ca`, curl `--cacert`). A fresh CA per server: nothing
 * else ever trusts it, and it lives no longer than the server.
 */
import { createPrivateCa, type KeyPair, LOOPBACK_NAMES, type PrivateCa } from '../tls/ca.js';

/** A mock's TLS: the certificate it presents and the CA certificate (PEM) that issued it. */
export interface MockTls {
  readonly certificate: KeyPair;
  /** The CA certificate, PEM: what clients trust. */
  readonly ca: string;
  /** The CA itself (writeCaFile takes it). */
  readonly authority: PrivateCa;
}

/**
 * A certificate for LOOPBACK_NAMES, and `host` too when it names one address or name (not a wildcard
 * such as `0.0.0.0` or `::`), issued by a fresh private CA.
 */
export async function mockTls(host?: string): Promise<MockTls> {
  const wildcard = host === undefined || /^[0:.]*$/.test(host);
  const names = wildcard || LOOPBACK_NAMES.includes(host) ? LOOPBACK_NAMES : [...LOOPBACK_NAMES, host];
  const ca = await createPrivateCa();
  return { certificate: await ca.issue({ names }), ca: ca.cert, authority: ca };
}
