/**
 * A real server's files: its private directory, a self-signed certificate, log tails for error
 * messages, and a login's files read and written under its root.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { localhostCertificate } from '../../src/util/localhost-cert.js';
import { type Digest, digestIfThere } from '../../src/util/digest.js';
import { Content } from '../../src/util/content.js';

/** A fresh directory under the OS temp dir, mode 0700 (a launcher may open it further for its server's user). */
export async function makePrivateDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o700);
  return dir;
}

/** Removes `dir` and everything in it; no error when it is already gone. */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** The files of a self-signed certificate for localhost (CN=localhost, SAN localhost and 127.0.0.1). */
export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** Certificate then key in one file (pure-ftpd wants them together). */
  readonly combinedFile: string;
}

/**
 * Writes a server certificate into `dir` (key files mode 0600): `issued` (PEM, e.g. from the run's private
 * CA, src/tls/ca.ts `issue()`) when given, else a fresh RSA 2048 self-signed localhost one valid 2 days.
 */
export async function writeLocalhostCertificate(dir: string, issued?: { readonly cert: string; readonly key: string }): Promise<CertificateFiles> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = issued
    ? { cert: issued.cert, private: issued.key }
    : await localhostCertificate({
        keyType: 'rsa',
        keySize: 2048,
        notBeforeDate,
        notAfterDate: new Date(notBeforeDate.getTime() + 2 * 86_400_000),
      });
  const files = { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), combinedFile: join(dir, 'combined.pem') };
  await writeFile(files.certFile, pems.cert, { mode: 0o644 });
  await writeFile(files.keyFile, pems.private, { mode: 0o600 });
  await writeFile(files.combinedFile, `${pems.cert.trim()}\n${pems.private.trim()}\n`, { mode: 0o600 });
  return files;
}

/** The last `bytes` of a file, or '' when it cannot be read (for error messages). */
export async function tail(file: string, bytes = 4096): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '';
  }
}

/** The content of the file at `remotePath` as a login rooted at `root` sees it, or undefined (never outside `root`). */
export async function readUnder(root: string, remotePath: string): Promise<Buffer | undefined> {
  try {
    return await readFile(join(root, posix.resolve('/', remotePath)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
    throw error;
  }
}

/** The size and SHA-256 of the file at the remote path under `root`, read as a stream, or undefined if there is none. */
export function digestUnder(root: string, remotePath: string): Promise<Digest | undefined> {
  return digestIfThere(join(root, posix.resolve('/', remotePath)));
}

/** Puts `data` at the remote path under `root` (world-readable: anonymous logins download it too). */
export async function writeUnder(root: string, remotePath: string, data: Buffer | Content): Promise<void> {
  const file = join(root, posix.resolve('/', remotePath));
  await mkdir(dirname(file), { recursive: true });
  if (data instanceof Content) await data.writeTo(file, { mode: 0o644 });
  else await writeFile(file, data, { mode: 0o644 });
}
