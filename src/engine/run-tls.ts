/**
 * The TLS a run sets up when its scenario uses TLS: one private CA for the run (src/tls/ca.ts), the
 * certificate the TLS-terminating proxy presents (valid unless the scenario asks for a bad one), and
 * the CA's PEM in a temporary folder of its own for the client to trust (`SmtpJob.ca`). The folder is
 * removed when the run closes what it started, an interrupted run included (runOne's finally).
 */
import { mkdtempSync, rmSync } from 'node:fs';
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

/**
 * Makes the run's CA, the proxy's `certificate` (default `valid`) and the CA file; the proxy terminates
 * TLS where the client starts it (`start`); `keylog` gets both legs' key log lines; `tlsVersion` `1.0`
 * offers the client only TLS 1.0.
 */
export async function runTls(
  start: 'starttls' | 'implicit',
  certificate: CertificateKind = 'valid',
  keylog?: (line: Buffer) => void,
  tlsVersion?: '1.0',
): Promise<RunTls> {
  const ca = await createPrivateCa();
  const identity = await ca.issue({ kind: certificate });
  // Made and removed synchronously, so an interrupt between the two cannot leave it behind half made.
  const dir = mkdtempSync(join(tmpdir(), 'wireprobe-ca-'));
  try {
    const caFile = await writeCaFile(ca, dir);
    return {
      proxy: { mode: start, identity, ...(keylog ? { keylog } : {}), ...(tlsVersion ? TLS_1_0 : {}) },
      caFile,
      close: async () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
