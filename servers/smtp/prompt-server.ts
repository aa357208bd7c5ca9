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
import { feedDataStream } from './data-scan.js';

/**
 * An SMTPConnection that greets as soon as its listeners are set (SMTPConnection.init minus the wait),
 * its parsers scanning DATA natively (./data-scan.ts).
 */
export class PromptConnection extends SMTPConnection {
  override _createParser(): SMTPStream {
    const parser = super._createParser();
    parser._feedDataStream = feedDataStream;
    return parser;
  }

  override init(): void {
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
    const connection = new PromptConnection(this, socket, socketOptions);
    this.connections.add(connection);
    connection.on('error', (err: Error) => this._onError(err));
    connection.on('connect', (data: Parameters<SMTPServer['_onClientConnect']>[0]) => this._onClientConnect(data));
    this.onInit(connection);
    connection.init();
  }
}
