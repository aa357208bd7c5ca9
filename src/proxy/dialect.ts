/** What the control session (./session.ts) needs from the protocol it relays: SMTP, or FTP (./ftp-data.ts). */
import type { Direction, Mark, Tracker, View } from '../protocol/conversation.js';
import type { ArmingChange } from './armory.js';
import type { Waiting } from './reply-wait.js';

/** The protocol spoken on the connection: how it is tracked, and what the proxy rewrites in it. */
export interface Dialect {
  readonly tracker: Tracker;
  readonly view: View;
  /** Every line waits for its end before it is relayed (so `edit` sees it whole). */
  readonly holdLines?: boolean;
  /**
   * A replacement for a complete line about to be relayed (FTP: data addresses the proxy interposes
   * on), or null to relay it as it is. Relaying in that direction waits for the promise; a promise of
   * null relays the line as it is once it resolves.
   */
  edit?(direction: Direction, mark: Mark): Promise<Buffer | null> | null;
  /** Where TLS starts in the conversation, for a proxy that terminates it at the protocol's STARTTLS; default none. */
  readonly tls?: DialectTls;
  /**
   * What the server leaves the client waiting for beyond the control connection's own replies (FTP: a
   * transfer's data, and its final reply once the data is complete), and for how long at `now`; default none.
   */
  waiting?(now: number): Waiting | undefined;
  /**
   * The client may still be waiting on something beyond the control connection's replies (FTP: a data
   * connection still open or opening, or a passive address it was told and has not connected to yet, a
   * silent one included); default never. A client leaving then did not leave on its turn.
   */
  busy?(): boolean;
  /** The client ended the control connection (a FIN or an RST). */
  clientLeft?(): void;
  /**
   * An RST to the client's control connection waits for the client to read what it was last sent
   * (./session-end.ts): what the client sends meanwhile on its other connections (FTP: an upload on a
   * data connection) waits too, until the returned function is called once the RST has gone. On a
   * network the client would learn of the cut within a round trip; over loopback a fast client sent a
   * whole 32 MiB upload during that wait, which vsftpd (it does not abort a transfer when its control
   * connection ends) stored, and lftp found the file complete when it reconnected, now and then.
   */
  holdClient?(): () => void;
  /** The proxy ended the client's control connection (a fault's RST or FIN, or one passed on from the server): sent now. */
  clientCut?(): void;
  /**
   * While the proxy holds the server's replies for an RST on its way to the client (FTP: on a data
   * connection): resolves once it has gone, and the server's FIN waits for it as well; else undefined.
   */
  clientRsts?(): Promise<void> | undefined;
  /** Takes the faults of a matching transaction that act on its side (FTP: the data side); returns the rest. */
  armMatched?(change: ArmingChange): ArmingChange;
}

/** Where a protocol's in-band TLS upgrade happens (SMTP: STARTTLS, RFC 3207). */
export interface DialectTls {
  /** The client's command asking for TLS: nothing it sends after it is relayed in clear. */
  asks(mark: Mark): boolean;
  /** The server's reply to that command. */
  answers(mark: Mark): boolean;
  /** That reply says yes: the TLS handshake follows it. */
  grants(mark: Mark): boolean;
  /** TLS is up: the tracker starts over from nothing. */
  restart(): void;
}
