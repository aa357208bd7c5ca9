/**
 * The mock FTP server: a well-behaved server on ftp-srv with knobs (users, anonymous access, passive
 * port range and advertised address, active mode on/off, max sessions in all and per client address,
 * idle and data-connection timeouts) and a file system whose content is spooled to a private folder on
 * disk, uploads hashed while they stream (./ftp/spool.ts). Misbehaviour lives in src/proxy, not here,
 * except for the planted defects the proxy cannot plant (all off by default): EPSV or SIZE not
 * supported, EPSV ALL honoured in part, REST refused in ASCII or cancelled by a command between it and
 * the transfer, OPTS UTF8 refused, uploads silently truncated, an idle close without its 421, a session
 * limit refused at PASS (./ftp/defects.ts). FTPS (RFC 4217: AUTH TLS or implicit, PBSZ, PROT, data
 * connections that must resume the control connection's TLS session) is ours too (./ftp/ftps.ts).
 *
 *   client ──TCP──► net.Server ─ over maxSessions or maxPerAddress? ──► 421, close (ftp-srv never sees it)
 *                        └──► ftp-srv Connection ◄── our line reader (reassembles split commands, AUTH TLS)
 *                                 │  ◄── FtpsSession: AUTH, PBSZ, PROT; PROT P data connections are TLS
 *                                 │  ◄── CommandFilter: planted defects, EPSV ALL (answered before ftp-srv)
 *                                 │  PASV/EPSV/PORT/EPRT ──► DataChannel (ours: tracked, no leaked timers)
 *                                 ├─ STOR ──► sink: SHA-256 + size while flowing, into the spool ─► StoredFile, 226
 *                                 └─ a transfer whose data connection failed ──► 426 (./ftp/aborted.ts)
 *
 * ftp-srv 4.6.3 is unmaintained; everything this file works around is marked "ftp-srv:" below.
 */
import { isIPv4, type AddressInfo, type Server, type Socket } from 'node:net';
import { posix } from 'node:path';
import { type FileSystem, FtpSrv } from 'ftp-srv';
import { listenWithBacklog } from '../src/util/backlog.js';
import type { Digest } from '../src/util/digest.js';
import type { Content } from '../src/util/content.js';
import { answerAbortedTransfers } from './ftp/aborted.js';
import { DataChannel, type Wiring } from './ftp/data-channel.js';
import { CommandFilter } from './ftp/defects.js';
import { readCommands } from './ftp/control-reader.js';
import { FTPS_DEFAULTS, FtpsSession, serveTls, sessionContext, type FtpsServerOptions } from './ftp/ftps.js';
import { SIGNALS, SILENT_LOG, replyError, type Conn, type Connector, type Srv } from './ftp/internals.js';
import { SpoolFileSystem } from './ftp/spool-fs.js';
import { SpoolTree } from './ftp/spool.js';
import { validate } from './ftp/validate.js';
import { createPrivateCa } from '../src/tls/ca.js';
import { RecentItems } from '../src/util/recent-items.js';

/** The mock FTP server's knobs; every field is optional and merged over FTP_SERVER_DEFAULTS (FTPS's: FtpsServerOptions). */
export interface FtpServerOptions extends FtpsServerOptions {
  /** Address to listen on, for control and passive data connections; default '127.0.0.1'. */
  readonly host?: string;
  /** Control port; default 0 (the OS picks one, see the handle's `port`). */
  readonly port?: number;
  /** Known users, name to password; a wrong password gets 530; default {} (nobody). */
  readonly users?: Readonly<Record<string, string>>;
  /** USER anonymous (no password asked): 'read' answers 550 to STOR/DELE/MKD/RNTO; default 'write'. */
  readonly anonymous?: 'off' | 'read' | 'write';
  /** Passive listener ports, inclusive; [0, 0] lets the OS pick any free port; default [0, 0]. */
  readonly pasvRange?: readonly [number, number];
  /** IPv4 address advertised in 227 replies (EPSV's 229 carries the port only); default '' (the host). */
  readonly pasvAddress?: string;
  /** 'off' answers PORT and EPRT with 502; default 'on'. */
  readonly active?: 'on' | 'off';
  /** 'off' answers PASV and EPSV with 502 (pure-ftpd's -N, active mode only); default 'on'. */
  readonly passive?: 'on' | 'off';
  /** Concurrent sessions; the next connection gets `421 Too many users` and is closed; default 0 (unlimited). */
  readonly maxSessions?: number;
  /** Concurrent sessions from one client address; the next gets `421 Too many connections from your address`; default 0 (unlimited). */
  readonly maxPerAddress?: number;
  /** Closes a control connection idle this long (no data connection open) with 421; default 0 (never). */
  readonly idleTimeoutMs?: number;
  /**
   * How an idle control connection is closed: 'reply' sends `421 Idle timeout` first; 'silent' closes
   * with a FIN and no reply (a planted defect); 'reset' with an RST; default 'reply'.
   */
  readonly idleClose?: 'reply' | 'silent' | 'reset';
  /**
   * How a session over maxSessions or maxPerAddress is refused: '421' instead of the greeting (vsftpd,
   * pure-ftpd); '530' greeted as usual, then `530 Sorry, the maximum number of clients...` at PASS and
   * closed (proftpd's MaxClients); default '421'.
   */
  readonly sessionLimitReply?: '421' | '530';
  /**
   * EPSV (RFC 2428): 'on' answers 229 and honours EPSV ALL (PASV, PORT, EPRT refused after it); 'off'
   * answers 502 (a planted defect: not implemented); 'unknown' answers 500 (not understood); default 'on'.
   */
  readonly epsv?: 'on' | 'off' | 'unknown';
  /**
   * What EPSV ALL makes the server refuse (550) for the rest of the session; RFC 2428 §4 asks for all of
   * PASV, PORT and EPRT; fewer plants a server that honours it only in part; default all three.
   */
  readonly epsvAllRefuses?: readonly ('PASV' | 'PORT' | 'EPRT')[];
  /**
   * REST (RFC 3659 §5): 'lenient' takes it anywhere (ftp-srv; FEAT does not list REST STREAM); the
   * others list REST STREAM and are stricter, as real servers are: 'binary-only' answers 504 to REST
   * unless TYPE I (or L) was set; 'immediate' answers 503 to any command other than RETR, STOR, APPE
   * or STOU right after REST, and cancels the restart (RFC 3659 §5.3); 'off' answers REST and APPE
   * with 502 (no resuming at all, as Twisted's FTP server); default 'lenient'.
   */
  readonly restRule?: 'lenient' | 'binary-only' | 'immediate' | 'off';
  /** OPTS UTF8 ON: 'accept' (200); 'refuse' answers 501, as servers that are always in UTF-8 may; default 'accept'. */
  readonly optsUtf8?: 'accept' | 'refuse';
  /**
   * Closes a data connection on which nothing moved this long, ms, and answers its transfer `426`
   * (vsftpd data_connection_timeout, proftpd TimeoutStalled); default 0 (never).
   */
  readonly dataIdleTimeoutMs?: number;
  /**
   * SIZE (RFC 3659 §4): 'off' answers 502 and FEAT leaves it out; 'advertised-only' answers 502 while
   * FEAT lists it (a feature that is advertised but does not work); default 'on'.
   */
  readonly sizeCommand?: 'on' | 'off' | 'advertised-only';
  /**
   * A server that corrupts uploads: keeps only the first N octets of each stored file (a REST/APPE prefix
   * counts), still answers 226; StoredFile.bytes/sha256 describe what was kept, `received` what came;
   * default 0 (off).
   */
  readonly truncateUploadsAt?: number;
  /**
   * A server whose STOR after REST n empties the file first and writes at n, still answering 226: the
   * first n octets read as zeros (bftpd 4.9's defect), and an upload resumed with REST+STOR is corrupt;
   * default false.
   */
  readonly restStorZeroes?: boolean;
  /** Waits this long before each greeting, ms: keeps sessions open long enough for a burst to overlap; default 0. */
  readonly greetingDelayMs?: number;
  /** Files present at start, path to content (parent directories are created); default {}. */
  readonly files?: Readonly<Record<string, Buffer | Content>>;
  /**
   * Aborting it removes the spool folder at once, synchronously (a second Ctrl-C exits without waiting
   * for close()); close() removes it in any case; default a signal that never aborts.
   */
  readonly signal?: AbortSignal;
  /** Uploads the handle's `files` holds, the newest; older ones are only counted (`stored()`); default Infinity (all). */
  readonly keep?: number;
  /**
   * Called with each upload as it is recorded (before its 226, or when it is aborted), and the client's
   * TCP port (behind the proxy: the proxy's port toward this server); default none.
   */
  readonly onStored?: (file: StoredFile, from: { readonly port: number }) => void;
  /** Called with each download (RETR) as it ends, complete or not, and the client's TCP port; default none. */
  readonly onServed?: (file: ServedFile, from: { readonly port: number }) => void;
}

/** The defaults every FtpServerOptions field falls back to. */
export const FTP_SERVER_DEFAULTS: Required<FtpServerOptions> = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  users: Object.freeze({}),
  anonymous: 'write',
  pasvRange: Object.freeze([0, 0] as const),
  pasvAddress: '',
  active: 'on',
  passive: 'on',
  maxSessions: 0,
  maxPerAddress: 0,
  idleTimeoutMs: 0,
  idleClose: 'reply',
  sessionLimitReply: '421',
  epsv: 'on',
  epsvAllRefuses: Object.freeze(['PASV', 'PORT', 'EPRT'] as const),
  restRule: 'lenient',
  optsUtf8: 'accept',
  dataIdleTimeoutMs: 0,
  sizeCommand: 'on',
  truncateUploadsAt: 0,
  restStorZeroes: false,
  greetingDelayMs: 0,
  files: Object.freeze({}),
  signal: new AbortController().signal,
  keep: Number.POSITIVE_INFINITY,
  onStored: () => undefined,
  onServed: () => undefined,
  ...FTPS_DEFAULTS,
});

import type { ServedFile, StoredFile } from './ftp/transfers.js';

export type { ServedFile, StoredFile };

/** A running mock FTP server. */
export interface FtpServerHandle {
  /** `ftp://HOST:PORT`. */
  readonly url: string;
  /** The address it listens on. */
  readonly host: string;
  /** The control port (the real one when started on port 0). */
  readonly port: number;
  /** The CA certificate (PEM) that issued the default TLS certificate, for clients to trust; undefined otherwise. */
  readonly ca: string | undefined;
  /** The uploads, in order, the newest `keep` of them; a live view, holding a complete upload before its 226 is sent. */
  readonly files: readonly StoredFile[];
  /** Uploads recorded in all, those `keep` let go included. */
  stored(): number;
  /** Current content of a file (uploaded or preloaded), read whole from the spool, or undefined. */
  read(path: string): Buffer | undefined;
  /** The size and SHA-256 of a file's current content, read as a stream from the spool, or undefined. */
  digest(path: string): Promise<Digest | undefined>;
  /** Control connections currently open (including ones being turned away with 421). */
  connections(): number;
  /** Resolves once no control or data connection and no passive listener is open (at once if none). */
  idle(): Promise<void>;
  /** Destroys every control and data socket and stops every listener, without waiting; idempotent. */
  close(): Promise<void>;
}

/** Starts the mock FTP server and resolves once it listens. */
export async function startFtpServer(options: FtpServerOptions = {}): Promise<FtpServerHandle> {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  // Without a signal, one of its own: every server listening on the defaults' one would add up there.
  const o: Required<FtpServerOptions> = { ...FTP_SERVER_DEFAULTS, signal: new AbortController().signal, ...given };
  validate(o);
  const privateCa = o.tls !== 'off' && o.certificate === null ? await createPrivateCa() : undefined;
  const certificate = o.certificate ?? (await privateCa?.issue());
  const files = new RecentItems<StoredFile>(o.keep);
  let stored = 0;
  const tree = new SpoolTree(
    o.files,
    (file, port) => {
      stored++;
      files.push(file);
      o.onStored(file, { port });
    },
    o.truncateUploadsAt,
    (file, port) => o.onServed(file, { port }),
    o.restStorZeroes,
  );
  const removeSpool = (): void => tree.removeNow();
  o.signal.addEventListener('abort', removeSpool, { once: true });
  if (o.signal.aborted) removeSpool();
  try {
    await tree.writePreloaded();
  } catch (error) {
    removeSpool();
    o.signal.removeEventListener('abort', removeSpool);
    throw error;
  }
  const control = new Set<Socket>();
  const sessions = new Set<Socket>();
  /** Of those, how many each client address has open (maxPerAddress). */
  const perAddress = new Map<string, number>();
  /** Sessions over a limit refused at PASS (sessionLimitReply '530'), with their 530 text. */
  const overLimit = new WeakMap<Socket, string>();
  const data = new Set<Socket>();
  const listeners = new Set<Server>();
  let idleWaiters: Array<() => void> = [];
  // Deferred a macrotask so stream handlers already queued have run (and recorded) first.
  const settleIdle = (): void => {
    setImmediate(() => {
      if (control.size + data.size + listeners.size > 0) return;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    });
  };
  const tracked = <T extends Socket | Server>(set: Set<T>, item: T): void => {
    set.add(item);
    item.once('close', () => set.delete(item) && settleIdle());
  };
  const wiring: Wiring = {
    host: o.host,
    range: o.pasvRange,
    dataIdleMs: o.dataIdleTimeoutMs,
    nextPort: 0,
    closed: false,
    waiters: new Set(),
    track: (socket) => tracked(data, socket),
    trackServer: (server) => tracked(listeners, server),
  };
  const advertised = o.pasvAddress || o.host;
  const bracketed = o.host.includes(':') ? `[${o.host}]` : o.host;

  const before = SIGNALS.map((signal) => process.listeners(signal));
  const ftp = new FtpSrv({
    url: `ftp://${bracketed}:${o.port}`,
    log: SILENT_LOG,
    anonymous: o.anonymous !== 'off',
    // ftp-srv: a string pasv_url is replaced by the client's own address for loopback clients; a function is not.
    pasv_url: (() => {
      // On ::1 a 227 has no address to give (IPv4 only): the refusal the proxy gives an IPv6 client (RFC 2428 §1).
      if (!isIPv4(advertised)) throw replyError(425, 'PASV cannot name an IPv6 address: use EPSV');
      return advertised;
    }) as unknown as string,
    blacklist: [...(o.active === 'off' ? ['PORT', 'EPRT'] : []), ...(o.passive === 'off' ? ['PASV', 'EPSV'] : [])],
  });
  // ftp-srv: its constructor adds SIGINT/SIGTERM/SIGQUIT handlers that close it and call process.exit.
  SIGNALS.forEach((signal, i) => {
    for (const listener of process.listeners(signal)) if (!before[i]?.includes(listener)) process.removeListener(signal, listener);
  });
  const srv = ftp as unknown as Srv;

  // ftp-srv: disconnectClient leaves a `timeout || 1000` ms timer behind for every disconnect. And it
  // counts its sessions with Object.keys(connections) as each one starts and ends: with 5,000 open, a
  // millisecond a session. They are kept here instead; its own table holds one only while it starts.
  const byId = new Map<string, Conn>();
  srv.disconnectClient = async (id) => {
    const connection = byId.get(id);
    byId.delete(id);
    connection?.commandSocket.destroy();
  };

  // ftp-srv has no connection limit: answer over-limit connections ourselves, before its greeting.
  const [greet] = srv.server.listeners('connection') as Array<(socket: Socket) => void>;
  srv.server.removeAllListeners('connection');
  /** Implicit FTPS: each session's TLS context, for its data connections, and its TCP socket (an RST needs it). */
  const implicit = new WeakMap<Socket, { context: ReturnType<typeof sessionContext>; plain: Socket }>();
  srv.server.on('connection', (plain: Socket) => {
    tracked(control, plain);
    // A reply goes out as it is written. With Nagle's algorithm, a 226 written after the 150 (the
    // client sends nothing between them) waited for the client's delayed ACK: 40 ms per transfer.
    plain.setNoDelay(true);
    if (wiring.closed) return void plain.destroy();
    if (o.tls !== 'implicit' || !certificate) return admit(plain);
    const context = sessionContext(certificate);
    void serveTls(plain, context).then((secure) => {
      if (!secure || wiring.closed) return void secure?.destroy();
      implicit.set(secure, { context, plain });
      admit(secure);
    });
  });
  const admit = (socket: Socket): void => {
    const turnAway = (reply: string): void => {
      socket.on('error', () => undefined).resume();
      socket.end(`${reply}\r\n`, () => socket.destroy());
    };
    const address = socket.remoteAddress ?? '';
    const overAll = o.maxSessions > 0 && sessions.size >= o.maxSessions;
    const overHere = o.maxPerAddress > 0 && (perAddress.get(address) ?? 0) >= o.maxPerAddress;
    if (o.sessionLimitReply === '421') {
      if (overAll) return turnAway('421 Too many users, closing control connection');
      if (overHere) return turnAway('421 Too many connections from your address, closing control connection');
    }
    if (overAll) overLimit.set(socket, `Sorry, the maximum number of clients (${o.maxSessions}) are already connected.`);
    else if (overHere) overLimit.set(socket, `Sorry, the maximum number of clients (${o.maxPerAddress}) from your host are already connected.`);
    else {
      tracked(sessions, socket);
      perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
      socket.once('close', () => {
        const left = perAddress.get(address)! - 1;
        if (left === 0) perAddress.delete(address);
        else perAddress.set(address, left);
      });
    }
    if (o.greetingDelayMs > 0) setTimeout(() => !socket.destroyed && greet?.(socket), o.greetingDelayMs);
    else greet?.(socket);
  };

  srv.on('connect', ({ connection }: { connection: Conn }) => {
    byId.set(connection.id, connection);
    delete srv.connections[connection.id];
    const socket = connection.commandSocket;
    // ftp-srv: each TCP chunk is split on CRLF as is, so a command split across chunks fails
    // ('US' + 'ER x' gives two 502s) and chunks run concurrently. Reassemble lines; run them in order.
    socket.removeAllListeners('data');
    const filter = new CommandFilter(o, overLimit.get(socket));
    const handle = answerAbortedTransfers(connection);
    const ftps = certificate && o.tls !== 'off' ? new FtpsSession(o, implicit.get(socket)?.context ?? sessionContext(certificate)) : undefined;
    readCommands(connection, socket, (text) => ftps?.handle(connection, text) ?? filter.handle(connection, text) ?? handle(text), ftps);

    // ftp-srv: its `timeout` option also fires during long transfers (the control connection is
    // quiet then), so time idleness ourselves and let an open data connection count as activity.
    socket.removeAllListeners('timeout');
    if (o.idleTimeoutMs > 0) {
      socket.setTimeout(o.idleTimeoutMs);
      socket.on('timeout', () => {
        // After AUTH TLS the timer and this listener are on the TLS socket (FtpsSession.upgrade).
        const now = connection.commandSocket;
        const channel = connection.connector;
        if (channel instanceof DataChannel && channel.dataSocket && !channel.dataSocket.destroyed) return void now.setTimeout(o.idleTimeoutMs);
        if (o.idleClose === 'reply') return void connection.close(421, 'Idle timeout, closing control connection');
        // A TLS socket cannot send an RST itself (ERR_INVALID_HANDLE_TYPE): its TCP socket does; after AUTH TLS that is `socket`.
        if (o.idleClose === 'reset') return void (implicit.get(socket)?.plain ?? socket).resetAndDestroy();
        now.end(() => now.destroy());
      });
    }

    // Every connector ftp-srv assigns (PASV, EPSV, PORT, EPRT) becomes one of our DataChannels.
    const reset = connection.connector;
    let current = reset;
    Object.defineProperty(connection, 'connector', {
      configurable: true,
      enumerable: true,
      get: () => current,
      set: (next: Connector) => {
        const previous = current;
        current = next.type === 'passive' || next.type === 'active' ? new DataChannel(next.type, connection, reset, wiring, ftps) : next;
        if (previous !== current && previous instanceof DataChannel) previous.end();
      },
    });
  });

  srv.on(
    'login',
    (
      { connection, username, password }: { connection: Conn; username: string; password: string },
      resolve: (config: { fs: FileSystem }) => void,
      reject: (error: Error) => void,
    ) => {
      const user = Object.hasOwn(o.users, username);
      if (user ? o.users[username] === password : username === 'anonymous' && o.anonymous !== 'off') {
        return resolve({ fs: new SpoolFileSystem(connection, tree, user || o.anonymous === 'write' ? 'write' : 'read') });
      }
      // ftp-srv: after a failed login USER would answer '530 Username already set' forever; forget it.
      connection.username = undefined;
      reject(new Error('Authentication failed'));
    },
  );
  srv.on('client-error', () => undefined);
  srv.on('server-error', () => undefined);

  // ftp-srv: its listen() passes no backlog (Node's default 511); listen on its server ourselves.
  await listenWithBacklog(srv.server, o.port, o.host).catch((error: unknown) => {
    o.signal.removeEventListener('abort', removeSpool);
    tree.removeNow();
    throw error; // EADDRINUSE...
  });
  const { port } = srv.server.address() as AddressInfo;
  const idle = (): Promise<void> =>
    new Promise<void>((resolve) => {
      idleWaiters.push(resolve);
      settleIdle();
    });
  let closing: Promise<void> | undefined;

  return {
    url: `ftp://${bracketed}:${port}`,
    host: o.host,
    port,
    ca: privateCa?.cert,
    files: files.view,
    stored: () => stored,
    read: (path) => tree.content(posix.resolve('/', path)),
    digest: (path) => tree.digest(posix.resolve('/', path)),
    connections: () => control.size,
    idle,
    close: () =>
      (closing ??= (async () => {
        wiring.closed = true;
        const stopped = new Promise<void>((resolve) => srv.server.close(() => resolve()));
        for (const server of listeners) server.close();
        for (const socket of [...control, ...data]) socket.destroy();
        for (const check of [...wiring.waiters]) check();
        await Promise.all([stopped, idle()]);
        srv.removeAllListeners();
        o.signal.removeEventListener('abort', removeSpool);
        await tree.remove();
      })()),
  };
}
