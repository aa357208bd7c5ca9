/**
 * TLS termination: the proxy as the man in the middle the test owns. Each leg gets its own TLS
 * session, so the proxy reads (and cuts) the plaintext between them:
 *
 *   client ══TLS (the proxy's certificate, from the run's private CA)══ proxy ══TLS (not verified)══ server
 *
 * Node's own `tls` does the work: a server-side `TLSSocket` over the accepted socket, `tls.connect`
 * over the upstream one. Both wrap the TCP sockets in place (or, on a leg a capture watches, a JS stream
 * over it: ./tls-capture.ts), so an RST is still sent on the raw socket (a TLS socket has no
 * `resetAndDestroy`), and a FIN from the proxy is close_notify then FIN.
 */
import type { Socket } from 'node:net';
import tls, { type SecureContext, TLSSocket } from 'node:tls';
import type { KeyPair } from '../tls/ca.js';
import { captureWrap } from './tls-capture.js';

/**
 * Where the proxy terminates TLS. `starttls`: at the server's 220 to STARTTLS (RFC 3207), or its 234 to
 * FTP's AUTH TLS (RFC 4217 §4). `implicit`:
 * from the first octet on both legs (RFC 8314 §3.3, port 465). `passthrough`: never; after STARTTLS the
 * bytes are relayed untouched and faults can only count them.
 */
export type TlsMode = 'starttls' | 'implicit' | 'passthrough';

/** How the proxy speaks TLS; without it the proxy relays STARTTLS opaquely (`passthrough`). */
export interface ProxyTls {
  /** Default `starttls`. */
  readonly mode?: TlsMode;
  /** The certificate and key the proxy presents to clients (see src/tls/ca.ts); required unless `passthrough`. */
  readonly identity?: KeyPair;
  /** The SNI name sent to the upstream; default none (the upstream is reached by address). */
  readonly servername?: string;
  /** Lowest and highest TLS version offered to the client; default Node's (TLSv1.2 to TLSv1.3). */
  readonly minVersion?: tls.SecureVersion;
  readonly maxVersion?: tls.SecureVersion;
  /** Cipher list offered to the client (OpenSSL syntax); default Node's. */
  readonly ciphers?: string;
  /**
   * Called with each key log line of both legs (NSS key log format, as SSLKEYLOGFILE; line ends
   * included), so captures of the run can be decrypted; default none.
   */
  readonly keylog?: (line: Buffer) => void;
}

/** The two TLS sessions of one proxied connection, over its two TCP sockets. */
export interface TlsLegs {
  /** The proxy as TLS server, toward the client. */
  readonly client: TLSSocket;
  /** The proxy as TLS client, toward the upstream server. */
  readonly server: TLSSocket;
}

/** Told each leg's TLS version and cipher once its handshake is done. */
export type OnSecured = (leg: 'client' | 'server', version: string, cipher: string) => void;

/** Makes the proxy's context toward clients once (certificate, versions, ciphers), for every session. */
export function clientContext(options: ProxyTls): SecureContext {
  const { identity } = options;
  if (!identity) throw new Error('a TLS-terminating proxy needs a certificate and key (tls.identity)');
  return tls.createSecureContext({
    cert: identity.cert,
    key: identity.key,
    ...(options.minVersion ? { minVersion: options.minVersion } : {}),
    ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
    ...(options.ciphers ? { ciphers: options.ciphers } : {}),
  });
}

/**
 * Starts TLS on both legs now: the proxy answers the client's handshake and begins its own toward the
 * server (which it never verifies: a mock's certificate is its own). `secured` is told each leg's
 * version and cipher once its handshake is done.
 */
export function secureLegs(client: Socket, server: Socket, options: ProxyTls, context: SecureContext, secured: OnSecured): TlsLegs {
  // A captured leg runs its TLS where the capture sees the records (./tls-capture.ts).
  const toClient = captureWrap(client, (socket) => new TLSSocket(socket, { isServer: true, secureContext: context }));
  const toServer = captureWrap(server, (socket) =>
    tls.connect({ socket, rejectUnauthorized: false, ...(options.servername ? { servername: options.servername } : {}) }),
  );
  const keylog = options.keylog;
  if (keylog) {
    toClient.on('keylog', (line: Buffer) => keylog(line));
    toServer.on('keylog', (line: Buffer) => keylog(line));
  }
  const done = (leg: 'client' | 'server', socket: TLSSocket) => () =>
    secured(leg, socket.getProtocol() ?? 'unknown version', socket.getCipher()?.name ?? 'unknown cipher');
  toClient.once('secure', done('client', toClient));
  toServer.once('secureConnect', done('server', toServer));
  return { client: toClient, server: toServer };
}
