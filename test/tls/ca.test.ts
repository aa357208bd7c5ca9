import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { type CertificateKind, createPrivateCa } from '../../src/tls/ca.js';

/** What a client that trusts only the CA says when it connects to `host` on a server presenting `kind`. */
async function verdict(kind: CertificateKind, host: string): Promise<string> {
  const ca = await createPrivateCa();
  const pair = await ca.issue({ kind });
  const server = tls.createServer({ cert: pair.cert, key: pair.key }, (s) => s.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<string>((resolve) => {
      const socket = tls.connect({ port, host: '127.0.0.1', ca: ca.cert, servername: host === '127.0.0.1' ? '' : host });
      socket.once('secureConnect', () => {
        socket.destroy();
        resolve('trusted');
      });
      socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
  } finally {
    server.close();
  }
}

describe('the private CA', () => {
  it.each([
    ['valid', 'localhost', 'trusted'],
    ['valid', '127.0.0.1', 'trusted'],
    ['expired', 'localhost', 'CERT_HAS_EXPIRED'],
    ['wrong-name', 'localhost', 'ERR_TLS_CERT_ALTNAME_INVALID'],
    ['self-signed', 'localhost', 'DEPTH_ZERO_SELF_SIGNED_CERT'],
  ] as const)('issues a %s certificate that a client checking %s calls %s', async (kind, host, expected) => {
    expect(await verdict(kind, host)).toBe(expected);
  });

  it('makes a different CA each time, so no run trusts another run, each with a name of its own (issuers are looked up by name)', async () => {
    const [a, b] = await Promise.all([createPrivateCa(), createPrivateCa()]);
    expect(a.cert).not.toBe(b.cert);
    expect(new X509Certificate(a.cert).subject).not.toBe(new X509Certificate(b.cert).subject);
  });
});
