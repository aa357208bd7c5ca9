/**
 * What one fault kind is, in one value: its syntax (parse and format), where it acts, and its effect.
 * Each kind's file exports one; src/faults/registry.ts lists them; the parser, the formatter, the proxy
 * and the help texts read them, so adding a kind touches its own file, the registry and its tests.
 */
import type { FaultBase } from './base.js';
import type { Cursor } from './cursor.js';
import type { Admission, Link, Listener } from './link.js';

/**
 * Where a kind acts. `connection`: on one proxied connection's life (RST, FIN, hold, a reply);
 * `data`: on the bytes one connection carries (paced, split, merged, rewritten); `listener`: on the
 * proxy's listening socket and the connections it admits; `address`: on the FTP data addresses.
 * `connection` and `data` kinds act through a Link and fire on either FTP channel.
 */
export type Scope = 'listener' | 'connection' | 'data' | 'address';

/** A keyword option only this kind takes, e.g. reply's `then close`; the field has the option's name. */
export interface KindOption {
  readonly word: string;
  readonly choices: readonly string[];
}

/** A fault value of one kind. */
export type KindFault = FaultBase & { readonly kind: string };

export interface FaultDescriptor<F extends KindFault> {
  readonly kind: F['kind'];
  readonly scope: Scope;
  /**
   * `required`: no default trigger; `optional`: defaults to `on connect`; `connect-only`: only `on connect`;
   * `reply-only`: only `before reply to <step>` (the kind rewrites the server's reply it caught);
   * `handshake-only`: only `before handshake`, toward the client, on the control connection (it answers the ClientHello).
   */
  readonly trigger: 'required' | 'optional' | 'connect-only' | 'reply-only' | 'handshake-only';
  /** The kind and its arguments as the help shows them, e.g. `close [discard|abort]`. */
  readonly syntax: string;
  /** What the peer sees, in one line. */
  readonly help: string;
  /** A whole fault in the short syntax that parses. */
  readonly example: string;
  /** Options after the trigger that only this kind takes (formatted in this order). */
  readonly options?: readonly KindOption[];
  /** The optional argument: its field, and how an error right after the arguments offers it. */
  readonly optionalArg?: readonly [field: string, offer: string];
  /** Reads the arguments after the kind's keyword; an optional one not given is left undefined. */
  args(c: Cursor): Record<string, unknown>;
  /** The arguments back in canonical short syntax (largest whole unit, only fields the fault has). */
  format(f: F): readonly string[];
  /** `connection`, `data`: the effect on one connection when the trigger fires. */
  apply?(f: F, link: Link): void;
  /** `listener`: the effect on the listener when a connection's trigger fires (fires once per proxy). */
  onTrigger?(f: F, listener: Listener): void;
  /** `listener`: what a new connection gets, given the sessions already open. */
  admit?(f: F, open: number): Admission;
  /**
   * `listener`: acts on the listening socket's file descriptor once it listens; resolves to the line the
   * proxy logs, rejects with one line when it cannot be done here.
   */
  onListen?(f: F, fd: number): Promise<string>;
}
