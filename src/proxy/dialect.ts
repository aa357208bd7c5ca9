/** What the control session (./session.ts) needs from the protocol it relays: SMTP, or FTP (./ftp-data.ts). */
import type { Direction, Mark, Tracker, View } from '../protocol/conversation.js';
import type { ArmingChange } from './armory.js';

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
  /** Takes the faults of a matching transaction that act on its side (FTP: the data side); returns the rest. */
  armMatched?(change: ArmingChange): ArmingChange;
}
