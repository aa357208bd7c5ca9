/**
 * FTPS through the proxy (RFC 4217): one FtpsSession per control connection. The proxy terminates TLS
 * on the control connection (at the 234 to AUTH TLS, or from the first octet when implicit) and on every
 * data connection opened under PROT P, so the tracker reads the conversation, rewrites PASV and PORT,
 * and data faults cut the plaintext:
 *
 *   control   FTP client ══TLS (proxy as server, this session's context)══ proxy ══TLS (proxy as client)══ FTP server
 *   data      FTP client ══TLS (same context: may resume)════════════════ proxy ══TLS (resumes iff the client did)══ FTP server
 *
 * The FTP client is the TLS client on a data connection whichever side connected (RFC 4217 §7), so the
 * proxy is the TLS server toward it and the TLS client toward the FTP server in both modes. A data
 * connection's handshake with the FTP client comes first: whether the client resumed the control
 * connection's TLS session decides whether the proxy resumes its own toward the server. A server that
 * requires reuse (vsftpd's require_ssl_reuse) then refuses through the proxy exactly the clients it
 * refuses without it. The context toward clients is one per control session, so only that session's
 * tickets resume.
 */
import type { Socket } from 'node:net';
import tls, { type SecureContext, TLSSocket } from 'node:tls';
import { captureWrap } from './tls-capture.js';
import { type OnSecured, type ProxyTls, type TlsLegs, clientContext, secureLegs } from './tls-legs.js';

/** A protected data connection, both legs secured. */
export interface SecuredData {
  /** The proxy as TLS server, toward the FTP client's end. */
  readonly client: TLSSocket;
  /** The proxy as TLS client, toward the FTP server's end. */
  readonly server: TLSSocket;
  /** The FTP client resumed the control connection's TLS session. */
  readonly clientResumed: boolean;
  /** The FTP server took the proxy's resumption of its control session (false when none was offered). */
  readonly serverResumed: boolean;
}

/** A data connection's handshake that failed: on which end, why, and the TLS socket over the client's end (none when TLS never started). */
export interface HandshakeFailure {
  readonly failed: 'client' | 'server';
  /** The error code that ended it, `closed`, or `clear text` (the client's first octet was no TLS record). */
  readonly error: string;
  readonly tls?: TLSSocket;
}

/** HandshakeFailure's `error` for a client whose first octet was no TLS record: clear text under PROT P. */
export const CLEAR_TEXT = 'clear text';

/** The content type of a TLS handshake record (RFC 8446 §5.1): the first octet of every ClientHello. */
const TLS_HANDSHAKE_RECORD = 0x16;

/** The FTPS of one control session: its TLS context toward the client, and its session toward the server. */
export class FtpsSession {
  readonly #options: ProxyTls;
  readonly #context: SecureContext;
  /** The latest TLS session (or TLS 1.3 ticket) of the proxy's control leg toward the server. */
  #upstream: Buffer | undefined;

  constructor(options: ProxyTls) {
    this.#options = options;
    this.#context = clientContext(options);
  }

  /** Secures the control connection's two legs (see Session's `tls.secure`), keeping the server leg's session for data connections. */
  secure(client: Socket, server: Socket, secured: OnSecured): TlsLegs {
    const legs = secureLegs(client, server, this.#options, this.#context, secured);
    legs.server.on('session', (session: Buffer) => {
      this.#upstream = session;
    });
    return legs;
  }

  /**
   * Secures a data connection: the handshake with the FTP client's end, then the one with the FTP
   * server's end, resuming the control session toward the server when the client resumed its own.
   * When a handshake fails, the server's end is ended (a FIN, so it answers the transfer) and the
   * failure returned: the caller ends the client's end (see DataLinks).
   */
  async secureData(clientEnd: Socket, serverEnd: Socket): Promise<SecuredData | HandshakeFailure> {
    // A client that sends clear text under PROT P (curl 7.88's active mode) is told from its first octet,
    // before TLS starts: its connection then stays as it is, unread, until the caller resets it behind the
    // server's reply. Handed to TLS, the failed handshake would close it at once (an RST, for the unread
    // octets), and the client would race the server's reply with its own report.
    const first = await firstChunk(clientEnd);
    if (first === undefined || first[0] !== TLS_HANDSHAKE_RECORD) {
      serverEnd.end();
      return { failed: 'client', error: first === undefined ? 'closed' : CLEAR_TEXT };
    }
    // With a capture watching (./tls-capture.ts), TLS runs over a stream the capture sees the records on.
    const toClient = captureWrap(clientEnd, (socket) => new TLSSocket(socket, { isServer: true, secureContext: this.#context }), first);
    this.#logKeys(toClient);
    const client = await handshake(toClient, 'secure');
    if (client !== true) {
      serverEnd.end();
      // A client whose handshake failed after a ClientHello (a certificate it refused...): the caller resets it.
      return { failed: 'client', error: client, tls: toClient };
    }
    const clientResumed = toClient.isSessionReused();
    const session = clientResumed ? this.#upstream : undefined;
    const toServer = captureWrap(serverEnd, (socket) =>
      tls.connect({
        socket,
        rejectUnauthorized: false,
        ...(this.#options.servername ? { servername: this.#options.servername } : {}),
        ...(session ? { session } : {}),
      }),
    );
    this.#logKeys(toServer);
    const server = await handshake(toServer, 'secureConnect');
    if (server !== true) {
      toServer.destroy();
      return { failed: 'server', error: server, tls: toClient };
    }
    return { client: toClient, server: toServer, clientResumed, serverResumed: toServer.isSessionReused() };
  }

  #logKeys(socket: TLSSocket): void {
    const keylog = this.#options.keylog;
    if (keylog) socket.on('keylog', (line: Buffer) => keylog(line));
  }
}

/** The first octets `socket` reads (it is left paused), or undefined when it ends or fails first. */
function firstChunk(socket: Socket): Promise<Buffer | undefined> {
  if (socket.destroyed || socket.readableEnded) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const data = (chunk: Buffer): void => settle(chunk);
    // 'end', 'error' and 'close' all mean no octet came ('close' passes a boolean: not a chunk).
    const none = (): void => settle(undefined);
    const settle = (chunk: Buffer | undefined): void => {
      socket.off('data', data).off('end', none).off('error', none).off('close', none);
      socket.pause();
      resolve(chunk);
    };
    socket.once('data', data).once('end', none).once('error', none).once('close', none);
    socket.resume();
  });
}

/** Resolves true once the handshake is done (`event`), else the error code (or `closed`) that ended it. */
function handshake(socket: TLSSocket, event: 'secure' | 'secureConnect'): Promise<true | string> {
  return new Promise((resolve) => {
    const fail = (error?: NodeJS.ErrnoException): void => {
      socket.off(event, done);
      resolve(error?.code ?? error?.message ?? 'closed');
    };
    const done = (): void => {
      socket.off('error', fail).off('close', closedEarly);
      socket.on('error', () => undefined);
      resolve(true);
    };
    const closedEarly = (): void => fail();
    socket.once(event, done).once('error', fail).once('close', closedEarly);
  });
}
