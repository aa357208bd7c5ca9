/**
 * FTPS in the mock FTP server (RFC 4217), answered before ftp-srv sees a line: ftp-srv's own TLS answers
 * PROT C with 536, ties data protection to the control connection instead of to PROT, and cannot ask a
 * data connection to resume the control connection's TLS session. One FtpsSession per control connection:
 *
 *   AUTH TLS ─► 234, the control socket becomes a TLS server socket (one SecureContext per session)
 *   PBSZ 0 ─► 200   PROT P ─► 200 (data connections are TLS servers from then on)   PROT C ─► 200 (clear)
 *   data connection under PROT P ─► TLS handshake ─► session reused, or requireTlsReuse off ─► the transfer
 *                                                 └─► else 522 on the transfer, data connection closed (vsftpd)
 */
import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket, createSecureContext } from 'node:tls';
import { type Securing, secureData } from './data-tls.js';
import type { KeyPair } from '../../src/tls/ca.js';
import type { Conn } from './internals.js';

/** The mock FTP server's FTPS knobs (part of FtpServerOptions); every field is optional. */
export interface FtpsServerOptions {
  /**
   * FTPS (RFC 4217): 'explicit' answers AUTH TLS (and TLS-C, SSL, TLS-P, as vsftpd) with 234 and makes
   * the control connection TLS; 'implicit' is TLS from the first octet (port 990 style), data protected
   * (PROT P) until PROT C; 'off' leaves AUTH, PBSZ and PROT to ftp-srv (502, 202); default 'off'.
   */
  readonly tls?: 'off' | 'explicit' | 'implicit';
  /** The certificate and key (PEM) TLS presents; default null: one issued for localhost by a fresh private CA (the handle's `ca`). */
  readonly certificate?: KeyPair | null;
  /**
   * A PROT P data connection must resume the control connection's TLS session, else its transfer gets
   * `522 SSL connection failed: session reuse required` and it is closed (vsftpd require_ssl_reuse); default false.
   */
  readonly requireTlsReuse?: boolean;
  /** PROT P: 'accept' (200); 'refuse' answers `534` (RFC 2228: denied for policy reasons); default 'accept'. */
  readonly protP?: 'accept' | 'refuse';
  /** USER and PASS before the control connection is TLS get `534` (RFC 2228: denied for policy reasons); default false. */
  readonly requireTls?: boolean;
}

/** The defaults of FtpsServerOptions (part of FTP_SERVER_DEFAULTS). */
export const FTPS_DEFAULTS: Required<FtpsServerOptions> = Object.freeze({
  tls: 'off',
  certificate: null,
  requireTlsReuse: false,
  protP: 'accept',
  requireTls: false,
});

/** The FTPS knobs an FtpsSession reads, defaults applied. */
export type FtpsOptions = Required<Omit<FtpsServerOptions, 'certificate'>>;

export { DATA_TLS_FAILED, REUSE_REQUIRED, type Refusal, type Securing } from './data-tls.js';

/** The TLS server context one control connection and its data connections share (its session tickets). */
export function sessionContext(pair: KeyPair): SecureContext {
  return createSecureContext({ cert: pair.cert, key: pair.key });
}

/**
 * Implicit FTPS: makes an accepted control socket a TLS server socket (TLS from its first octet) and
 * resolves once the handshake is over, before the greeting; undefined if it failed (socket destroyed).
 */
export function serveTls(socket: Socket, context: SecureContext): Promise<TLSSocket | undefined> {
  const secure = new TLSSocket(socket, { isServer: true, secureContext: context });
  return new Promise((resolve) => {
    const failed = (): void => {
      secure.destroy();
      socket.destroy();
      resolve(undefined);
    };
    secure.once('error', failed);
    secure.once('close', failed);
    secure.once('secure', () => {
      secure.off('error', failed).off('close', failed);
      secure.on('error', () => undefined);
      resolve(secure);
    });
  });
}

/** The AUTH arguments answered 234 (vsftpd's list); SSL and TLS-P also protect data at once (the pre-RFC 4217 drafts). */
const AUTH_TLS: ReadonlySet<string> = new Set(['TLS', 'TLS-C', 'SSL', 'TLS-P']);

const parse = (line: string): readonly [string, string] => {
  const m = /^\s*(\S+)\s*(.*)$/.exec(line);
  return [m?.[1]?.toUpperCase() ?? '', m?.[2]?.trim().toUpperCase() ?? ''];
};

/** One control connection's FTPS state: AUTH, PBSZ, PROT, and its data connections' TLS. */
export class FtpsSession {
  #secure: boolean;
  #pbsz = false;
  #private: boolean;
  constructor(
    private readonly o: FtpsOptions,
    private readonly context: SecureContext,
  ) {
    // Implicit FTPS: the control connection is TLS from its first octet and data is protected until PROT C.
    this.#secure = o.tls === 'implicit';
    this.#private = o.tls === 'implicit';
  }

  /** True when the control connection is TLS (after AUTH's 234, or implicit). */
  get secure(): boolean {
    return this.#secure;
  }

  /** True for the AUTH line that upgrades the control connection: the line reader must stop reading plaintext after it. */
  upgrades(line: string): boolean {
    const [verb, arg] = parse(line);
    return verb === 'AUTH' && !this.#secure && AUTH_TLS.has(arg);
  }

  /**
   * Answers 234 to the AUTH line `upgrades` accepted and makes the control socket a TLS server socket
   * (RFC 4217 §4: the TLS negotiation starts right after the 234). Returns the TLS socket; ftp-srv
   * writes its replies to it from then on. An idle timer set on the plain socket moves to it.
   */
  async upgrade(connection: Conn, line: string): Promise<TLSSocket> {
    const plain = connection.commandSocket;
    await connection.reply(234, 'Proceed with negotiation.');
    const secure = new TLSSocket(plain, { isServer: true, secureContext: this.context });
    secure.on('error', () => undefined);
    plain.once('close', () => secure.destroy());
    const idleMs = plain.timeout ?? 0;
    if (idleMs > 0) {
      for (const listener of plain.listeners('timeout')) secure.on('timeout', listener as () => void);
      plain.setTimeout(0);
      secure.setTimeout(idleMs);
    }
    (connection as { commandSocket: Socket }).commandSocket = secure;
    this.#secure = true;
    if (['SSL', 'TLS-P'].includes(parse(line)[1])) this.#private = true;
    return secure;
  }

  /** Answers AUTH (not upgrading), PBSZ, PROT, and USER/PASS before AUTH under requireTls; undefined: not ours. */
  handle(connection: Conn, line: string): PromiseLike<unknown> | undefined {
    const [verb, arg] = parse(line);
    if (verb === 'AUTH') {
      if (this.#secure) return connection.reply(503, 'Already using TLS');
      return connection.reply(504, 'Unknown AUTH type.');
    }
    // RFC 4217 §8-9: PBSZ and PROT only after the security exchange, PROT only after PBSZ.
    if (verb === 'PBSZ') {
      if (!this.#secure) return connection.reply(503, 'PBSZ not allowed before AUTH TLS');
      if (!/^\d+$/.test(arg)) return connection.reply(501, 'PBSZ needs a number');
      this.#pbsz = true;
      // A streaming mechanism: any size asked is answered PBSZ=0 (RFC 4217 §8).
      return connection.reply(200, 'PBSZ=0');
    }
    if (verb === 'PROT') {
      if (!this.#secure) return connection.reply(503, 'PROT not allowed before AUTH TLS');
      if (!this.#pbsz) return connection.reply(503, 'PROT must be preceded by PBSZ');
      if (arg === 'C') {
        this.#private = false;
        return connection.reply(200, 'PROT now Clear.');
      }
      if (arg === 'P') {
        // RFC 2228 §4: 534 Request denied for policy reasons.
        if (this.o.protP === 'refuse') return connection.reply(534, 'PROT P refused by policy');
        this.#private = true;
        return connection.reply(200, 'PROT now Private.');
      }
      // RFC 4217 §9: TLS offers no Safe or Confidential level; RFC 2228: 536 not supported by mechanism.
      if (arg === 'S' || arg === 'E') return connection.reply(536, `PROT ${arg} not supported`);
      return connection.reply(504, 'Unknown PROT level');
    }
    // RFC 2228 §4 (534 Request denied for policy reasons): a server whose policy is TLS before login.
    if ((verb === 'USER' || verb === 'PASS') && this.o.requireTls && !this.#secure) return connection.reply(534, 'Policy requires AUTH TLS before login');
    return undefined;
  }

  /**
   * Makes one data connection a TLS server socket if PROT is P (undefined: clear data, use it as it is).
   * The FTP client is the TLS client on data connections whichever side connected (RFC 4217 §7). With
   * requireTlsReuse the handshake must resume this control connection's session; the socket is left
   * open either way, for the DataChannel to close when the transfer's 150 has been sent (vsftpd's order).
   */
  data(socket: Socket): Securing | undefined {
    if (!this.#private) return undefined;
    return secureData(socket, this.context, this.o.requireTlsReuse);
  }
}
