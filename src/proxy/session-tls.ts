/**
 * Where a session (./session.ts) terminates TLS (./tls-legs.ts): from the first octet (`implicit`), or in
 * band, where the dialect's client asks (STARTTLS, RFC 3207; AUTH TLS, RFC 4217 §4) and the server grants.
 *
 *   client ── STARTTLS ──► relayed; what the client sends after it is dropped, never relayed in clear
 *   server ── 220 ───────► relayed ──► both legs turn TLS, the session relays over the TLS sockets,
 *                                      the tracker starts over (RFC 3207 §4.2)
 *   server ── 454 ───────► relayed; the client goes on in clear text
 *
 * Kept apart from the relaying: the session asks it at each mark walked, and it hands the session the
 * TLS legs to relay over once they exist.
 */
import type { Socket } from 'node:net';
import { HANDSHAKE } from '../faults/base.js';
import type { Fault, Toward } from '../faults/types.js';
import type { Direction, Mark } from '../protocol/conversation.js';
import type { DialectTls } from './dialect.js';
import type { Pending, RelayDirection } from './relay.js';
import { closed } from './sockets.js';
import type { TlsLegs } from './tls-legs.js';
import type { Transcript } from './transcript.js';

/** How a session terminates TLS. */
export interface SessionTls {
  /** `starttls`: when the dialect's client asks and the server grants (see Dialect.tls); `implicit`: at once. */
  readonly mode: 'starttls' | 'implicit';
  /** Starts TLS on both legs over the TCP sockets; `secured` is told each leg's version and cipher once its handshake is done. */
  secure(client: Socket, server: Socket, secured: (leg: Toward, version: string, cipher: string) => void): TlsLegs;
}

/** What a SessionTlsUpgrade reaches of its session. */
export interface SessionTlsHost {
  readonly transcript: Transcript;
  /** The TCP sockets, wrapped by the TLS legs. */
  readonly raw: Readonly<Record<Toward, Socket>>;
  /** The faults still armed on the session. */
  armed(): readonly Fault[];
  /** Fires a fault (the ClientHello caught it). */
  fire(fault: Fault): void;
  /** The dialect's STARTTLS (AUTH TLS), if it has one. */
  dialectTls(): DialectTls | undefined;
  /** A fault holds the session. */
  held(): boolean;
  /** The relays over the TCP sockets no longer hear their sockets. */
  unwire(): void;
  /** The conversation goes on inside TLS: relays over the legs. */
  rewire(legs: TlsLegs): void;
}

/** One session's TLS termination: the legs once they exist, and the clear text dropped before them. */
export class SessionTlsUpgrade {
  readonly #tls: SessionTls | undefined;
  readonly #host: SessionTlsHost;
  #legs: TlsLegs | undefined;
  /** Per leg: the TLS version and cipher once its handshake completed. */
  readonly #secured: Partial<Record<Toward, string>> = {};
  /** The client sent STARTTLS: what it sends until the handshake is never relayed (in clear) to the server. */
  #asked = false;
  #clearDropped = 0;

  /** `tls`: how the session terminates TLS; undefined, never (STARTTLS is relayed untouched). */
  constructor(tls: SessionTls | undefined, host: SessionTlsHost) {
    this.#tls = tls;
    this.#host = host;
  }

  /** The two TLS sockets, once TLS started. */
  get legs(): TlsLegs | undefined {
    return this.#legs;
  }

  /** Per leg, the TLS version and cipher negotiated (`TLSv1.3 TLS_AES_256_GCM_SHA384`); empty before TLS. */
  get secured(): Readonly<Partial<Record<Toward, string>>> {
    return this.#secured;
  }

  /** The client asked for TLS and the server has not answered: what the client sends is dropped (dropClear). */
  get asked(): boolean {
    return this.#asked;
  }

  /** Resolves once both TLS sockets are closed; undefined at once when TLS never started. */
  closed(): Promise<unknown> | undefined {
    return this.#legs && Promise.all([closed(this.#legs.client), closed(this.#legs.server)]);
  }

  /**
   * Starts TLS on both legs, unless faults wait `before handshake`: then the client's first octets
   * (its ClientHello) fire them on the TCP sockets, and TLS never starts.
   */
  secureOrCatch(): TlsLegs | undefined {
    const due = this.#host.armed().filter((f) => f.at !== 'connect' && 'before' in f.at && f.at.before === HANDSHAKE);
    if (due.length === 0) return this.#secure();
    this.#host.raw.client.once('data', (hello: Buffer) => {
      this.#host.transcript.add('C', `[TLS handshake: ${hello.length} octets, not answered]`);
      for (const fault of due) this.#host.fire(fault);
    });
    return undefined;
  }

  /** Drops the rest of a chunk the client sent after STARTTLS: it is never relayed in clear. */
  dropClear(p: Pending): true {
    this.#clearDropped += p.data.length - p.pos;
    p.pos = p.data.length;
    p.next = p.marks.length;
    return true;
  }

  /**
   * Terminating TLS at STARTTLS, at a mark `relay` just walked in `p`: the client's STARTTLS line is
   * relayed and nothing after it; the server's 220 is relayed, then both legs turn TLS. True when
   * relaying in this direction stops here.
   */
  startTls(dir: Direction, p: Pending, mark: Mark, relay: RelayDirection): boolean {
    if (this.#tls?.mode !== 'starttls' || this.#legs !== undefined) return false;
    const tls = this.#host.dialectTls();
    if (!tls) return false;
    if (dir === 'up' && tls.asks(mark)) {
      relay.forward(p.data.subarray(p.pos, mark.end));
      p.pos = mark.end;
      this.#asked = true;
      return this.dropClear(p);
    }
    if (dir !== 'down' || !this.#asked || !tls.answers(mark)) return false;
    if (!tls.grants(mark)) {
      this.#noteClearDropped();
      return false;
    }
    relay.forward(p.data.subarray(p.pos, mark.end));
    p.pos = p.data.length;
    this.#upgrade();
    return true;
  }

  /** Starts TLS on both legs (./tls-legs.ts); each leg's handshake is noted when done. */
  #secure(): TlsLegs {
    const { raw, transcript } = this.#host;
    const legs = this.#tls!.secure(raw.client, raw.server, (leg, version, cipher) => {
      this.#secured[leg] = `${version} ${cipher}`;
      transcript.add('--', `TLS established ${leg === 'client' ? 'client<->proxy' : 'proxy<->server'} (${version}, ${cipher})`);
    });
    this.#legs = legs;
    return legs;
  }

  /**
   * The server's 220 to STARTTLS was relayed: both legs turn TLS, and the conversation starts over in
   * it from a fresh tracker (RFC 3207 §4.2). The relays over the TCP sockets are retired for new ones
   * over the TLS sockets.
   */
  #upgrade(): void {
    this.#noteClearDropped();
    this.#host.unwire();
    const legs = this.secureOrCatch();
    if (!legs) {
      if (!this.#host.held()) this.#host.raw.client.resume();
      return;
    }
    this.#host.dialectTls()?.restart();
    this.#host.rewire(legs);
  }

  #noteClearDropped(): void {
    this.#asked = false;
    if (this.#clearDropped > 0)
      this.#host.transcript.add('!!', `${this.#clearDropped} octets the client sent after STARTTLS, before TLS, were not relayed (RFC 3207 §4.2)`);
    this.#clearDropped = 0;
  }
}
