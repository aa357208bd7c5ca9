/**
 * The private certificate authority of one run (or one `serve`): the proxy and the mock servers present
 * certificates it signs, and every client is handed its certificate to trust (nodemailer `tls.ca`, curl
 * `--cacert`, ...). Nothing outside the run ever trusts it: it lives in memory and in the run's own
 * temporary folder. Keys are EC P-256, quick to make; a certificate is valid for two days unless a
 * fault asks for a bad one.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { type GenerateOptions, generate } from './generate.js';

/** The names a server certificate is issued for unless told otherwise. */
export const LOOPBACK_NAMES: readonly string[] = ['localhost', '127.0.0.1', '::1'];

/**
 * Which certificate to issue. `valid`: signed by the CA for the names asked. `expired`: signed, for the
 * names, but its validity ended yesterday. `wrong-name`: signed, valid, for `wrong.invalid` only.
 * `self-signed`: for the names, valid, signed by its own key (no client that trusts only the CA accepts it).
 */
export type CertificateKind = 'valid' | 'expired' | 'wrong-name' | 'self-signed';

export interface IssueOptions {
  /** DNS names and IP addresses the certificate is for; default LOOPBACK_NAMES. */
  readonly names?: readonly string[];
  /** Default `valid`. */
  readonly kind?: CertificateKind;
}

/** A certificate and its key, as PEM. */
export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

/** A private CA: its own certificate (to hand to clients) and what it issues. */
export interface PrivateCa {
  /** The CA certificate, PEM: what clients are told to trust. */
  readonly cert: string;
  /** Issues a server certificate (see CertificateKind). */
  issue(options?: IssueOptions): Promise<KeyPair>;
}

const DAY_MS = 86_400_000;

type Extensions = NonNullable<GenerateOptions['extensions']>;

/** subjectAltName entries: IP addresses as type 7, names as type 2. */
function altNames(names: readonly string[]): Extensions[number] {
  return {
    name: 'subjectAltName',
    altNames: names.map((name) => (isIP(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name })),
  };
}

/**
 * Makes a fresh CA (CN "wireprobe private CA <time> <random>", valid two days). Its name is its own: a
 * client checking a certificate another CA issued looks its issuer up by name, and two CAs made in the
 * same millisecond (a test's two, or two runs') would otherwise share one, so the client would find the
 * wrong CA and report a bad signature instead of an unknown issuer.
 */
export async function createPrivateCa(): Promise<PrivateCa> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const name = `wireprobe private CA ${notBeforeDate.toISOString()} ${randomBytes(4).toString('hex')}`;
  const root = await generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 2 * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const ca = { key: root.private, cert: root.cert };
  return {
    cert: root.cert,
    async issue(options: IssueOptions = {}): Promise<KeyPair> {
      const kind = options.kind ?? 'valid';
      const names = kind === 'wrong-name' ? ['wrong.invalid'] : (options.names ?? LOOPBACK_NAMES);
      const now = Date.now();
      const [notBeforeDate, notAfterDate] =
        kind === 'expired' ? [new Date(now - 3 * DAY_MS), new Date(now - DAY_MS)] : [new Date(now - 60_000), new Date(now + 2 * DAY_MS)];
      const pems = await generate([{ name: 'commonName', value: names[0] ?? 'localhost' }], {
        keyType: 'ec',
        algorithm: 'sha256',
        notBeforeDate,
        notAfterDate,
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
          { name: 'extKeyUsage', serverAuth: true },
          altNames(names),
        ],
        ...(kind === 'self-signed' ? {} : { ca }),
      });
      return { cert: pems.cert, key: pems.private };
    },
  };
}

/** Writes the CA certificate as `wireprobe-ca.pem` in `dir` and returns its path (for curl, swaks, msmtp, lftp, Python). */
export async function writeCaFile(ca: PrivateCa, dir: string): Promise<string> {
  const path = join(dir, 'wireprobe-ca.pem');
  await writeFile(path, ca.cert, { mode: 0o644 });
  return path;
}
