/**
 * The TLS a run sets up when its scenario uses TLS: one private CA for the run (src/tls/ca.ts), the
 * certificate the TLS-terminating proxy presents (valid unless the scenario asks for a bad one), and
 * the CA's PEM in a temporary folder of its own for the client to trust (`SmtpJob.ca`). The folder is
 * removed when the run closes what it started, an interrupted run included (runOne's finally).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProxyTls } from '../proxy/tls-legs.js';
import { type CertificateKind, createPrivateCa, writeCaFile } from '../tls/ca.js';

/** What a run with TLS hands the proxy and the client; closing it removes the CA file. */
export interface RunTls {
  /** The proxy's `tls` option: terminate at STARTTLS, or from the first octet, with the run's certificate. */
  readonly proxy: ProxyTls;
  /** The CA PEM file the client trusts. */
  readonly caFile: string;
  close(): Promise<void>;
}

/** Only TLS 1.0 toward the client (RFC 8996 deprecates it); OpenSSL 3 offers it only at security level 0. */
const TLS_1_0 = { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' } as const;

/** What a run's TLS is made of; every field optional. */
export interface RunTlsOptions {
  /** The certificate the proxy presents to the client; default `valid`. */
  readonly certificate?: CertificateKind;
  /** Gets both legs' key log lines. */
  readonly keylog?: (line: Buffer) => void;
  /** `1.0`: the proxy offers the client only TLS 1.0. */
  readonly tlsVersion?: '1.0';
  /**
   * The server's host as the run reaches it: a name (a user's server, `mail.example.com`) is sent as the
   * SNI of the proxy's own handshake toward it (RFC 6066 §3), as the client would send it connecting
   * directly, so a server that picks its certificate or settings by name answers the proxy as it answers
   * the client; an IP address sends none (RFC 6066 §3 allows no literal addresses).
   */
  readonly upstreamHost?: string;
}

/** Makes the run's CA, the proxy's certificate and the CA file; the proxy terminates TLS where the client starts it (`start`). */
export async function runTls(start: 'starttls' | 'implicit', options: RunTlsOptions = {}): Promise<RunTls> {
  const { certificate = 'valid', keylog, tlsVersion, upstreamHost } = options;
  const ca = await createPrivateCa();
  const identity = await ca.issue({ kind: certificate });
  // Made and removed synchronously, so an interrupt between the two cannot leave it behind half made.
  const dir = mkdtempSync(join(tmpdir(), 'wireprobe-ca-'));
  try {
    const caFile = await writeCaFile(ca, dir);
    return {
      proxy: {
        mode: start,
        identity,
        ...(keylog ? { keylog } : {}),
        ...(tlsVersion ? TLS_1_0 : {}),
        ...(upstreamHost && isIP(upstreamHost) === 0 ? { servername: upstreamHost } : {}),
      },
      caFile,
      close: async () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
