/**
 * The fault proxy: a TCP listener on loopback that relays each connection to an upstream server and
 * applies faults on the way.
 *
 *   listen ─► listener faults act on the socket (rcvbuf)
 *   accept ─► refusing? reset ─► limit? 421 / RST / queue ─► connect upstream ─► Session (relay + faults)
 *
 * Without faults it relays every byte unchanged, half-closes included.
 */
import net, { type Server, type Socket } from 'node:net';
import { LIMIT_REPLY } from '../faults/limit.js';
import type { Link, Listener } from '../faults/link.js';
import { armedOnConnection, descriptorOf, scopeOf } from '../faults/registry.js';
import type { Fault } from '../faults/types.js';
import { SmtpPhase, SmtpTracker } from '../protocol/smtp.js';
import { bounded } from '../util/bounded.js';
import { Armory, type Match, type PlanEntry, Transactions } from './armory.js';
import { type Capture, captureTime, notesTo, watchConnection, watchingData } from './capture.js';
import { FtpData, onDataSide, type DataInfo } from './ftp-data.js';
import type { Dialect } from './dialect.js';
import { Session } from './session.js';
import { listeningFd, onwardSource, resetSocket } from './sockets.js';
import { Transcript } from './transcript.js';

export interface ProxyOptions {
  /** The server to relay to. Required. */
  readonly upstream: { readonly host: string; readonly port: number };
  /** Faults to apply; default none. */
  readonly faults?: readonly Fault[];
  /** Address to listen on; default `127.0.0.1`. */
  readonly host?: string;
  /** Port to listen on; default 0 (any free port). */
  readonly port?: number;
  /** Called with every transcript line as it happens; default none. */
  readonly onLine?: (line: string) => void;
  /**
   * What is spoken: `smtp` (default) or `ftp`, whose data connections are made to pass through the
   * proxy too (src/proxy/ftp-data.ts).
   */
  readonly protocol?: 'smtp' | 'ftp';
  /**
   * Lines that end a relayed session's transcript (a summary), given what the proxy knows of it once
   * both its connections are closed; default none.
   */
  readonly closing?: (info: SessionInfo, end: SessionEnd) => readonly string[];
  /** Told every octet, FIN and RST of each relayed connection, and the `!!` lines (src/pcap); default none. */
  readonly capture?: Capture;
}

/** How a relayed session ended, for `closing`. */
export interface SessionEnd {
  /** From the client's connect to the last connection's close, ms. */
  readonly durationMs: number;
  /** Connection events in order: `FIN from client`, `RST from server`, `RST to client`... */
  readonly endings: readonly string[];
  /** The proxy's own port toward the server: the client port the server saw. */
  readonly upstreamPort: number | undefined;
}

/** What the proxy knows of one client connection. */
export interface SessionInfo {
  readonly index: number;
  /** Where the client was when the session ended or now: see `Phase`. */
  readonly phase: string;
  /** Body octets of this session's last message that were relayed to the server. */
  readonly bodyBytes: number;
  readonly faultFired: boolean;
  /** Steps the client sent: command verbs and `dot`. */
  readonly steps: readonly string[];
  /** Messages the client was told were accepted (2xx to the end of data) in this session. */
  readonly accepted: number;
  /** The code of the last reply the client was shown (the proxy's own 421 included). */
  readonly lastReply?: number;
  /** Transactions the client began here (MAIL commands). */
  readonly transactions: number;
  /** How the client broke framing rules (bare LF, RFC 2920 pipelining), in words. */
  readonly violations: readonly string[];
  /** How the client's connection was ended toward it: RST or FIN; null while open. */
  readonly clientSaw: 'rst' | 'fin' | null;
  /** Connection events so far, in order: `FIN from client`, `RST to client`... (see SessionEnd). */
  readonly endings?: readonly string[];
  /** false once both of its connections are closed. */
  readonly open?: boolean;
  /** The faults that fired on it (its data connections' included), in firing order. */
  readonly faultsFired?: readonly Fault[];
  /** The proxy's own port toward the server: the client port the server saw; undefined before the relay. */
  readonly upstreamPort?: number;
  /** FTP: the data connections this control session had through the proxy. */
  readonly data?: DataInfo;
  readonly transcript: readonly string[];
}

export interface ProxyHandle {
  readonly host: string;
  readonly port: number;
  /** `host:port`, for building client URLs. */
  readonly address: string;
  /** Every connection so far, in accept order. */
  sessions(): readonly SessionInfo[];
  /** For each configured fault, in order: did it fire at least once. */
  fired(): readonly boolean[];
  /**
   * Adds a fault for connections accepted from now on: every one, the `connection`th, or only inside
   * transactions (SMTP) or transfers (FTP) that `match` (see ./armory.ts).
   */
  arm(fault: Fault, options?: { readonly connection?: number; readonly match?: Match }): void;
  /** Entry i for the i-th connection accepted from now on, or the i-th transaction matching `match`. */
  plan(entries: readonly PlanEntry[], match?: Match): void;
  /** Forgets every fault and plan, the configured ones included; open sessions keep theirs. */
  disarm(): void;
  /** Resolves when no session is open. */
  idle(): Promise<void>;
  /** Stops listening and ends every session (FIN to the server so it keeps what it got). */
  close(): Promise<void>;
}

/** How long `close()` lets servers close their side after our FIN before cutting. */
const CLOSE_GRACE_MS = 2000;

/** A rejected or queued connection has a transcript too, but no relay. */
interface Entry {
  readonly index: number;
  readonly transcript: Transcript;
  readonly client: Socket;
  /** performance.now() at the client's connect. */
  readonly since: number;
  /** Its faults, looked up at accept; those that fired, in order. */
  readonly faults: readonly Fault[];
  readonly fired: Fault[];
  /** Faults for its matching transactions, when any were armed at accept. */
  readonly transactions?: Transactions;
  open: boolean;
  upstream?: Socket;
  session?: Session;
  ftp?: FtpData;
  /** Turned away before any relay: what the client was shown. */
  rejected?: { readonly lastReply?: number; readonly clientSaw: 'rst' | 'fin' };
}

/** Starts a fault proxy in front of `upstream`. */
export async function startProxy(options: ProxyOptions): Promise<ProxyHandle> {
  const faults = options.faults ?? [];
  const epoch = performance.now();
  const armory = new Armory(faults);
  const fired = new Set<Fault>();
  const entries: Entry[] = [];
  const queued: Entry[] = [];
  let open = 0;
  let refusing: 'refuse' | 'reset' | null = null;
  let closing = false;
  let closed: Promise<void> | undefined;
  const timers = new Set<NodeJS.Timeout>();
  const idleWaiters: (() => void)[] = [];
  const server: Server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });

  const markFired = (fault: Fault): boolean => {
    // A listener fault acts on the one listener: once, whichever connection triggers it.
    if (scopeOf(fault) === 'listener' && fired.has(fault)) return false;
    fired.add(fault);
    return true;
  };
  const fireOn =
    (entry: Entry) =>
    (fault: Fault): boolean => {
      if (!markFired(fault)) return false;
      entry.fired.push(fault);
      return true;
    };

  const listener: Listener = {
    dropAll(how) {
      // A restarting server loses its data connections with its sessions.
      for (const entry of entries) {
        entry.session?.abort(how);
        entry.ftp?.drop(how);
      }
    },
    refuseFor(ms, mode) {
      refusing = mode;
      if (mode === 'refuse') server.close();
      const timer = setTimeout(() => {
        timers.delete(timer);
        refusing = null;
        if (mode === 'refuse' && !closing) server.listen(port, host, () => void atListen().catch(() => undefined));
      }, ms);
      timers.add(timer);
    },
  };

  /** What listener faults did to the listening socket, logged in every transcript. */
  let listenerNotes: string[] = [];
  /** Lets listener faults act on the listening socket, each time it listens (again, after a refuse). */
  const atListen = async (): Promise<void> => {
    const notes: string[] = [];
    for (const fault of faults) {
      const onListen = descriptorOf(fault.kind).onListen;
      if (onListen === undefined) continue;
      notes.push(await onListen(fault, listeningFd(server)));
      fired.add(fault);
    }
    listenerNotes = notes;
  };

  const settle = (): void => {
    open--;
    const next = queued.shift();
    if (next) relay(next);
    if (open === 0 && queued.length === 0) for (const wake of idleWaiters.splice(0)) wake();
  };

  /** Ends a transcript with the `closing` lines. */
  const ended = (entry: Entry, endings: readonly string[], upstreamPort?: number): void => {
    const end = { durationMs: performance.now() - entry.since, endings, upstreamPort };
    for (const line of options.closing?.(info(entry), end) ?? []) entry.transcript.add('==', line);
  };

  const relay = (entry: Entry): void => {
    open++;
    const upstream = net.connect({ ...options.upstream, ...onwardSource(entry.client, options.upstream.host), allowHalfOpen: true, noDelay: true });
    entry.upstream = upstream;
    upstream.once('error', (error: NodeJS.ErrnoException) => {
      if (entry.session) return;
      entry.transcript.add('--', `upstream unreachable (${error.code}): RST to client`);
      entry.rejected = { clientSaw: 'rst' };
      resetSocket(entry.client);
      settle();
    });
    upstream.once('connect', () => {
      const hooks = { fire: fireOn(entry), listenerFault: (f: Fault) => descriptorOf(f.kind).onTrigger?.(f, listener) };
      const mine = entry.faults.filter(armedOnConnection);
      const ftp = options.protocol === 'ftp';
      // Passive listeners go where the client reached the proxy (with --host 0.0.0.0, not 0.0.0.0 itself).
      const reached = entry.client.localAddress?.replace(/^::ffff:/, '');
      const dialect = (control: Link): Dialect =>
        ftp
          ? new FtpData({
              listenerFault: hooks.listenerFault,
              host: reached && net.isIPv4(reached) ? reached : host,
              serverFacingHost: upstream.localAddress ?? host,
              upstreamHost: options.upstream.host,
              transcript: entry.transcript,
              faults: mine.filter(onDataSide),
              fire: hooks.fire,
              control,
              ...watchingData(options.capture, entry.index),
            })
          : { tracker: new SmtpTracker(), view: new SmtpPhase() };
      const faults = ftp ? mine.filter((f) => !onDataSide(f)) : mine;
      const { index, transcript, transactions } = entry;
      const session = new Session({ index, client: entry.client, server: upstream, faults, hooks, transcript, dialect, transactions });
      entry.session = session;
      if (options.capture) watchConnection(options.capture, { session: index, connection: 0 }, entry.client, upstream);
      if (session.dialect instanceof FtpData) entry.ftp = session.dialect;
      const upstreamPort = upstream.localPort;
      void session.done
        .then(() => {
          entry.ftp?.stopListening();
          return entry.ftp?.settled();
        })
        .then(() => {
          entry.open = false;
          const body = session.bodyAfterFault();
          if (body) entry.transcript.add('!!', body);
          ended(entry, session.endings, upstreamPort);
          options.capture?.({ kind: 'done', session: index, time: captureTime() });
        })
        .then(settle);
      session.start();
    });
  };

  server.on('connection', (client: Socket) => {
    const index = entries.length + 1;
    const protocol = options.protocol ?? 'smtp';
    const transactions = armory.matching ? { transactions: new Transactions(protocol, (matches) => armory.forTransaction(index, matches)) } : {};
    const entry: Entry = {
      index,
      transcript: new Transcript(epoch, index, options.onLine, notesTo(options.capture, index)),
      client,
      since: performance.now(),
      faults: armory.forConnection(index),
      fired: [],
      open: true,
      ...transactions,
    };
    entries.push(entry);
    client.on('error', () => undefined);
    // A connection turned away, or given up while queued, ends here; a relayed one when its session does.
    client.once('close', () => {
      if (entry.session || (entry.upstream && !entry.rejected)) return;
      entry.open = false;
      ended(entry, entry.rejected ? [`${entry.rejected.clientSaw.toUpperCase()} to client`] : ['client left while queued']);
    });
    entry.transcript.add('--', `client connected from ${client.remoteAddress ?? 'an unknown address'}`);
    for (const note of listenerNotes) entry.transcript.add('--', note);
    if (refusing === 'reset') {
      entry.transcript.add('!!', 'restarting: RST to client');
      entry.rejected = { clientSaw: 'rst' };
      return void resetSocket(client);
    }
    const limit = entry.faults.find((f) => descriptorOf(f.kind).admit !== undefined);
    const admission = (limit && descriptorOf(limit.kind).admit?.(limit, open)) ?? 'admit';
    // Every connection a limit turns away lists it, though it is the listener's one fault.
    if (limit && admission !== 'admit') {
      fired.add(limit);
      entry.fired.push(limit);
    }
    if (admission === 'admit') return relay(entry);
    entry.transcript.add('!!', `over the session limit: ${admission}`);
    if (admission === 'reset') {
      entry.rejected = { clientSaw: 'rst' };
      return void resetSocket(client);
    }
    if (admission === 'reply' || admission === 'close') {
      entry.rejected = { ...(admission === 'reply' ? { lastReply: 421 } : {}), clientSaw: 'fin' };
      client.resume();
      return void (admission === 'reply' ? client.end(LIMIT_REPLY) : client.end());
    }
    queued.push(entry);
    client.once('close', () => {
      const i = queued.indexOf(entry);
      if (i !== -1) queued.splice(i, 1);
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  server.on('error', () => undefined);
  await atListen().catch((error: unknown) => {
    server.close();
    throw error;
  });

  return {
    host,
    port,
    address: `${host}:${port}`,
    sessions: () => entries.map(info),
    fired: () => faults.map((f) => fired.has(f)),
    arm: (fault, arming) => armory.arm(fault, arming),
    plan: (entries, match) => armory.plan(entries, match),
    disarm: () => armory.disarm(),
    idle: () => (open === 0 && queued.length === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve))),
    close() {
      closed ??= shutdown();
      return closed;
    },
  };

  async function shutdown(): Promise<void> {
    closing = true;
    for (const timer of timers) clearTimeout(timer);
    server.close();
    for (const entry of entries) {
      entry.ftp?.close();
      if (entry.session) entry.session.abort('close');
      else destroy(entry);
    }
    // A server that never closes its side must not hold us: give it a moment, then cut.
    const ended = Promise.all(entries.map((e) => e.session?.done));
    await bounded(ended, CLOSE_GRACE_MS);
    entries.forEach(destroy);
    await ended;
  }
}

function destroy(entry: Entry): void {
  entry.client.destroy();
  entry.upstream?.destroy();
}

/** What the proxy knows of one connection. */
function info(e: Entry): SessionInfo {
  return {
    index: e.index,
    // Turned away with a reply in place of the greeting: the client saw a greeting, of sorts.
    phase: e.session?.view.phase ?? (e.rejected?.lastReply === undefined ? 'connect' : 'greeting'),
    bodyBytes: e.session?.relayedBody ?? 0,
    faultFired: e.session?.faultFired ?? false,
    steps: [...(e.session?.steps ?? [])],
    accepted: e.session?.view.accepted ?? 0,
    violations: e.session?.view.violations ?? [],
    transactions: e.session?.view.transactions ?? 0,
    lastReply: e.session?.view.lastCode ?? e.rejected?.lastReply,
    clientSaw: e.session?.clientSaw ?? e.rejected?.clientSaw ?? null,
    endings: e.session ? [...e.session.endings] : e.rejected ? [`${e.rejected.clientSaw.toUpperCase()} to client`] : [],
    open: e.open,
    faultsFired: [...e.fired],
    ...(e.upstream?.localPort === undefined ? {} : { upstreamPort: e.upstream.localPort }),
    ...(e.ftp ? { data: e.ftp.info } : {}),
    transcript: e.transcript.lines,
  };
}
