/**
 * One PROT P data connection's TLS handshake in the mock FTP server (RFC 4217 §7: the FTP client is the
 * TLS client whichever side connected), and a gate that keeps the transfer from hearing of the
 * connection until the handshake has an outcome.
 *
 * Why a gate: Node emits `end` on a server TLSSocket whose peer sends a FIN before any handshake (no
 * `error`), even while paused (net's EOF handling reads once), and emits it before `close`. ftp-srv's
 * STOR takes that `end` as the end of a good upload and answers 226 with an empty file, before any
 * refusal can be given. So until the handshake is over, `end`, `error` and `data` reach no listener:
 * `end` or `error` decide the handshake failed (DATA_TLS_FAILED); `secure` decides it succeeded, or
 * REUSE_REQUIRED when the session must be resumed and was not. After a refusal the transfer hears only
 * the error `abort` gives it; after a success the gate is gone (and what it held is replayed).
 */
import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';

/** A reply the transfer gets instead of its data connection (RFC 959 §4.2 shape). */
export interface Refusal {
  readonly code: number;
  readonly text: string;
}

/** vsftpd's reply when a data connection does not resume the control connection's session (require_ssl_reuse). */
export const REUSE_REQUIRED: Refusal = { code: 522, text: 'SSL connection failed: session reuse required' };
/** A data connection whose TLS handshake failed (no TLS, bad record, closed): RFC 959 §4.2's 425. */
export const DATA_TLS_FAILED: Refusal = { code: 425, text: 'Cannot open data connection: TLS handshake failed' };

/**
 * A data connection under PROT P: its TLS server socket, handshake under way, and how the handshake
 * ends: undefined (the transfer may use it) or the refusal its transfer gets.
 */
export interface Securing {
  readonly socket: TLSSocket;
  readonly outcome: Promise<Refusal | undefined>;
  /** After a refusal: destroys the socket and hands `error` to its listeners, the only `error`, `end` or `data` they get from it. */
  abort(error: Error): void;
}

/** The events a transfer acts on; held back (or dropped) by the gate. */
const GATED: ReadonlySet<string | symbol> = new Set(['end', 'error', 'data']);

/**
 * Makes `socket` a TLS server socket sharing `context` (its session tickets) and gates it until its
 * handshake's outcome; with `requireReuse` the handshake must resume the control connection's session.
 * The socket is left open on a refusal, for the caller to `abort` once the transfer's 150 is sent.
 */
export function secureData(socket: Socket, context: SecureContext, requireReuse: boolean): Securing {
  const secure = new TLSSocket(socket, { isServer: true, secureContext: context });
  const emit = secure.emit;
  const pass = (event: string | symbol, args: unknown[]): boolean => Reflect.apply(emit, secure, [event, ...args]) as boolean;
  let state: 'pending' | 'open' | 'refused' = 'pending';
  let aborting: Error | undefined;
  const held: Array<readonly [string | symbol, unknown[]]> = [];
  let settle: (refusal: Refusal | undefined) => void = () => undefined;
  const outcome = new Promise<Refusal | undefined>((resolve) => (settle = resolve));
  const decide = (refusal: Refusal | undefined): void => {
    if (state !== 'pending') return;
    state = refusal ? 'refused' : 'open';
    if (!refusal) {
      secure.emit = emit;
      for (const [event, args] of held.splice(0)) pass(event, args);
    }
    held.length = 0;
    settle(refusal);
  };
  secure.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
    if (event === 'secure') decide(requireReuse && !secure.isSessionReused() ? REUSE_REQUIRED : undefined);
    else if (event === 'close') decide(DATA_TLS_FAILED);
    else if (GATED.has(event)) {
      if (state === 'refused') return event === 'error' && args[0] === aborting ? pass(event, args) : false;
      if (event === 'data') held.push([event, args]);
      else decide(DATA_TLS_FAILED);
      return false;
    }
    return pass(event, args);
  }) as TLSSocket['emit'];
  const abort = (error: Error): void => {
    aborting = error;
    // A handshake that failed has closed the socket already: the transfer must still hear of it.
    if (secure.destroyed) secure.emit('error', error);
    else secure.destroy(error);
  };
  return { socket: secure, outcome, abort };
}
