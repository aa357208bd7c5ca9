/**
 * What every fault shares: the trigger (`at`), the side and the connection it acts on. Each kind adds
 * its own fields in its own file (src/faults/<kind>.ts); src/faults/types.ts gathers the names.
 *
 * A fault is `{ kind, at, ... }`: what happens, and the deterministic point of the conversation where it
 * happens. Points are protocol steps as the proxy sees them, so the same fault works in front of a mock
 * server and in front of Postfix.
 */

/**
 * A protocol step: `greeting`, an upper-case command verb (`EHLO`, `MAIL`, `RCPT`, `DATA`, `QUIT`, ...),
 * `dot` (the end-of-data `CRLF.CRLF`, RFC 5321 §4.1.1.4), or `BDAT LAST` (the last chunk, RFC 3030 §2:
 * its reply answers the message; `BDAT` stands for every chunk, the last one too).
 */
export type Step = string;

/**
 * The client step `before handshake`: the client's first TLS octet (its ClientHello, RFC 8446 §4.1.2)
 * reached a proxy that terminates TLS (after the 220 to STARTTLS, or the first octet in implicit mode);
 * the proxy has not answered it. The fault acts on the TCP sockets: TLS never starts.
 */
export const HANDSHAKE = 'handshake';

/** Where a fault fires. */
export type At =
  /** As soon as the client connects, before anything is relayed (no greeting). */
  | 'connect'
  /**
   * Once the server's final reply to `after` has been relayed to the client (`after: 'greeting'`: the
   * greeting was delivered). With `after: 'DATA'` and `bytes`: once `bytes` octets of the message body
   * have been relayed to the server (the 354 went through, the dot has not). With `after: 'BDAT'` and
   * `bytes`: once `bytes` octets of chunk data, counted across the transaction's chunks, have been.
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
