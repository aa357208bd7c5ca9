/**
 * The one self-signed server certificate wireprobe makes: CN=localhost, SAN localhost and 127.0.0.1,
 * for TLS server authentication only. The mock SMTP server and the real servers' launchers differ only
 * in the key and validity they ask for.
 */
import { type GenerateOptions, generate } from '../tls/generate.js';

/** The key (and, for the real servers, the validity) of a certificate; the rest is shared. */
export type CertificateKey = Pick<GenerateOptions, 'keyType' | 'keySize' | 'notBeforeDate' | 'notAfterDate'>;

/** A self-signed certificate for localhost and 127.0.0.1, as PEM (`private`, `cert`). */
export function localhostCertificate(key: CertificateKey): ReturnType<typeof generate> {
  return generate([{ name: 'commonName', value: 'localhost' }], {
    ...key,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
}
