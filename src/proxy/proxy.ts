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
import { SmtpPhase, SmtpTracker, asksTls, grantsTls } from '../protocol/smtp.js';
import type { Mark } from '../protocol/conversation.js';
import { bounded } from '../util/bounded.js';
import { Armory, Transactions } from './armory.js';
import { captureTime, notesTo, watchClient, watchingData, watchServer } from './capture.js';
import { FtpData, onDataSide } from './ftp-data.js';
import type { Dialect } from './dialect.js';
import { listenBacklog } from '../util/backlog.js';
import { Retention } from './retention.js';
import { Session, type SessionTls } from './session.js';
import { clientContext, secureLegs, type TlsMode } from './tls-legs.js';
import { FtpsSession } from './ftps.js';
import { closed, connectOnward, listeningFd, resetSocket } from './sockets.js';
import { Transcript } from './transcript.js';
import { boundUpstream, silentUpstreamReply, type SilentAt } from './upstream-bound.js';
export { UPSTREAM_TIMEOUT_MS } from './proxy-types.js';
export type { ProxyHandle, ProxyOptions, SessionEnd, SessionInfo, SessionTlsInfo } from './proxy-types.js';
import { UPSTREAM_TIMEOUT_MS, type ProxyHandle, type ProxyOptions, type SessionInfo } from './proxy-types.js';
import { unmapped } from '../util/address.js';
import { Fifo } from '../util/fifo.js';

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
  /** The local port of `upstream` once it connected: the client port the server saw. */
  upstreamPort?: number;
  session?: Session;
  ftp?: FtpData;
  /** Turned away before any relay: what the client was shown. */
  rejected?: { readonly lastReply?: number; readonly clientSaw: 'rst' | 'fin' };
  /** The upstream stayed silent past the bound: where it was. */
  upstreamTimeout?: SilentAt;
  /** Cancels the bound on a silent upstream (its timer), once the upstream spoke or the entry ends. */
  unbound?: () => void;
}

/**
 * What is kept of a connection once it ended: its record, built once, and the port it tied to the server
 * by. Not its sockets, Session or data links: a finished session kept with them cost about 10 KB (the
 * library keeps every session by default).
 */
interface Finished {
  readonly index: number;
  readonly summary: SessionInfo;
  readonly upstreamPort?: number;
}

type Kept = Entry | Finished;

const isOpen = (kept: Kept): kept is Entry => !('summary' in kept);

/** Starts a fault proxy in front of `upstream`. */
export async function startProxy(options: ProxyOptions): Promise<ProxyHandle> {
  const faults = options.faults ?? [];
  const epoch = performance.now();
  const armory = new Armory(faults);
  const fired = new Set<Fault>();
  /** Kept sessions by the local port of their connection to the server, the newest for a port reused. */
  const byUpstreamPort = new Map<number, number>();
  const forget = (e: Kept): void => {
    if (e.upstreamPort !== undefined && byUpstreamPort.get(e.upstreamPort) === e.index) byUpstreamPort.delete(e.upstreamPort);
  };
  const faultFired = (e: Kept): boolean => (isOpen(e) ? (e.session?.faultFired ?? false) : e.summary.faultFired);
  const entries = new Retention<Kept>(options.keep ?? Number.POSITIVE_INFINITY, faultFired, forget);
  let accepted = 0;
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? UPSTREAM_TIMEOUT_MS;
  /** Connections over a session limit that queues them, oldest first. */
  const queued = new Fifo<Entry>();
  let open = 0;
  let refusing: 'refuse' | 'reset' | null = null;
  let closing = false;
  let stopped: Promise<void> | undefined;
  const timers = new Set<NodeJS.Timeout>();
  const idleWaiters: (() => void)[] = [];
  const server: Server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
  const tlsMode: TlsMode | undefined = options.tls ? (options.tls.mode ?? 'starttls') : undefined;
  const terminates = tlsMode !== undefined && tlsMode !== 'passthrough';
  // SMTP: one context for every session (the certificate is parsed once). FTP: one per control session
  // (./ftps.ts), so a data connection can resume only its own control connection's TLS session.
  const context = terminates && options.tls && options.protocol !== 'ftp' ? clientContext(options.tls) : undefined;
  const sessionTls: SessionTls | undefined =
    context && options.tls && tlsMode !== 'passthrough'
      ? {
          mode: tlsMode === 'implicit' ? 'implicit' : 'starttls',
          secure: (client, upstream, secured) => secureLegs(client, upstream, options.tls!, context, secured),
        }
      : undefined;

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
      for (const entry of entries.entries()) {
        if (!isOpen(entry)) continue;
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
    if (open === 0 && queued.size === 0) for (const wake of idleWaiters.splice(0)) wake();
  };

  /** Ends a transcript with the `closing` lines; the session is finished (see Retention). */
  const ended = (entry: Entry, endings: readonly string[]): void => {
    const timedOut = entry.upstreamTimeout ? [`upstream ${entry.upstreamTimeout} timed out`] : [];
    const end = { durationMs: performance.now() - entry.since, endings: [...timedOut, ...endings], upstreamPort: entry.upstreamPort };
    const summary = info(entry, tlsMode);
    for (const line of options.closing?.(summary, end) ?? []) entry.transcript.add('==', line);
    // Kept with the closing lines the transcript has now; the rest of the summary is what they were made from.
    entries.finished(entry.index, { index: entry.index, summary: { ...summary, transcript: entry.transcript.lines }, upstreamPort: entry.upstreamPort });
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
    const upstream = options.connectUpstream?.(entry.client) ?? connectOnward(entry.client, options.upstream);
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
      const hooks = { fire: fireOn(entry), listenerFault: (f: Fault) => descriptorOf(f.kind).onTrigger?.(f, listener) };
      const mine = entry.faults.filter(armedOnConnection);
      const ftp = options.protocol === 'ftp';
      const ftps = ftp && terminates && options.tls ? new FtpsSession(options.tls) : undefined;
      const tls: SessionTls | undefined = ftps
        ? { mode: tlsMode === 'implicit' ? 'implicit' : 'starttls', secure: (c, s, secured) => ftps.secure(c, s, secured) }
        : sessionTls;
      const dialect = (control: Link): Dialect =>
        ftp
          ? new FtpData({
              listenerFault: hooks.listenerFault,
              host: passiveHost(entry.client, host),
              serverFacingHost: upstream.localAddress ?? host,
              upstreamHost: options.upstream.host,
              upstreamIpv6: upstream.remoteFamily === 'IPv6',
              transcript: entry.transcript,
              faults: mine.filter(onDataSide),
              fire: hooks.fire,
              control,
              ...watchingData(options.capture, entry.index),
              ...(ftps ? { tls: { session: ftps, implicit: tlsMode === 'implicit' } } : {}),
            })
          : smtpDialect(tlsMode === 'starttls');
      const faults = ftp ? mine.filter((f) => !onDataSide(f)) : mine;
      const { index, transcript, transactions } = entry;
      if (tlsMode) transcript.add('--', TLS_NOTES[tlsMode]);
      upstream.on('error', () => undefined);
      // Before the session: with implicit TLS its constructor already sends the ClientHello upstream.
      if (options.capture) watchServer(options.capture, index, upstream);
      const session = new Session({ index, client: entry.client, server: upstream, faults, hooks, transcript, dialect, transactions, tls });
      entry.session = session;
      if (session.dialect instanceof FtpData) entry.ftp = session.dialect;
      entry.upstreamPort = upstream.localPort;
      if (entry.upstreamPort !== undefined) byUpstreamPort.set(entry.upstreamPort, index);
      void session.done
        .then(() => {
          entry.unbound?.();
          entry.ftp?.stopListening();
          return entry.ftp?.settled();
        })
        .then(() => {
          entry.open = false;
          const body = session.bodyAfterFault();
          if (body) entry.transcript.add('!!', body);
          ended(entry, session.endings);
          options.capture?.({ kind: 'done', session: index, time: captureTime() });
        })
        .then(settle);
      session.start();
    });
  };

  server.on('connection', (client: Socket) => {
    const index = ++accepted;
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
    entries.add(index, entry);
    // From accept, so a connection turned away or queued has its capture too (its close is seen first).
    if (options.capture) watchClient(options.capture, index, client);
    client.on('error', () => undefined);
    // A connection turned away, or given up while queued, ends here; a relayed one when its session does.
    client.once('close', () => {
      if (entry.session || (entry.upstream && !entry.rejected)) return;
      entry.open = false;
      ended(entry, entry.rejected ? [`${entry.rejected.clientSaw.toUpperCase()} to client`] : ['client left while queued']);
      options.capture?.({ kind: 'done', session: index, time: captureTime() });
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
    client.once('close', () => queued.remove(entry));
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
    sessions: () => Array.from(entries.entries(), (e) => (isOpen(e) ? info(e, tlsMode) : e.summary)),
    sessionFrom: (upstreamPort) => byUpstreamPort.get(upstreamPort),
    dropped: () => entries.dropped,
    fired: () => faults.map((f) => fired.has(f)),
    arm: (fault, arming) => armory.arm(fault, arming),
    plan: (entries, match) => armory.plan(entries, match),
    disarm: () => armory.disarm(),
    idle: () => (open === 0 && queued.size === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve))),
    close() {
      stopped ??= shutdown();
      return stopped;
    },
  };

  async function shutdown(): Promise<void> {
    closing = true;
    for (const timer of timers) clearTimeout(timer);
    server.close();
    const kept = [...entries.entries()].filter(isOpen);
    // A client never relayed is cut below; its capture ends at its 'close' event, which comes a turn
    // after destroy() (socket.closed is true at once), so the wait starts before.
    const unrelayed = kept.filter((e) => !e.session).map((e) => closed(e.client));
    for (const entry of kept) {
      entry.ftp?.close();
      if (entry.session) entry.session.abort('close');
      else destroy(entry);
    }
    // A server that never closes its side must not hold us: give it a moment, then cut.
    const ended = Promise.all([...kept.map((e) => e.session?.done), ...unrelayed]);
    await bounded(ended, CLOSE_GRACE_MS);
    kept.forEach(destroy);
    await ended;
  }
}

/**
 * Where passive listeners go: where the client reached the proxy (with --host 0.0.0.0, not 0.0.0.0
 * itself). Asked of FTP sessions only: it costs a system call per connection.
 */
function passiveHost(client: Socket, host: string): string {
  const reached = unmapped(client.localAddress);
  return reached && net.isIPv4(reached) ? reached : host;
}

function destroy(entry: Entry): void {
  entry.unbound?.();
  entry.client.destroy();
  entry.upstream?.destroy();
}

/** What the transcript says of the proxy's TLS mode, first. */
const TLS_NOTES: Record<TlsMode, string> = {
  starttls: 'TLS terminated by the proxy where the client asks for it (STARTTLS, AUTH TLS): faults act on the plaintext inside it',
  implicit: 'TLS terminated by the proxy from the first octet (implicit TLS): faults act on the plaintext inside it',
  passthrough: 'TLS passed through: after STARTTLS the bytes are relayed untouched, faults only count them',
};

/** SMTP as the session tracks it; `terminatesTls`: the proxy secures both legs at the 220 to STARTTLS. */
function smtpDialect(terminatesTls: boolean): Dialect {
  const tracker = new SmtpTracker({ terminatesTls });
  const tls = {
    asks: (m: Mark) => m.kind === 'command' && asksTls(m),
    answers: (m: Mark) => m.kind === 'reply' && m.to === 'STARTTLS',
    grants: (m: Mark) => m.kind === 'reply' && grantsTls(m),
    restart: () => tracker.restart(),
  };
  return { tracker, view: new SmtpPhase(), ...(terminatesTls ? { tls } : {}) };
}

/** SessionInfo's unread times, when the server ever left the client's octets unread. */
function unreadOf(session: Session | undefined): { unreadMs?: number; unreadLongestMs?: number } {
  const unread = session?.unread;
  return unread && unread.all > 0 ? { unreadMs: unread.all, unreadLongestMs: unread.longest } : {};
}

/** What the proxy knows of one connection. */
function info(e: Entry, mode?: TlsMode): SessionInfo {
  return {
    index: e.index,
    // Turned away with a reply in place of the greeting (the proxy's 421 included): the client saw a greeting, of sorts.
    phase: e.upstreamTimeout ? 'greeting' : (e.session?.view.phase ?? (e.rejected?.lastReply === undefined ? 'connect' : 'greeting')),
    bodyBytes: e.session?.relayedBody ?? 0,
    faultFired: e.session?.faultFired ?? false,
    steps: [...(e.session?.steps ?? [])],
    clearSteps: [...(e.session?.clearSteps ?? [])],
    accepted: e.session?.view.accepted ?? 0,
    violations: e.session?.view.violations ?? [],
    transactions: e.session?.view.transactions ?? 0,
    lastReply: e.session?.view.lastCode ?? e.rejected?.lastReply,
    ...(e.session?.view.failures ? { replyPhases: e.session.view.failures } : {}),
    ...(e.session?.view.movedOn ? { movedOn: true as const } : {}),
    clientSaw: e.session?.clientSaw ?? e.rejected?.clientSaw ?? null,
    ...(e.session?.clientLeftOnTurn ? { leftOnTurn: true as const } : {}),
    endings: e.session ? [...e.session.endings] : e.rejected ? [`${e.rejected.clientSaw.toUpperCase()} to client`] : [],
    open: e.open,
    faultsFired: [...e.fired],
    ...(e.upstream?.localPort === undefined ? {} : { upstreamPort: e.upstream.localPort }),
    ...(e.upstreamTimeout ? { upstreamTimeout: e.upstreamTimeout } : {}),
    ...(e.session?.firstFromServer === undefined ? {} : { greetedAfterMs: e.session.firstFromServer - e.since }),
    ...(e.session?.waiting ? { waiting: e.session.waiting } : {}),
    ...unreadOf(e.session),
    ...(e.session?.dotBacklog === undefined ? {} : { dotBacklog: e.session.dotBacklog }),
    ...(e.ftp ? { data: e.ftp.info } : {}),
    ...(mode ? { tls: { mode, ...e.session?.secured } } : {}),
    transcript: e.transcript.lines,
  };
}
