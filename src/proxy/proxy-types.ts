/**
 * The fault proxy's shapes: its options, its handle, and what it knows of each session (./proxy.ts).
 */
import type { Socket } from 'node:net';
import type { Fault } from '../faults/types.js';
import type { Capture } from './capture.js';
import type { Match, PlanEntry } from './armory.js';
import type { DataInfo } from './ftp-data.js';
import type { Waiting } from './reply-wait.js';
import type { DroppedSessions } from './retention.js';
import type { ProxyTls, TlsMode } from './tls-legs.js';
import type { SilentAt } from './upstream-bound.js';

export interface ProxyOptions {
  /** The server to relay to. Required. */
  readonly upstream: { readonly host: string; readonly port: number };
  /**
   * How a session reaches the upstream: a socket that says 'connect', or 'error' if it cannot, as a
   * connecting net.Socket does. Default a TCP connection to `upstream`, from the client's loopback address
   * (./sockets.ts connectOnward). `serve smtp` links its proxy to its mock in-process (src/util/socket-pair.ts).
   */
  readonly connectUpstream?: (client: Socket) => Socket;
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
  /**
   * TLS termination (./tls-legs.ts): at SMTP's STARTTLS or FTP's AUTH TLS (`mode: 'starttls'`, the
   * default once set) or from the first octet (`implicit`), with the certificate `identity`; FTP's
   * protected data connections too (./ftps.ts). `passthrough` relays it untouched, as with no `tls` at
   * all. Default none.
   */
  readonly tls?: ProxyTls;
  /** Told every octet, FIN and RST of each connection (of one turned away: its client leg), and the `!!` lines (src/pcap); default none. */
  readonly capture?: Capture;
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
  /** Steps the client sent: command verbs and `dot`; every one SMTP or FTP defines, and the first 32 others (src/protocol/conversation.ts Steps). */
  readonly steps: readonly string[];
  /** Of those, the ones sent in clear: before TLS, or with no TLS at all (a MAIL after STARTTLS was stripped). */
  readonly clearSteps?: readonly string[];
  /** Messages the client was told were accepted (2xx to the end of data) in this session. */
  readonly accepted: number;
  /** The code of the last reply the client was shown (the proxy's own 421 included). */
  readonly lastReply?: number;
  /** SMTP: each failure code the client was shown, with the phase of the step its last such reply answered. */
  readonly replyPhases?: Readonly<Record<number, string>>;
  /** The client went on past lastReply, a failure (View.movedOn): it did not stop on it. */
  readonly movedOn?: true;
  /** Transactions the client began here (MAIL commands). */
  readonly transactions: number;
  /** How the client broke framing rules (bare LF, RFC 2920 pipelining), in words. */
  readonly violations: readonly string[];
  /** How the client's connection was ended toward it: RST or FIN; null while open. */
  readonly clientSaw: 'rst' | 'fin' | null;
  /**
   * The client ended its connection first (its FIN or RST), on its turn: it had been shown the final
   * reply to everything it asked, nothing had been cut toward it, and the proxy held nothing back either
   * way. It left on its own (gave up, or rejected what it was shown); it was waiting on no one. After
   * the final reply to its QUIT, also when the server's FIN (passed on to it) came first.
   */
  readonly leftOnTurn?: true;
  /** Connection events so far, in order: `FIN from client`, `RST to client`... (see SessionEnd). */
  readonly endings?: readonly string[];
  /** false once both of its connections are closed. */
  readonly open?: boolean;
  /** The faults that fired on it (its data connections' included), in firing order. */
  readonly faultsFired?: readonly Fault[];
  /** The proxy's own port toward the server: the client port the server saw; undefined before the relay. */
  readonly upstreamPort?: number;
  /** The upstream was silent past `upstreamTimeoutMs` (connecting, or before its greeting): the client got 421, FIN. */
  readonly upstreamTimeout?: SilentAt;
  /** Ms from the client's connect to the server's first octets (its greeting) reaching the proxy; absent while none came. */
  readonly greetedAfterMs?: number;
  /**
   * What the server left the client waiting for when the connection first closed (or now, while open),
   * and for how long: its greeting, a reply to a step it can answer at once (see ReplyWait), an FTP
   * download's octets, or the final reply to a transfer whose data is complete (DataWait). Absent when
   * nothing was owed then, or before the relay began.
   */
  readonly waiting?: Waiting;
  /**
   * Ms in all the server had left what the client sent unread, until the connection first closed (or
   * now, while open): the time the proxy's writes toward it found its socket full, the client's octets
   * held back (see Outlet.unread). Absent when it never was.
   */
  readonly unreadMs?: number;
  /** The longest single stretch of `unreadMs`. */
  readonly unreadLongestMs?: number;
  /**
   * Octets the proxy still held for the server ahead of the client's last end of data (SMTP's `.`) as
   * that came: a throttle's queue, still to pass at its rate before the server could answer. Absent before a dot.
   */
  readonly dotBacklog?: number;
  /** How TLS was handled (when the proxy was given `tls`): the mode, and per leg what was negotiated. */
  readonly tls?: SessionTlsInfo;
  /** FTP: the data connections this control session had through the proxy. */
  readonly data?: DataInfo;
  readonly transcript: readonly string[];
}

/** How a session's TLS was handled. */
export interface SessionTlsInfo {
  readonly mode: TlsMode;
  /** client<->proxy: `TLSv1.3 TLS_AES_256_GCM_SHA384`; absent when that handshake never completed. */
  readonly client?: string;
  /** proxy<->server, likewise. */
  readonly server?: string;
}

export interface ProxyHandle {
  readonly host: string;
  readonly port: number;
  /** `host:port`, for building client URLs. */
  readonly address: string;
  /** The connections kept (every open one, the newest `keep` finished ones), in accept order. */
  sessions(): readonly SessionInfo[];
  /**
   * The index of the newest kept session whose connection to the server left from `upstreamPort` (the
   * client port the server saw; SessionInfo.upstreamPort): what a server's record of a connection
   * belongs to. Constant time, where a search of `sessions()` builds every kept one.
   */
  sessionFrom(upstreamPort: number): number | undefined;
  /** The finished sessions no longer kept (see `keep`), as counts. */
  dropped(): DroppedSessions;
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
