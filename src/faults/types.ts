/**
 * The fault vocabulary: plain data, serialisable to JSON, shared by the proxy, the suites, the CLI's
 * short syntax (src/faults/parse.ts) and the reports.
 *
 * A fault is `{ kind, at, ... }`: what happens, and the deterministic point of the conversation where it
 * happens. Points are protocol steps as the proxy sees them, so the same fault works in front of a mock
 * server and in front of Postfix.
 */

/**
 * A protocol step: `greeting`, an upper-case command verb (`EHLO`, `MAIL`, `RCPT`, `DATA`, `QUIT`, ...),
 * or `dot` (the end-of-data `CRLF.CRLF`, RFC 5321 §4.1.1.4).
 */
export type Step = string;

/** Where a fault fires. */
export type At =
  /** As soon as the client connects, before anything is relayed (no greeting). */
  | 'connect'
  /**
   * Once the server's final reply to `after` has been relayed to the client (`after: 'greeting'`: the
   * greeting was delivered). With `after: 'DATA'` and `bytes`: once `bytes` octets of the message body
   * have been relayed to the server (the 354 went through, the dot has not).
   */
  | { readonly after: Step; readonly bytes?: number }
  /** The client sent `before`; it is held, not relayed to the server. */
  | { readonly before: Step }
  /** The client's `to` (or `dot`) was relayed to the server; its reply is not relayed yet. */
  | { readonly before: 'reply'; readonly to: Step };

/** Which side of the proxied connection a fault acts on. Default: `client`. */
export type Toward = 'client' | 'server';

/** Fields every fault accepts. */
export interface FaultBase {
  readonly at: At;
  /** Only the Nth connection (1-based) to the proxy; every connection when omitted. */
  readonly connection?: number;
  /** The side that sees the RST, FIN, injected reply or shaped bytes. Default `client`. */
  readonly toward?: Toward;
  /**
   * FTP: the connection it acts on. `control` (default): the command connection. `data`: the next data
   * connection, with `at` either `connect` (as it opens) or `{ after: 'STOR' | 'RETR' | ..., bytes }`
   * (once that many octets of that transfer went through it). `toward` is the FTP client's or server's end.
   * `control` with `{ after: 'STOR', bytes }`: the control connection, once the data connection moved that
   * many octets (a firewall dropping the idle control connection mid-transfer).
   */
  readonly channel?: Channel;
}

/** FTP's two kinds of connection (RFC 959 §2.3). */
export type Channel = 'control' | 'data';

/** RST (`SO_LINGER 0`): the peer sees ECONNRESET, Windows' 10054. The other side gets a FIN. */
export interface ResetFault extends FaultBase {
  readonly kind: 'reset';
}

/**
 * FIN (shutdown for writing). `then: 'discard'` (default) keeps reading and discarding what the peer
 * still writes, a clean half-close; `then: 'abort'` stops reading, so the peer's next write is answered
 * by RST: the EPIPE / 10053 "connection aborted" a client gets when it keeps writing.
 */
export interface CloseFault extends FaultBase {
  readonly kind: 'close';
  readonly then?: 'discard' | 'abort';
}

/** Stop forwarding and stop reading in both directions for good: the peers' writes block, reads wait. */
export interface StallFault extends FaultBase {
  readonly kind: 'stall';
}

/** Hold both directions for `ms`, then relay on, nothing lost. */
export interface DelayFault extends FaultBase {
  readonly kind: 'delay';
  readonly ms: number;
}

/** From the trigger on, relay toward `toward` at most `bytesPerSecond`. */
export interface ThrottleFault extends FaultBase {
  readonly kind: 'throttle';
  /** Above 0. */
  readonly bytesPerSecond: number;
}

/** From the trigger on, relay toward `toward` in writes of at most `size` bytes, `gapMs` apart (default 1). */
export interface SliceFault extends FaultBase {
  readonly kind: 'slice';
  /** Above 0. */
  readonly size: number;
  readonly gapMs?: number;
}

/** From the trigger on, hold what goes toward `toward` and write it as one segment every `ms`. */
export interface CoalesceFault extends FaultBase {
  readonly kind: 'coalesce';
  readonly ms: number;
}

/**
 * From the trigger on, line endings toward `toward` become bare LF (CRLF to LF). RFC 5321 §2.3.8
 * requires CRLF; a robust peer still frames the lines (RFC 5321 §4.1.1.4 on bare LF in DATA aside).
 */
export interface LfFault extends FaultBase {
  readonly kind: 'lf';
}

/**
 * Answer in the server's place. At a `{ before: X }` trigger the command is swallowed and this reply
 * is the answer; elsewhere it is injected. Then `continue` relaying, `close` (FIN) or `reset` (RST).
 */
export interface ReplyFault extends FaultBase {
  readonly kind: 'reply';
  readonly code: number;
  /** Reply text. Default: a short text for the code. */
  readonly text?: string;
  /** Default `close`. */
  readonly then?: 'continue' | 'close' | 'reset';
}

/**
 * A server restart: at the trigger every open session is dropped (`drop`, default `close`), and for
 * `ms` new connections are refused (`mode: 'refuse'`, the port is closed: ECONNREFUSED) or accepted
 * and reset (`mode: 'reset'`).
 */
export interface RefuseFault extends FaultBase {
  readonly kind: 'refuse';
  readonly ms: number;
  readonly mode?: 'refuse' | 'reset';
  readonly drop?: 'close' | 'reset';
}

/**
 * At most `max` concurrent sessions. The rest get `421` then close (`over: 'reply'`, default), a FIN with
 * no reply at all (`close`), an RST
 * (`reset`), or wait without a greeting until a session ends (`queue`: a full listen backlog).
 * Its `at` is always `connect`.
 */
export interface LimitFault extends FaultBase {
  readonly kind: 'limit';
  readonly max: number;
  readonly over?: 'reply' | 'close' | 'reset' | 'queue';
}

/**
 * FTP: where data connections are told to go (the 227/229 reply in passive mode, PORT/EPRT in active
 * mode, RFC 959 §4.1.2, RFC 2428) points nowhere. `wrong-address`: a 227 advertises 127.0.0.2, a loopback
 * address where nothing listens (a server behind NAT advertising its private address); a 229 carries no
 * address, so EPSV is unaffected; PORT/EPRT send the server to 127.0.0.2 (it cannot connect back: 425).
 * `refused`: the advertised port is closed (ECONNREFUSED), in either mode. `blackholed`: the advertised
 * port drops SYNs (a full accept queue, see src/proxy/blackhole.ts): the connect gets no answer at all,
 * as behind a firewall that drops packets; the connecting side waits out its timeout. Fires at the first data
 * address of the connection and holds for the rest of it. Its `at` is always `connect`.
 */
export interface DataPortFault extends FaultBase {
  readonly kind: 'dataport';
  readonly how: 'wrong-address' | 'refused' | 'blackholed';
}

/** Every fault the proxy knows. */
export type Fault =
  | ResetFault
  | CloseFault
  | StallFault
  | DelayFault
  | ThrottleFault
  | SliceFault
  | CoalesceFault
  | LfFault
  | ReplyFault
  | RefuseFault
  | LimitFault
  | DataPortFault;

export type FaultKind = Fault['kind'];
