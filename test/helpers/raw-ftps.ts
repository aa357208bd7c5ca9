/**
 * A raw FTP control connection that can go TLS (AUTH TLS, or implicit): write lines, await whole
 * replies, open data connections in clear or under TLS with or without resuming the control session.
 */
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';

/** Options of every TLS connection this client opens: the tests' mocks present their own private CA's certificates. */
const TLS_OPTIONS: tls.ConnectionOptions = { rejectUnauthorized: false, servername: 'localhost' };

/** A raw FTP control connection over TCP or TLS. */
export class RawFtps {
  private buffer = '';
  private replies: string[] = [];
  private pending: string[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;
  /** The newest TLS session the control connection was given (a TLS 1.3 ticket). */
  session: Buffer | undefined;

  private constructor(public socket: net.Socket) {
    this.listen(socket);
  }

  /** Connects to 127.0.0.1:`port`, in TLS from the first octet when `implicit`, and reads the greeting. */
  static async connect(port: number, implicit = false): Promise<{ client: RawFtps; greeting: string }> {
    const socket = implicit ? tls.connect({ port, host: '127.0.0.1', ...TLS_OPTIONS }) : net.connect(port, '127.0.0.1');
    await once(socket, implicit ? 'secureConnect' : 'connect');
    const client = new RawFtps(socket);
    if (socket instanceof tls.TLSSocket) client.watchSessions(socket);
    return { client, greeting: await client.reply() };
  }

  private listen(socket: net.Socket): void {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.feed(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  private watchSessions(socket: tls.TLSSocket): void {
    socket.on('session', (session: Buffer) => (this.session = session));
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    for (let end = this.buffer.indexOf('\r\n'); end >= 0; end = this.buffer.indexOf('\r\n')) {
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.pending.push(line);
      const first = this.pending[0] ?? '';
      if (!/^\d{3}-/.test(first) || (this.pending.length > 1 && line.startsWith(`${first.slice(0, 3)} `))) {
        this.replies.push(this.pending.join('\n'));
        this.pending = [];
      }
    }
    this.waiter?.();
  }

  /** The next whole reply. */
  async reply(): Promise<string> {
    while (this.replies.length === 0) {
      if (this.closed) throw new Error('connection closed while waiting for a reply');
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    return this.replies.shift() as string;
  }

  /** Sends `line` (CRLF added) and returns the reply. */
  async command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** AUTH `mechanism`, and on 234 the TLS handshake on the control connection; returns the AUTH reply. */
  async auth(mechanism = 'TLS'): Promise<string> {
    const reply = await this.command(`AUTH ${mechanism}`);
    if (!reply.startsWith('234')) return reply;
    const plain = this.socket;
    plain.removeAllListeners('data');
    const secure = tls.connect({ socket: plain, ...TLS_OPTIONS });
    await once(secure, 'secureConnect');
    this.socket = secure;
    this.listen(secure);
    this.watchSessions(secure);
    return reply;
  }

  /** USER and PASS (anonymous by default); returns the last reply. */
  async login(user = 'anonymous', password = 'guest'): Promise<string> {
    const reply = await this.command(`USER ${user}`);
    return reply.startsWith('331') ? this.command(`PASS ${password}`) : reply;
  }

  /**
   * EPSV, then a data connection to its port: `clear`, or `tls` resuming the control connection's
   * session, or `tls-new` with a session of its own. Resolves once connected (and the handshake is over).
   */
  async data(how: 'clear' | 'tls' | 'tls-new'): Promise<net.Socket> {
    const reply = await this.command('EPSV');
    const port = Number(/\(\|\|\|(\d+)\|\)/.exec(reply)?.[1]);
    if (how === 'clear') {
      const socket = net.connect(port, '127.0.0.1');
      await once(socket, 'connect');
      return socket;
    }
    const session = how === 'tls' ? { session: this.session ?? (this.socket as tls.TLSSocket).getSession() } : {};
    const socket = tls.connect({ port, host: '127.0.0.1', ...TLS_OPTIONS, ...session });
    socket.on('error', () => undefined);
    await once(socket, 'secureConnect');
    return socket;
  }

  /** Closes the control connection. */
  close(): void {
    this.socket.destroy();
  }
}
