/**
 * What a fault may do, as interfaces the proxy implements with sockets and tests implement with
 * recorders. Keeping faults on these seams is what lets each fault be tested without a socket.
 */
import type { Transform } from 'node:stream';
import type { Mark } from '../protocol/conversation.js';
import type { Toward } from './base.js';

/** One proxied connection, at the moment a fault fires. */
export interface Link {
  /**
   * Write bytes to a side, after what was already relayed to it. `says`: the transcript's words for
   * bytes that are no text (a TLS alert record); without it the transcript shows the lines, escaped.
   */
  inject(toward: Toward, data: Buffer, says?: string): void;
  /** RST to a side once what was relayed to it has left; the other side gets a FIN. */
  reset(toward: Toward): void;
  /**
   * FIN to a side once what was relayed to it has left; the other side gets a FIN too. `discard`
   * keeps reading and dropping what the side still sends; `abort` stops reading (its next write
   * is answered by RST). `notify` false: under TLS, no close_notify before the FIN (a truncation,
   * RFC 8446 §6.1); default true.
   */
  close(toward: Toward, then: 'discard' | 'abort', notify?: boolean): void;
  /** Stop relaying and reading in both directions: for `ms`, or for good when omitted. */
  hold(ms?: number): void;
  /**
   * At a `before` trigger: drop the command that triggered instead of relaying it (the fault answers
   * in the server's place). Without this call a held command is relayed when relaying resumes.
   */
  swallow(): void;
  /**
   * From now on, pass what flows to `toward` through a shaper `make` builds (throttle, slice, coalesce,
   * lf, corrupt). The conversation is what is shaped: when TLS starts on the connection (STARTTLS, AUTH
   * TLS) the proxy builds another for the conversation inside it, so the fault goes on acting there.
   */
  shape(toward: Toward, make: () => Transform): void;
  /**
   * While a fault fires at a `before` trigger: the command or server reply it caught (held, not yet
   * relayed), so a fault can answer with a changed copy (strip); undefined elsewhere, and where not kept.
   */
  readonly caught?: Mark | undefined;
}

/** The proxy's listener, for faults that act on connections not yet made. */
export interface Listener {
  /** Drop every open session (`close`: FIN, `reset`: RST to the client). */
  dropAll(how: 'close' | 'reset'): void;
  /** For `ms`, refuse new connections (`refuse`: port closed) or accept and reset them (`reset`). */
  refuseFor(ms: number, mode: 'refuse' | 'reset'): void;
}

/** What a new connection gets from a `listener` fault that admits (limit). */
export type Admission = 'admit' | 'reply' | 'close' | 'reset' | 'queue';
