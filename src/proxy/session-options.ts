/**
 * What the proxy (./proxy.ts) gives each Session (./session.ts) it starts, and what the session tells
 * it back: its two sockets, its faults, its dialect, how it terminates TLS.
 */
import type { Socket } from 'node:net';
import type { Link } from '../faults/link.js';
import type { Fault } from '../faults/types.js';
import type { Transactions } from './armory.js';
import type { Dialect } from './dialect.js';
import type { SessionTls } from './session-tls.js';
import type { Transcript } from './transcript.js';

/** What the session tells its proxy. */
export interface SessionHooks {
  /** A fault's trigger fired here; return false to veto (a `refuse` that already fired elsewhere). */
  fire(fault: Fault): boolean;
  /** A listener fault (`refuse`) fired in this session. */
  listenerFault(fault: Fault): void;
}

/** What a Session is made of; optional fields say their default. */
export interface SessionOptions<D extends Dialect> {
  /** The session's number in the proxy, from 1. */
  readonly index: number;
  readonly client: Socket;
  /** The connection to the upstream server. */
  readonly server: Socket;
  /** The control connection's faults. */
  readonly faults: readonly Fault[];
  readonly hooks: SessionHooks;
  readonly transcript: Transcript;
  /** Makes the dialect, given the session as the `Link` its own faults (FTP: timed by data octets) act on. */
  readonly dialect: (control: Link) => D;
  /** Faults for matching transactions (./armory.ts); with them every line is held whole; default none. */
  readonly transactions?: Transactions | undefined;
  /** The proxy terminates TLS (./tls-legs.ts), at STARTTLS or from the start; default none (relayed untouched). */
  readonly tls?: SessionTls | undefined;
}
