/**
 * FTP through the proxy: the control connection is tracked like SMTP (src/protocol/ftp.ts), and every
 * data connection is made to pass through the proxy too, by rewriting where it is told to go.
 *
 *   passive  server: 227 (h,p) / 229 (|||p|) ─► proxy listens on L ─► client: 227 (L) / 229 (|||L.port|)
 *            client ──connect──► L ──connect──► server's (h,p)          (229: the control host, RFC 2428 §3)
 *   active   client: PORT (h,p) / EPRT |1|h|p| ─► proxy listens on L ─► server: PORT (L) / EPRT (L)
 *            server ──connect──► L ──connect──► client's (h,p)
 *
 * Each data connection is a DataLink, where `channel: 'data'` faults fire. A `dataport` fault changes
 * the rewritten address instead: 127.0.0.2 (a loopback address where nothing listens) or a closed port.
 * Listeners take one connection each and bind to the proxy's own (loopback) host.
 */
import net, { isIPv4, type AddressInfo, type Server, type Socket } from 'node:net';
import { formatFault } from '../faults/format.js';
import type { DataPortFault, Fault } from '../faults/types.js';
import type { Direction, Mark } from '../protocol/conversation.js';
import { format227, format229, formatEprt, formatPort, parse227, parse229, parseEprt, parsePort, type HostPort } from '../protocol/ftp-address.js';
import { FtpPhase, FtpTracker } from '../protocol/ftp.js';
import { restoreSynch } from '../protocol/telnet.js';
import { applyFault, isSessionFault } from '../faults/apply.js';
import { scopeOf } from '../faults/registry.js';
import type { Link } from '../faults/link.js';
import { DataLink } from './data-link.js';
import { openBlackhole, type Blackhole } from './blackhole.js';
import { onwardSource, resetSocket } from './sockets.js';
import type { Dialect } from './session.js';
import type { Transcript } from './transcript.js';

/** Where a wrong data address points: loopback, and nothing listens there (the network rule). */
export const NOWHERE_HOST = '127.0.0.2';

/** NOWHERE_HOST, or 127.0.0.4 when the listener itself is there (an active session from a client at 127.0.0.2). */
const nowhereBut = (here: string): string => (here === NOWHERE_HOST ? '127.0.0.4' : NOWHERE_HOST);

/** What the data side of one control session knows, for reports. */
export interface DataInfo {
  /** Data connections relayed (opened through the proxy). */
  readonly connections: number;
  /** Octets relayed on them, both directions. */
  readonly bytes: number;
  /** How the proxy ended the FTP client's end of the last data connection; null if it did not. */
  readonly clientSaw: 'rst' | 'fin' | null;
  /** The mode of the last data address the client asked for. */
  readonly mode?: 'passive' | 'active';
}

export interface FtpDataOptions {
  /** The proxy's listening host: passive data listeners bind here (the client reached the proxy there). */
  readonly host: string;
  /**
   * The proxy's own address on the control connection to the server: active data listeners bind here,
   * as a server connects back only to the address its control connection comes from (RFC 2577); default `host`.
   */
  readonly serverFacingHost?: string;
  /** The server's control address: where a 229's port is. */
  readonly upstreamHost: string;
  readonly transcript: Transcript;
  /** This session's data-channel and dataport faults. */
  readonly faults: readonly Fault[];
  /** A fault fired: false vetoes. */
  fire(fault: Fault): boolean;
  /** A listener fault (`refuse`: a server restart) timed by data octets fired here. */
  listenerFault?(fault: Fault): void;
}

/** Whether a fault belongs to the data side: data-channel faults, dataport, and control faults timed by data octets. */
export function onDataSide(fault: Fault): boolean {
  const byData = fault.at !== 'connect' && 'bytes' in fault.at && fault.at.after !== 'DATA';
  return fault.channel === 'data' || scopeOf(fault) === 'address' || byData;
}

/** The FTP dialect of one control session: tracker, view, and the data connections it interposes. */
export class FtpData implements Dialect {
  readonly tracker = new FtpTracker();
  readonly view = new FtpPhase();
  readonly holdLines = true;
  #o: FtpDataOptions;
  #armed: Fault[];
  #misroute: DataPortFault['how'] | undefined;
  #listeners = new Set<Server>();
  #blackholes = new Set<Blackhole>();
  #links = new Set<DataLink>();
  #last: DataLink | undefined;
  #connections = 0;
  #bytes = 0;
  #mode: 'passive' | 'active' | undefined;
  #closed = false;
  /** The control connection, for faults timed by data octets that act on it. */
  control: Link | undefined;

  constructor(options: FtpDataOptions) {
    this.#o = options;
    this.#armed = [...options.faults];
  }

  get info(): DataInfo {
    return {
      connections: this.#connections,
      bytes: this.#bytes,
      clientSaw: this.#last?.clientSaw ?? null,
      ...(this.#mode ? { mode: this.#mode } : {}),
    };
  }

  /**
   * Rewrites 227 and 229 replies, PORT and EPRT commands, and puts back a Synch octet lost as urgent data
   * (src/protocol/telnet.ts); relays every other line as it is.
   */
  edit(direction: Direction, mark: Mark): Promise<Buffer> | null {
    if (this.#closed) return null;
    if (direction === 'down' && mark.kind === 'reply') {
      const text = mark.lines.join(' ');
      if (mark.to === 'PASV' && mark.code === 227) {
        const target = parse227(text);
        return target && this.#interpose('passive', target, format227);
      }
      if (mark.to === 'EPSV' && mark.code === 229) {
        const port = parse229(text)?.port;
        return port === undefined ? null : this.#interpose('passive', { host: this.#o.upstreamHost, port }, (_, p) => format229(p), false);
      }
      return null;
    }
    if (direction === 'up' && mark.kind === 'command') {
      const synch = restoreSynch(Buffer.from(mark.line, 'latin1'));
      if (synch) {
        this.#o.transcript.add('--', 'the Synch octet the client sent as urgent data goes on in band (the proxy cannot read or send urgent data)');
        return Promise.resolve(Buffer.concat([synch, Buffer.from(mark.bareLf ? '\n' : '\r\n')]));
      }
      const arg = mark.line.replace(/^\s*\S+\s?/, '');
      if (mark.verb === 'PORT') {
        const target = parsePort(arg);
        return target && this.#interpose('active', target, (host, port) => `PORT ${formatPort(host, port)}`);
      }
      if (mark.verb === 'EPRT') {
        const target = parseEprt(arg);
        return target && this.#interpose('active', target, (host, port) => `EPRT ${formatEprt(host, port)}`);
      }
    }
    return null;
  }

  /** No more data connections: the control connection is gone. Open ones finish on their own. */
  stopListening(): void {
    this.#closed = true;
    for (const server of this.#listeners) server.close();
    for (const blackhole of this.#blackholes) void blackhole.close();
  }

  /** Drops every open data connection as a restarting server does: a FIN (`close`) or an RST to both ends. */
  drop(how: 'close' | 'reset'): void {
    this.stopListening();
    for (const link of this.#links) {
      if (how === 'reset') link.reset('client');
      else link.close('client', 'discard');
    }
  }

  /** Ends every data connection and listener now (the proxy is closing). */
  close(): void {
    this.stopListening();
    for (const link of this.#links) link.abort();
  }

  /** Resolves when every data connection has closed. */
  async settled(): Promise<void> {
    await Promise.all([...[...this.#links].map((l) => l.done), ...[...this.#blackholes].map((b) => b.close())]);
  }

  /**
   * Puts a listener of the proxy's between the two ends and says where it is, in the reply or command
   * `format` writes. Passive: the client will connect to it and the proxy on to the server's `target`;
   * active: the server will, and the proxy on to the client's `target`. A dataport fault changes what
   * is said: 127.0.0.2 (the listener keeps its port reserved there) or a port where nothing listens.
   */
  async #interpose(mode: 'passive' | 'active', target: HostPort, format: (host: string, port: number) => string, hasAddress = true): Promise<Buffer> {
    this.#mode = mode;
    const here = mode === 'active' ? (this.#o.serverFacingHost ?? this.#o.host) : this.#o.host;
    // A client that reached the proxy over IPv6 cannot be told an address in a 227 (IPv4 only): it is
    // refused as IPv6 servers do, pointing to EPSV (RFC 2428 §3), instead of resetting the session.
    if (mode === 'passive' && hasAddress && !isIPv4(here)) return Buffer.from('425 PASV cannot name an IPv6 address: use EPSV\r\n', 'latin1');
    const how = this.#misrouted(hasAddress);
    const port =
      how === 'refused' ? await this.#closedPort(here)
      : how === 'blackholed' ? await this.#blackhole(here)
      : await this.#listen(here, (socket) => this.#connect(socket, target, mode === 'active'));
    const host = how === 'wrong-address' ? nowhereBut(here) : here;
    const [from, to] = mode === 'passive' ? ['server', 'client'] : ['client', 'server'];
    this.#note(`data address: ${from} said ${target.host}:${target.port}, ${to} told ${host}:${port}`);
    return Buffer.from(`${format(host, port)}\r\n`, 'latin1');
  }

  /** The dataport fault in force, firing it at the first address it can change. */
  #misrouted(hasAddress: boolean): DataPortFault['how'] | undefined {
    if (this.#misroute) return this.#misroute === 'wrong-address' && !hasAddress ? undefined : this.#misroute;
    const fault = this.#armed.find((f): f is DataPortFault => f.kind === 'dataport' && (hasAddress || f.how !== 'wrong-address'));
    if (!fault) return undefined;
    this.#armed = this.#armed.filter((f) => f !== fault);
    if (!this.#o.fire(fault)) return undefined;
    this.#o.transcript.add('!!', `fault fired: ${formatFault(fault)}`);
    this.#misroute = fault.how;
    return fault.how;
  }

  /** A listener for one data connection on `host`, one of the proxy's; resolves with its port. */
  async #listen(host: string, onConnection: (socket: Socket) => void): Promise<number> {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
    server.on('error', () => undefined);
    server.once('connection', (socket: Socket) => {
      server.close();
      socket.on('error', () => undefined);
      if (this.#closed) return void resetSocket(socket);
      onConnection(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as AddressInfo;
    // Tracked only once it listens: closing a listener still starting would cancel its listen() and
    // leave this promise, and the line waiting for it, pending for good.
    if (this.#closed) server.close();
    else {
      this.#listeners.add(server);
      server.once('close', () => this.#listeners.delete(server));
    }
    return port;
  }

  /** A port on `host` that drops SYNs (see ./blackhole.ts), kept until the session ends. */
  async #blackhole(host: string): Promise<number> {
    const blackhole = await openBlackhole(host);
    this.#blackholes.add(blackhole);
    if (this.#closed) void blackhole.close();
    return blackhole.port;
  }

  /** A port on `host` where nothing listens now. */
  async #closedPort(host: string): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  /** Connects an accepted data socket onward and relays between the two; `accepted` is the server's end in active mode. */
  #connect(accepted: Socket, target: HostPort, active = false): void {
    const index = ++this.#connections;
    const who = active ? 'server' : 'client';
    this.#o.transcript.add('--', `data ${index}: ${who} connected (${active ? 'active' : 'passive'}), proxy connects to ${target.host}:${target.port}`);
    const source = active ? {} : onwardSource(accepted, target.host);
    const onward = net.connect({ host: target.host, port: target.port, ...source, allowHalfOpen: true, noDelay: true });
    onward.on('error', () => undefined);
    onward.once('error', (error: NodeJS.ErrnoException) => {
      if (onward.connecting || !onward.remotePort) {
        this.#o.transcript.add('--', `data ${index}: ${target.host}:${target.port} unreachable (${error.code}): RST to ${who}`);
        resetSocket(accepted);
      }
    });
    onward.once('connect', () => {
      const [client, server] = active ? [onward, accepted] : [accepted, onward];
      const link = new DataLink(index, client, server, {
        transcript: this.#o.transcript,
        armed: () => this.#armed.filter((f) => scopeOf(f) !== 'address'),
        fire: (fault) => {
          this.#armed = this.#armed.filter((f) => f !== fault);
          if (!this.#o.fire(fault)) return false;
          if (fault.channel === 'data') return true;
          // Timed by the data connection, acting on the control connection.
          this.#o.transcript.add('!!', `fault fired at data octet ${fault.at !== 'connect' && 'bytes' in fault.at ? fault.at.bytes : 0}: ${formatFault(fault)}`);
          if (!isSessionFault(fault)) this.#o.listenerFault?.(fault);
          else if (this.control) applyFault(fault, this.control);
          return false;
        },
        verb: () => this.view.lastTransfer,
        bytes: (n) => {
          this.#bytes += n;
          this.view.dataBytes(n);
        },
      });
      this.#links.add(link);
      this.#last = link;
      this.view.dataOpened();
      void link.done.then(() => this.view.dataClosed());
      if (this.#closed) return link.abort();
      link.start();
    });
  }

  #note(text: string): void {
    this.#o.transcript.add('--', text);
  }
}
