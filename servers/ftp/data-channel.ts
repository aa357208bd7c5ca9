/** The mock FTP server's data connections (PASV, EPSV, PORT, EPRT), replacing ftp-srv's leaky connectors. */
import net, { type Server, type Socket } from 'node:net';
import type { Refusal, Securing } from './data-tls.js';
import type { FtpsSession } from './ftps.js';
import { Bluebird, DATA_CONNECT_TIMEOUT_MS, PASSIVE_LISTEN_TIMEOUT_MS, replyError, type Connector, type Conn, type DataSocket } from './internals.js';
import { unmapped } from '../../src/util/address.js';

/** What every DataChannel of one server shares. */
export interface Wiring {
  readonly host: string;
  readonly range: readonly [number, number];
  /** A data connection on which nothing moves this long (ms) is closed; 0: never. */
  readonly dataIdleMs: number;
  nextPort: number;
  closed: boolean;
  readonly waiters: Set<() => void>;
  track(socket: Socket): void;
  trackServer(server: Server): void;
}

/** Listens on the first free port of the range, starting after the last one handed out. */
export async function listenInRange(server: Server, w: Wiring): Promise<void> {
  const [min, max] = w.range;
  const span = max - min + 1;
  for (let i = 0; i < span; i++) {
    const port = min === 0 ? 0 : min + ((w.nextPort + i) % span);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject).listen(port, w.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      w.nextPort += i + 1;
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw replyError(425, 'Cannot open passive listener');
    }
  }
  throw replyError(425, 'No free port in the passive range');
}

/**
 * Stands in for ftp-srv's Passive/Active connectors, whose listeners, 30 s timers and 50 ms polling
 * loops outlive the server (a wait that times out polls forever), and whose end() can clobber the
 * connector of the next PASV. Same duck type: setupServer, setupConnection, waitForConnection, end.
 */
export class DataChannel {
  dataSocket: DataSocket | null = null;
  dataServer: Server | null = null;
  private listenTimer: NodeJS.Timeout | undefined;
  private ended = false;
  /** What the current data socket went through: an error, its peer's FIN, its close. */
  private fate = { error: false, eof: false, closed: false };
  /** PROT P: what the transfer gets instead of a data connection whose TLS failed (no reuse, no TLS). */
  private refusal: Refusal | undefined;
  /** The transfer's 150 (or 125) has been sent: a TLS refusal may close the data connection now. */
  private announced = false;
  /** PROT P: what to do once the 150 is sent (close a data connection whose TLS failed). */
  private onAnnounce: (() => void) | undefined;
  /** PROT P: the data connection's TLS handshake has no outcome yet (the transfer may start; its reply waits). */
  private securing = false;
  constructor(
    readonly type: 'passive' | 'active',
    private readonly connection: Conn,
    private readonly reset: Connector,
    private readonly w: Wiring,
    private readonly ftps?: FtpsSession,
  ) {}
  get socket(): DataSocket | null {
    return this.dataSocket;
  }
  /**
   * The data connection failed under a transfer (RFC 959 §4.2: 426 Connection closed; transfer
   * aborted): an error (RST, EPIPE), or it closed before the transfer was over. For an upload
   * (`sending` false) the peer's FIN is the end of file (§3.4.1) and a close after it is no failure;
   * the server sending (RETR, LIST) has lost it as soon as the peer closed or ended it.
   */
  lost(sending: boolean): boolean {
    if (this.refusal) return false; // the transfer is answered with the TLS refusal instead
    const { error, eof, closed } = this.fate;
    return error || (sending ? eof || closed : closed && !eof);
  }
  /** Starts watching a new data socket's fate. */
  private watch(socket: Socket): void {
    const fate = { error: false, eof: false, closed: false };
    this.fate = fate;
    socket.once('error', () => (fate.error = true));
    socket.once('end', () => (fate.eof = true));
    socket.once('close', () => (fate.closed = true));
  }
  /** PASV/EPSV: one data connection, from the control connection's address (RFC 2577 §5). */
  async setupServer(): Promise<Server> {
    const server = net.createServer({ pauseOnConnect: true, noDelay: true }, (socket: DataSocket) => {
      this.w.track(socket);
      socket.on('error', () => undefined); // a reset before or after a transfer is the client's business
      if (unmapped(socket.remoteAddress) !== unmapped(this.connection.commandSocket.remoteAddress)) return void socket.destroy();
      this.closeServer();
      this.adopt(socket);
    });
    await listenInRange(server, this.w);
    server.on('error', () => undefined);
    this.w.trackServer(server);
    if (this.w.closed || this.ended) {
      server.close();
      throw replyError(425, 'Closing');
    }
    this.dataServer = server;
    this.listenTimer = setTimeout(() => this.closeServer(), PASSIVE_LISTEN_TIMEOUT_MS).unref();
    return server;
  }
  /** PORT/EPRT: connect to the client, which must be at the control connection's address. */
  async setupConnection(host: string, port: number | string, family = 4): Promise<void> {
    this.closeSocket();
    const portNumber = Number(port);
    if (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) throw replyError(501, 'Bad port');
    if (unmapped(host) !== unmapped(this.connection.commandSocket.remoteAddress)) throw replyError(500, 'The given address is not yours');
    if (this.w.closed) throw replyError(425, 'Closing');
    const socket: DataSocket = net.connect({ host, port: portNumber, family, noDelay: true });
    this.w.track(socket);
    socket.on('error', () => undefined);
    this.fate = { error: false, eof: false, closed: false };
    socket.once('connect', () => {
      // Only a connected socket can fail a transfer: a connect that fails is a 425.
      socket.pause();
      this.adopt(socket);
    });
    socket.once('close', () => this.wake());
    this.dataSocket = socket;
  }
  /**
   * A data connection is up. Under PROT P it is a TLS server socket at once (./ftps.ts), handed to the
   * transfer before its handshake is over (ftplib starts the handshake only after the 150); a handshake
   * that fails or does not resume the session ends the transfer after its 150 with the refusal (vsftpd:
   * 150, then `522 SSL connection failed`), the same whichever came first. Until that outcome the
   * transfer hears nothing from the socket (./data-tls.ts: a FIN before any handshake would be its EOF).
   */
  private adopt(plain: DataSocket): void {
    const securing = this.ftps?.data(plain);
    const socket: DataSocket = securing?.socket ?? plain;
    if (securing) {
      this.securing = true;
      this.w.track(securing.socket);
      socket.on('error', () => undefined);
      // Nothing moves between the transfer and the client before the handshake's outcome: a refused
      // upload stores no octet, a refused download sends none (ftp-srv pipes and resumes after its 150).
      socket.pause();
      socket.cork();
      const resume = socket.resume;
      let resumed = false;
      socket.resume = () => {
        resumed = true;
        return socket;
      };
      void securing.outcome.then((refusal) => {
        this.securing = false;
        socket.resume = resume;
        if (refusal) this.refuse(securing, refusal);
        else {
          socket.uncork();
          if (resumed) socket.resume();
        }
        this.wake();
      });
    }
    socket.connected = true;
    this.watch(socket);
    this.watchIdle(socket);
    this.dataSocket = socket;
    this.wake();
  }
  /** The transfer on `securing` gets `refusal` as its final reply; the data connection is closed once its 150 is out. */
  private refuse(securing: Securing, refusal: Refusal): void {
    this.refusal = refusal;
    const fail = (): void => {
      const connection = this.connection;
      const reply = connection.reply;
      // LIST writes its listing through reply({ socket }): only a final reply (a number >= 200) is replaced.
      connection.reply = (code, message) => {
        if (typeof code !== 'number' || code < 200) return reply.call(connection, code, message);
        connection.reply = reply;
        return reply.call(connection, refusal.code, refusal.text);
      };
      securing.abort(new Error(refusal.text));
    };
    if (this.announced) fail();
    else this.onAnnounce = fail;
  }
  /** Resolves with the connected data socket; rejects with bluebird's TimeoutError (ftp-srv: 425). */
  waitForConnection(): PromiseLike<Socket> {
    return new Bluebird<Socket>((resolve, reject) => {
      const check = (): void => {
        const socket = this.dataSocket;
        // A PROT P socket closed before its handshake's outcome is still the transfer's: it gets the refusal.
        if (socket?.connected && (!socket.destroyed || this.refusal || this.securing)) finish(() => this.announce(socket, resolve));
        else if (this.ended || this.w.closed || socket?.destroyed || (!socket && !this.dataServer)) finish(fail);
      };
      const fail = (): void => reject(new Bluebird.TimeoutError('No connection established'));
      const timer = setTimeout(() => finish(fail), DATA_CONNECT_TIMEOUT_MS);
      const finish = (then: () => void): void => {
        clearTimeout(timer);
        this.w.waiters.delete(check);
        then();
      };
      this.w.waiters.add(check);
      check();
    });
  }
  /** Resolves the transfer's wait with `socket` and notes when its 150 has been sent (PROT P: see adopt). */
  private announce(socket: Socket, resolve: (socket: Socket) => void): void {
    if (this.ftps) {
      const connection = this.connection;
      const reply = connection.reply;
      connection.reply = (code, message) => {
        connection.reply = reply;
        const sent = reply.call(connection, code, message);
        if (typeof code !== 'number' || code >= 200) return sent;
        return sent.then((value) => {
          this.announced = true;
          this.onAnnounce?.();
          return value;
        });
      };
    }
    resolve(socket);
  }
  /** Wiring.dataIdleMs: closes a data connection on which nothing moved that long; a running transfer gets 426. */
  private watchIdle(socket: DataSocket): void {
    if (this.w.dataIdleMs <= 0) return;
    socket.setTimeout(this.w.dataIdleMs, () => {
      // ftp-srv: a transfer whose data socket fails is answered 550; a data timeout is 426 (RFC 959 §4.2).
      // Paused: no transfer has started on it, so no reply is due.
      if (!socket.isPaused()) {
        const connection = this.connection;
        const reply = connection.reply;
        connection.reply = (code, message) => {
          connection.reply = reply;
          return code === 550 ? reply.call(connection, 426, 'Data connection idle timeout; transfer aborted') : reply.call(connection, code, message);
        };
      }
      socket.destroy(new Error('Data connection idle timeout'));
    });
  }
  closeSocket(): void {
    const socket = this.dataSocket;
    this.dataSocket = null;
    if (socket && !socket.destroyed) socket.end(() => socket.destroy());
  }
  closeServer(): void {
    clearTimeout(this.listenTimer);
    this.dataServer?.close();
    this.dataServer = null;
  }
  end(): void {
    this.ended = true;
    this.closeSocket();
    this.closeServer();
    this.wake();
    if (this.connection.connector === this) this.connection.connector = this.reset;
  }
  private wake(): void {
    for (const check of [...this.w.waiters]) check();
  }
}
