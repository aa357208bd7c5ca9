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
import { FtpData, onDataSide, type DataInfo } from './ftp-data.js';
import type { Dialect } from './dialect.js';
import { listenBacklog } from '../../servers/backlog.js';
import { Retention, type DroppedSessions } from './retention.js';
import { Session } from './session.js';
import { closed, onwardSource, resetSocket } from './sockets.js';
import { Transcript } from './transcript.js';
import { boundUpstream, silentUpstreamReply, type SilentAt } from './upstream-bound.js';

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
  /**
   * How long the upstream may take to connect and send its first byte before the client gets a 421 and
   * a FIN in its place (./upstream-bound.ts; a fault's hold restarts it); default UPSTREAM_TIMEOUT_MS,
   * 0 for none. A server that holds its own greeting longer needs more.
   */
  readonly upstreamTimeoutMs?: number;
  /**
   * Finished sessions kept for `sessions()`, the newest by when they finished; older ones are dropped
   * and only counted (`dropped()`), so memory stays flat over a long run. Default Infinity (all).
   */
  readonly keep?: number;
}

/** The default bound on a silent upstream: a healthy server greets well within it, even under load. */
export const UPSTREAM_TIMEOUT_MS = 10_000;

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
  /** The upstream was silent past `upstreamTimeoutMs` (connecting, or before its greeting): the client got 421, FIN. */
  readonly upstreamTimeout?: SilentAt;
  /** FTP: the data connections this control session had through the proxy. */
  readonly data?: DataInfo;
  readonly transcript: readonly string[];
}

export interface ProxyHandle {
  readonly host: string;
  readonly port: number;
  /** `host:port`, for building client URLs. */
  readonly address: string;
  /** The connections kept (every open one, the newest `keep` finished ones), in accept order. */
  sessions(): readonly SessionInfo[];
  /** The finished sessions no longer kept (see `keep`), as counts. */
  dropped(): DroppedSessions;
  /** For each configured fault, in order: did it fire at least once. */
  fired(): readonly boolean[];
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
  upstream?: Socket;
  session?: Session;
  ftp?: FtpData;
  /** Turned away before any relay: what the client was shown. */
  rejected?: { readonly lastReply?: number; readonly clientSaw: 'rst' | 'fin' };
  /** The upstream stayed silent past the bound: where it was. */
  upstreamTimeout?: SilentAt;
  /** Cancels the bound on a silent upstream (its timer), once the upstream spoke or the entry ends. */
  unbound?: () => void;
}

/** Starts a fault proxy in front of `upstream`. */
export async function startProxy(options: ProxyOptions): Promise<ProxyHandle> {
  const faults = options.faults ?? [];
  const epoch = performance.now();
  const fired = faults.map(() => false);
  const entries = new Retention<Entry>(options.keep ?? Number.POSITIVE_INFINITY, (e) => e.session?.faultFired ?? false);
  let accepted = 0;
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? UPSTREAM_TIMEOUT_MS;
  const queued: Entry[] = [];
  let open = 0;
  let refusing: 'refuse' | 'reset' | null = null;
  let closing = false;
  let stopped: Promise<void> | undefined;
  const timers = new Set<NodeJS.Timeout>();
  const idleWaiters: (() => void)[] = [];
  const server: Server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });

  const forConnection = (index: number) => faults.filter((f) => f.connection === undefined || f.connection === index);
  const markFired = (fault: Fault): boolean => {
    const i = faults.indexOf(fault);
    // A listener fault acts on the one listener: once, whichever connection triggers it.
    if (scopeOf(fault) === 'listener' && fired[i]) return false;
    fired[i] = true;
    return true;
  };

  const listener: Listener = {
    dropAll(how) {
      // A restarting server loses its data connections with its sessions.
      for (const entry of entries.entries()) {
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
        if (mode === 'refuse' && !closing) server.listen({ port, host, backlog: listenBacklog() }, () => void atListen().catch(() => undefined));
      }, ms);
      timers.add(timer);
    },
  };

  /** What listener faults did to the listening socket, logged in every transcript. */
  let listenerNotes: string[] = [];
  /** Lets listener faults act on the listening socket, each time it listens (again, after a refuse). */
  const atListen = async (): Promise<void> => {
    const notes: string[] = [];
    for (const [i, fault] of faults.entries()) {
      const onListen = descriptorOf(fault.kind).onListen;
      if (onListen === undefined) continue;
      notes.push(await onListen(fault, listeningFd(server)));
      fired[i] = true;
    }
    listenerNotes = notes;
  };

  const settle = (): void => {
    open--;
    const next = queued.shift();
    if (next) relay(next);
    if (open === 0 && queued.length === 0) for (const wake of idleWaiters.splice(0)) wake();
  };

  /** Ends a transcript with the `closing` lines; the session is finished (see Retention). */
  const ended = (entry: Entry, endings: readonly string[], upstreamPort?: number): void => {
    const timedOut = entry.upstreamTimeout ? [`upstream ${entry.upstreamTimeout} timed out`] : [];
    const end = { durationMs: performance.now() - entry.since, endings: [...timedOut, ...endings], upstreamPort };
    for (const line of options.closing?.(info(entry), end) ?? []) entry.transcript.add('==', line);
    entries.finished(entry.index);
  };

  /** The upstream stayed silent past the bound: the client gets a 421 in the server's place, then a FIN. */
  const silent = (entry: Entry, at: SilentAt): void => {
    const reply = silentUpstreamReply(options.protocol ?? 'smtp', at, upstreamTimeoutMs);
    entry.upstreamTimeout = at;
    entry.transcript.add('!!', `upstream ${at} timed out after ${upstreamTimeoutMs} ms: 421 to client, then FIN`);
    entry.upstream?.destroy();
    if (entry.session) {
      entry.session.inject('client', reply);
      return void entry.session.close('client', 'discard');
    }
    entry.rejected = { lastReply: 421, clientSaw: 'fin' };
    entry.client.resume();
    entry.client.end(reply);
    // Open until the client has gone, as a relayed session is: its transcript is ended by then.
    void closed(entry.client).then(settle);
  };

  const relay = (entry: Entry): void => {
    open++;
    const upstream = net.connect({ ...options.upstream, ...onwardSource(entry.client, options.upstream.host), allowHalfOpen: true, noDelay: true });
    entry.upstream = upstream;
    entry.unbound = boundUpstream(upstream, upstreamTimeoutMs, (at) => silent(entry, at));
    upstream.once('error', (error: NodeJS.ErrnoException) => {
      if (entry.session) return;
      entry.unbound?.();
      entry.transcript.add('--', `upstream unreachable (${error.code}): RST to client`);
      entry.rejected = { clientSaw: 'rst' };
      resetSocket(entry.client);
      settle();
    });
    upstream.once('connect', () => {
      const hooks = { fire: markFired, listenerFault: (f: Fault) => descriptorOf(f.kind).onTrigger?.(f, listener) };
      const mine = forConnection(entry.index).filter(armedOnConnection);
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
              fire: markFired,
              control,
            })
          : { tracker: new SmtpTracker(), view: new SmtpPhase() };
      const faults = ftp ? mine.filter((f) => !onDataSide(f)) : mine;
      const session = new Session({ index: entry.index, client: entry.client, server: upstream, faults, hooks, transcript: entry.transcript, dialect });
      entry.session = session;
      if (session.dialect instanceof FtpData) entry.ftp = session.dialect;
      const upstreamPort = upstream.localPort;
      void session.done
        .then(() => {
          entry.unbound?.();
          entry.ftp?.stopListening();
          return entry.ftp?.settled();
        })
        .then(() => {
          const body = session.bodyAfterFault();
          if (body) entry.transcript.add('!!', body);
          ended(entry, session.endings, upstreamPort);
        })
        .then(settle);
      session.start();
    });
  };

  server.on('connection', (client: Socket) => {
    const index = ++accepted;
    const entry: Entry = { index, transcript: new Transcript(epoch, index, options.onLine), client, since: performance.now() };
    entries.add(index, entry);
    client.on('error', () => undefined);
    // A connection turned away, or given up while queued, ends here; a relayed one when its session does.
    client.once('close', () => {
      if (entry.session || (entry.upstream && !entry.rejected)) return;
      ended(entry, entry.rejected ? [`${entry.rejected.clientSaw.toUpperCase()} to client`] : ['client left while queued']);
    });
    entry.transcript.add('--', `client connected from ${client.remoteAddress ?? 'an unknown address'}`);
    for (const note of listenerNotes) entry.transcript.add('--', note);
    if (refusing === 'reset') {
      entry.transcript.add('!!', 'restarting: RST to client');
      entry.rejected = { clientSaw: 'rst' };
      return void resetSocket(client);
    }
    const limit = forConnection(index).find((f) => descriptorOf(f.kind).admit !== undefined);
    const admission = (limit && descriptorOf(limit.kind).admit?.(limit, open)) ?? 'admit';
    if (limit && admission !== 'admit') fired[faults.indexOf(limit)] = true;
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
    server.listen({ port: options.port ?? 0, host, backlog: listenBacklog() }, () => resolve());
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
    sessions: () => Array.from(entries.entries(), info),
    dropped: () => entries.dropped,
    fired: () => [...fired],
    idle: () => (open === 0 && queued.length === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve))),
    close() {
      stopped ??= shutdown();
      return stopped;
    },
  };

  async function shutdown(): Promise<void> {
    closing = true;
    for (const timer of timers) clearTimeout(timer);
    server.close();
    const kept = [...entries.entries()];
    for (const entry of kept) {
      entry.ftp?.close();
      if (entry.session) entry.session.abort('close');
      else destroy(entry);
    }
    // A server that never closes its side must not hold us: give it a moment, then cut.
    const ended = Promise.all(kept.map((e) => e.session?.done));
    await bounded(ended, CLOSE_GRACE_MS);
    kept.forEach(destroy);
    await ended;
  }
}

/** The listening socket's file descriptor. Node exposes no API for it; `_handle.fd` is its TCPWrap's. */
function listeningFd(server: Server): number {
  const fd = (server as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('the listening socket has no file descriptor on this platform');
  return fd;
}

function destroy(entry: Entry): void {
  entry.unbound?.();
  entry.client.destroy();
  entry.upstream?.destroy();
}

/** What the proxy knows of one connection. */
function info(e: Entry): SessionInfo {
  return {
    index: e.index,
    // Turned away with a reply in place of the greeting (the proxy's 421 included): the client saw a greeting, of sorts.
    phase: e.upstreamTimeout ? 'greeting' : (e.session?.view.phase ?? (e.rejected?.lastReply === undefined ? 'connect' : 'greeting')),
    bodyBytes: e.session?.relayedBody ?? 0,
    faultFired: e.session?.faultFired ?? false,
    steps: [...(e.session?.steps ?? [])],
    accepted: e.session?.view.accepted ?? 0,
    violations: e.session?.view.violations ?? [],
    transactions: e.session?.view.transactions ?? 0,
    lastReply: e.session?.view.lastCode ?? e.rejected?.lastReply,
    clientSaw: e.session?.clientSaw ?? e.rejected?.clientSaw ?? null,
    ...(e.upstreamTimeout ? { upstreamTimeout: e.upstreamTimeout } : {}),
    ...(e.ftp ? { data: e.ftp.info } : {}),
    transcript: e.transcript.lines,
  };
}
