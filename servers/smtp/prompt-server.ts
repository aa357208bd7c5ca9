/**
 * smtp-server without its fixed greeting wait. SMTPConnection.init() holds every greeting back 100 ms
 * (an early-talker check, no option to turn it off), which caps a session that opens a connection per
 * message near 10 messages/s. A greeting delay is a knob of wireprobe's own (bannerDelayMs, and the
 * proxy's faults), so the mock adds none. No install-time patch: `lib/smtp-connection.js` is an
 * exported subpath, and SMTPServer.connect() is where each accepted socket gets its connection.
 *
 *   socket ─► PromptSMTPServer.connect ─► PromptConnection.init ─► maxClients? 421 : connectionReady()
 *                                          (SMTPConnection.init: the same, after setTimeout(…, 100))
 *   DATA ─► PromptConnection's parser: smtp-server's SMTPStream with feedDataStream (./data-scan.ts)
 *   BDAT ─► the same parser, its data mode fed to the connection's BdatReceiver (./bdat.ts) while a
 *           chunk is read; EHLO adds CHUNKING, DATA in a BDAT transaction gets 503 (RFC 3030 §2). Only
 *           when BDAT is not among the server's disabledCommands (the mock's `chunking: 'on'`).
 *
 * SMTPServer._handleProxy also names every connection with 10 random octets (a log id, nothing more),
 * a tenth of the mock's per-connection cost: a socket that sends no PROXY header is named from a counter.
 *
 * The overrides mirror smtp-server 3.21's own bodies; test/servers/smtp-prompt.test.ts compares those
 * bodies with what they were written against, so a smtp-server that changes them fails a test.
 */
import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { SMTPConnection, type SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { BdatReceiver } from './bdat.js';
import { feedDataStream } from './data-scan.js';

/**
 * An SMTPConnection that greets as soon as its listeners are set (SMTPConnection.init minus the wait),
 * its parsers scanning DATA natively (./data-scan.ts), with BDAT (RFC 3030) unless it is disabled.
 */
export class PromptConnection extends SMTPConnection {
  readonly #bdat = new BdatReceiver(this);
  /** Set while EHLO's reply is sent: CHUNKING is added to its keywords. */
  #ehlo = false;
  /** Set while EHLO's reply is sent in plain text where AUTH needs TLS: AUTH is left out of its keywords. */
  #hideAuth = false;

  override _createParser(): SMTPStream {
    const parser = super._createParser();
    // Called from SMTPConnection's constructor: #bdat is read only later, once data arrives.
    parser._feedDataStream = (chunk, done) => (this.#bdat.reading ? this.#bdat.feed(parser, chunk, done) : feedDataStream.call(parser, chunk, done));
    return parser;
  }

  /** BDAT (RFC 3030 §3), found by smtp-server's dispatch as any handler_ method; disabled unless `chunking: 'on'`. */
  handler_BDAT(command: Buffer, callback: () => void): void {
    if (!this._parser) return callback();
    this.#bdat.command(command, this._parser, callback);
  }

  /** EHLO with CHUNKING among its keywords when BDAT is enabled (RFC 3030 §2). */
  override handler_EHLO(command: Buffer, callback: () => void): void {
    this.#ehlo = this._isSupported('BDAT');
    // smtp-server advertises AUTH in plain text even where it refuses it there (allowInsecureAuth off,
    // 538); a server requiring TLS for AUTH offers it only inside (Postfix smtpd_tls_auth_only, RFC 4954 §4).
    this.#hideAuth = !this.secure && !this._server.options.allowInsecureAuth;
    try {
      super.handler_EHLO(command, callback);
    } finally {
      this.#ehlo = false;
      this.#hideAuth = false;
    }
  }

  /** DATA after a BDAT of the same transaction gets 503 (RFC 3030 §2); otherwise smtp-server's DATA. */
  override handler_DATA(command: Buffer, callback: () => void): void {
    if (!this.#bdat.inTransaction) return super.handler_DATA(command, callback);
    this.send(503, 'Error: DATA after BDAT in the same transaction, send RSET');
    callback();
  }

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    const shown = this.#hideAuth && code === 250 && Array.isArray(data) ? data.filter((line) => !/^AUTH\b/i.test(line)) : data;
    const keywords = this.#ehlo && code === 250 && Array.isArray(shown) ? [...shown, 'CHUNKING'] : shown;
    const socket = this._socket;
    if (socket.readyState !== 'writeOnly' || socket.destroyed) return super.send(code, keywords, context);
    // After the client's FIN (a half-close: Exim pipelines QUIT after the data, then shuts down its
    // side) the socket is writeOnly, and smtp-server writes a reply only to an 'open' one.
    Object.defineProperty(socket, 'readyState', { value: 'open', configurable: true });
    try {
      super.send(code, keywords, context);
    } finally {
      Reflect.deleteProperty(socket, 'readyState');
    }
  }

  /** RSET, EHLO, HELO and a transaction's end: a BDAT transaction under way is dropped with the session's. */
  override _resetSession(): void {
    super._resetSession();
    this.#bdat.reset();
  }

  /** STARTTLS: the TCP socket under TLS ends with the client's FIN again, as smtp-server expects. */
  override upgrade(callback: () => void, secureCallback?: () => void): void {
    this._socket.allowHalfOpen = false;
    super.upgrade(callback, secureCallback);
  }

  override _onClose(): void {
    this.#bdat.reset();
    super._onClose();
  }

  override init(): void {
    // The client's FIN (a half-close, as Exim's QUIT pipelined after the data): every command it sent
    // is answered first (PromptSMTPServer.connect made the socket allowHalfOpen), then the server closes its side too.
    if (this._parser)
      this._parser.once('finish', () => {
        if (!this._closing && !this._closed) this.close();
      });
    this._setListeners(() => {
      const { maxClients } = this._server.options;
      if (maxClients && this._server.connections.size > maxClients) {
        return this.send(421, `${this.name} Too many connected clients, try again in a moment`, false);
      }
      this.connectionReady();
    });
  }
}

/** An SMTPServer whose connections are PromptConnections; `onInit`, if given, sees each one start. */
export class PromptSMTPServer extends SMTPServer {
  /** Connections named so far: the next one's id (16 base-32 digits, as smtp-server's random ones). */
  #named = 0;

  constructor(
    options: SMTPServerOptions,
    private readonly onInit: (connection: PromptConnection) => void = () => undefined,
  ) {
    super(options);
  }

  /** SMTPServer._handleProxy with a counter in place of its random id; a PROXY header goes the original way. */
  override _handleProxy(socket: Socket, callback: Parameters<SMTPServer['_handleProxy']>[1]): void {
    if (this._expectsProxyHeader(socket)) return super._handleProxy(socket, callback);
    const socketOptions = {
      id: (++this.#named).toString(32).padStart(16, '0'),
      ignore: this.options.ignoredHosts?.includes(socket.remoteAddress ?? ''),
    };
    setImmediate(() => callback(null, socketOptions));
  }

  override connect(socket: Socket, socketOptions?: SMTPConnectionOptions | null): void {
    // A client's FIN must not end the socket before what it sent before it is answered (a plain TCP
    // socket; PromptConnection closes it once its parser is done, and turns it back off for STARTTLS).
    if (!('encrypted' in socket)) socket.allowHalfOpen = true;
    const connection = new PromptConnection(this, socket, socketOptions);
    this.connections.add(connection);
    connection.on('error', (err: Error) => this._onError(err));
    connection.on('connect', (data: Parameters<SMTPServer['_onClientConnect']>[0]) => this._onClientConnect(data));
    this.onInit(connection);
    connection.init();
  }
}
