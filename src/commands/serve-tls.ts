/**
 * `serve --tls`: the mock presents a certificate issued by a private CA made for this `serve` alone
 * (src/lib/tls.ts), and the CA certificate is written to serve's own temporary folder, the file a
 * client is told to trust (curl `--cacert`, swaks `--tls-ca-path`, Python `cafile`). The folder is
 * removed when serve stops (Ctrl-C and SIGTERM included: the CLI closes serve on either).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockTls } from '../lib/tls.js';
import { type KeyPair, writeCaFile } from '../tls/ca.js';

/** A serve's TLS: what the mock presents, where the CA file is, and how to remove it. */
export interface ServeTls {
  readonly certificate: KeyPair;
  /** The CA certificate's PEM file, absolute. */
  readonly caFile: string;
  /** Removes the folder of the CA file; idempotent. */
  close(): Promise<void>;
}

/** Makes the CA and the certificate for `host` (see mockTls), and writes the CA file in a new temporary folder. */
export async function startServeTls(host: string): Promise<ServeTls> {
  const { certificate, authority } = await mockTls(host);
  const dir = await mkdtemp(join(tmpdir(), 'wireprobe-serve-'));
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => (closed ??= rm(dir, { recursive: true, force: true }));
  try {
    return { certificate, caFile: await writeCaFile(authority, dir), close };
  } catch (error) {
    await close();
    throw error;
  }
}
