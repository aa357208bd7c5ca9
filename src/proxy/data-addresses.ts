/**
 * Where the proxy tells an FTP client or server to make its data connection: to a listener of the
 * proxy's own, which connects on to where it was meant to go.
 *
 *   passive  server said (h,p) ─► listen on L (the client reached the proxy there) ─► client told L
 *   active   client said (h,p) ─► listen on L (the proxy's end toward the server)  ─► server told L
 *            accepted on L ─► accept(socket, (h,p), mode) (./data-links.ts)
 *
 * A `dataport` fault changes what is said instead: 127.0.0.2 (a loopback address where nothing
 * listens; ::ffff:127.0.0.2 toward an IPv6 end), a port where nothing listens, or one that drops SYNs
 * (./blackhole.ts), on the listener's own address (::1 over IPv6). Listeners take one connection each.
 * A client asking for address after address leaves no listeners behind: a new passive address closes
 * the passive listeners still waiting, as a server listens for its last PASV only (vsftpd, the mock),
 * and it answers one only once the transfers before it are over. An active address (PORT, EPRT) is
 * rewritten as the command passes, ahead of the server, so a client pipelining PORT and RETR pairs has
 * several waiting at once: the oldest beyond MAX_ACTIVE_WAITING are closed.
 *
 * A blackholed port takes a worker thread and its filled queue to open (hundreds of ms, seconds under
 * load), and the reply or command that names it is held until it is open: the client's timer for that
 * reply would run meanwhile and could beat its data connect timer (basic-ftp: a control timeout at EPSV
 * instead of the data connect's timeout). So a session with a blackholed dataport armed opens it as it
 * starts, while the client logs in, and every data address of the session names that one port.
 */
import net, { isIPv4, type AddressInfo, type Server, type Socket } from 'node:net';
import type { HostPort } from '../protocol/ftp-address.js';
import { openBlackhole, type Blackhole } from './blackhole.js';
import type { DataArming } from './data-arming.js';
import { resetSocket } from './sockets.js';
import type { Transcript } from './transcript.js';

/** Active listeners waiting for the server at most (a client pipelining PORT, RETR, PORT, RETR...). */
export const MAX_ACTIVE_WAITING = 16;

/** Where a wrong data address points: loopback, and nothing listens there (the network rule). */
export const NOWHERE_HOST = '127.0.0.2';

/**
 * Where a wrong data address points toward an IPv6 end: IPv6 has one loopback address (::1, where the
 * proxy is), so NOWHERE_HOST in its IPv4-mapped form (RFC 4291 §2.5.5.2), still loopback, of the family
 * the EPRT names (`|2|`).
 */
export const NOWHERE_HOST6 = `::ffff:${NOWHERE_HOST}`;

/**
 * NOWHERE_HOST, or 127.0.0.4 when the listener itself is there (an active session from a client at
 * 127.0.0.2); NOWHERE_HOST6 when the listener is on IPv6.
 */
const nowhereBut = (here: string): string => (!isIPv4(here) ? NOWHERE_HOST6 : here === NOWHERE_HOST ? '127.0.0.4' : NOWHERE_HOST);

export type DataMode = 'passive' | 'active';

/** Where the proxy connects on for a data address; `named`: the address the reply named, when it differs. */
export interface DataTarget extends HostPort {
  readonly named?: string;
}

export interface DataAddressesOptions {
  /** The proxy's listening host: passive data listeners bind here (the client reached the proxy there). */
  readonly host: string;
  /**
   * The proxy's own address on the control connection to the server: active data listeners bind here,
   * as a server connects back only to the address its control connection comes from (RFC 2577); default `host`.
   */
  readonly serverFacingHost?: string;
  readonly transcript: Transcript;
  /** Where a dataport fault is found and fired. */
  readonly arming: DataArming;
  /** A data connection reached a listener: relay it on to `target`. */
  readonly accept: (socket: Socket, target: HostPort, mode: DataMode) => void;
  /** Opens a SYN-dropping port on a host; default openBlackhole (./blackhole.ts). */
  readonly openBlackhole?: (host: string) => Promise<Blackhole>;
}

/** The data addresses of one control session, and the listeners behind them. */
export class DataAddresses {
  readonly #o: DataAddressesOptions;
  /** Listeners still waiting for their one connection, by mode, oldest first. */
  readonly #listeners: Record<DataMode, Set<Server>> = { passive: new Set(), active: new Set() };
  /** The session's blackholed port per host, opened (or opening) once and named by every address. */
  readonly #blackholes = new Map<string, Promise<Blackhole>>();
  #mode: DataMode | undefined;
  #stopped = false;
  /** The last passive address told takes (or silently drops) a connection, and none has come to it yet. */
  #awaited = false;

  constructor(options: DataAddressesOptions) {
    this.#o = options;
    if (!options.arming.pending('blackholed')) return;
    // Passive addresses are on `host`, active ones on `serverFacingHost`: the same host but in odd setups.
    for (const host of new Set([options.host, options.serverFacingHost ?? options.host])) this.#openBlackhole(host);
  }

  /** The mode of the last data address asked for. */
  get mode(): DataMode | undefined {
    return this.#mode;
  }

  /**
   * The client was last told a passive address where a connection would be taken (a listener of the
   * proxy's) or silently dropped (a blackholed port), and has not connected there yet: it may be
   * connecting. Not for a port where nothing listens, which the client learns of at once.
   */
  get awaitsClient(): boolean {
    return this.#awaited;
  }

  /** Whether no more data connections are taken. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Puts a listener of the proxy's between the two ends and says where it is, in the reply or command
   * `format` writes. Passive: the client will connect to it and the proxy on to the server's `target`;
   * active: the server will, and the proxy on to the client's `target`. `hasAddress`: false when only
   * a port is said (229).
   */
  async interpose(mode: DataMode, target: DataTarget, format: (host: string, port: number) => string, hasAddress = true): Promise<Buffer> {
    this.#mode = mode;
    if (mode === 'passive') this.#awaited = false;
    const here = mode === 'active' ? (this.#o.serverFacingHost ?? this.#o.host) : this.#o.host;
    // A client that reached the proxy over IPv6 cannot be told an address in a 227 (IPv4 only): it is
    // refused as the mock on ::1 does, pointing to EPSV (RFC 2428 §1), instead of resetting the session.
    if (mode === 'passive' && hasAddress && !isIPv4(here)) return Buffer.from('425 PASV cannot name an IPv6 address: use EPSV\r\n', 'latin1');
    const how = this.#o.arming.misroute(hasAddress);
    const port =
      how === 'refused'
        ? await this.#closedPort(here)
        : how === 'blackholed'
          ? await this.#blackhole(here)
          : await this.#listen(here, mode, (socket) => this.#o.accept(socket, target, mode));
    this.#closeStale(mode);
    if (mode === 'passive' && (how === undefined || how === 'blackholed')) this.#awaited = true;
    const host = how === 'wrong-address' ? nowhereBut(here) : here;
    const [from, to] = mode === 'passive' ? ['server', 'client'] : ['client', 'server'];
    const said = `${target.named ?? target.host}:${target.port}`;
    const elsewhere = target.named === undefined ? '' : ` (the proxy connects to ${target.host}, the control connection's address, as clients do)`;
    this.#o.transcript.add('--', `data address: ${from} said ${said}${elsewhere}, ${to} told ${host}:${port}`);
    return Buffer.from(`${format(host, port)}\r\n`, 'latin1');
  }

  /** No more data connections: listeners close; one that is still starting closes once it listens. */
  stop(): void {
    this.#stopped = true;
    for (const waiting of Object.values(this.#listeners)) {
      for (const server of waiting) server.close();
      waiting.clear();
    }
    for (const opening of this.#blackholes.values()) void closeBlackhole(opening);
  }

  /** Resolves once every blackholed port (one still opening too) is closed. */
  async settled(): Promise<void> {
    await Promise.all([...this.#blackholes.values()].map(closeBlackhole));
  }

  /** A listener for one data connection on `host`, one of the proxy's; resolves with its port. */
  async #listen(host: string, mode: DataMode, onConnection: (socket: Socket) => void): Promise<number> {
    const waiting = this.#listeners[mode];
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
    server.on('error', () => undefined);
    server.once('connection', (socket: Socket) => {
      if (mode === 'passive') this.#awaited = false;
      waiting.delete(server);
      server.close();
      socket.on('error', () => undefined);
      if (this.#stopped) return void resetSocket(socket);
      onConnection(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as AddressInfo;
    // Tracked only once it listens: closing a listener still starting would cancel its listen() and
    // leave this promise, and the line waiting for it, pending for good.
    if (this.#stopped) server.close();
    else waiting.add(server);
    return port;
  }

  /**
   * Closes the listeners of `mode` no connection has reached and no connection will (see the header):
   * every passive one but the newest, the oldest active ones beyond MAX_ACTIVE_WAITING.
   */
  #closeStale(mode: DataMode): void {
    const waiting = this.#listeners[mode];
    const keep = mode === 'passive' ? 1 : MAX_ACTIVE_WAITING;
    for (const server of waiting) {
      if (waiting.size <= keep) break;
      server.close();
      waiting.delete(server);
    }
  }

  /** The session's port on `host` that drops SYNs (see ./blackhole.ts), kept until the session ends. */
  async #blackhole(host: string): Promise<number> {
    return (await this.#openBlackhole(host)).port;
  }

  /** The session's blackhole on `host`, opened on first ask; closed once open if the session has stopped. */
  #openBlackhole(host: string): Promise<Blackhole> {
    const known = this.#blackholes.get(host);
    if (known) return known;
    const opening = (this.#o.openBlackhole ?? openBlackhole)(host);
    // Opened ahead of use: a failure is thrown where the port is asked for, not left unhandled here.
    opening.catch(() => undefined);
    this.#blackholes.set(host, opening);
    if (this.#stopped) void closeBlackhole(opening);
    return opening;
  }

  /** A port on `host` where nothing listens now. */
  async #closedPort(host: string): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }
}

/** Closes a blackhole once it is open; one that failed to open has nothing to close. */
function closeBlackhole(opening: Promise<Blackhole>): Promise<void> {
  return opening.then(
    (blackhole) => blackhole.close(),
    () => undefined,
  );
}
