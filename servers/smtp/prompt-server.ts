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
 * Both overrides mirror smtp-server 3.21's own bodies; test/servers/smtp-prompt.test.ts compares those
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
  constructor(
    options: SMTPServerOptions,
    private readonly onInit: (connection: PromptConnection) => void = () => undefined,
  ) {
    super(options);
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
