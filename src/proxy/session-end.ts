/**
 * How a session's two connections end (./session.ts), and the record of it (`endings`).
 *
 *   a peer's FIN or RST ──► noted, passed on to the other side (a FIN, or an RST for an RST)
 *   a fault's RST or FIN, abort ──► end: relaying stops for good (./teardown.ts), `toward` gets its
 *                                   RST or FIN once what was relayed to it has left, the other side a FIN
 *
 * Kept apart from the relaying so that every end the proxy causes goes through one place. It holds no
 * socket of its own: it reaches the session's current relays (over the TLS sockets once TLS is up)
 * through its host.
 */
import type { Socket } from 'node:net';
import type { Toward } from '../faults/types.js';
import type { Direction, View } from '../protocol/conversation.js';
import type { Dialect } from './dialect.js';
import type { RelayDirection } from './relay.js';
import type { ReplyOrder } from './reply-order.js';
import { readProof, resetSocket } from './sockets.js';
import type { ClientSaw, Teardown } from './teardown.js';
import type { Transcript } from './transcript.js';

const towardOf: Record<Direction, Toward> = { up: 'server', down: 'client' };

/** The longest an RST waits for the peer to read what was just written to it. */
const RST_GRACE_MS = 500;
/**
 * The same for a client that was answered everything it asked, so acting next is its turn (its next
 * command, the body, its close): it shows it read the reply by acting, and a client the machine's load
 * keeps off the CPU for a while must still meet the RST at its next step, not at the reply before it.
 */
const CLIENT_TURN_GRACE_MS = 3000;

/**
 * Phases in which a client that leaves may have been waiting on the server though it was answered
 * everything it asked: before its greeting (`connect`: an FTP 120 too), sending a message body (a server
 * that read it slowly leaves no trace once it has caught up), and in a TLS handshake (`tls`: after the 220
 * to STARTTLS or the 234 to AUTH TLS; relayed as it is, the whole session after it is opaque).
 */
const NOT_ITS_TURN = new Set(['connect', 'body', 'tls']);

/** How the proxy ends a side: RST; FIN; FIN then no more reading; under TLS, a FIN without close_notify. */
export type EndHow = 'rst' | 'fin' | 'abort' | 'truncate';

/** What a SessionEnds reaches of its session. */
export interface SessionEndsHost {
  readonly transcript: Transcript;
  /** The connection's one state. */
  readonly state: Teardown;
  readonly order: ReplyOrder;
  /** The TCP sockets, under the TLS ones once TLS is terminated: an RST goes out on them. */
  readonly raw: Readonly<Record<Toward, Socket>>;
  /** The session's relays now (over the TLS sockets once TLS is up). */
  relays(): Record<Direction, RelayDirection>;
  /** TLS is terminated on both legs. */
  secured(): boolean;
  /** Told when the client sends its FIN or RST (after the state). */
  readonly view: View;
  readonly dialect: Dialect;
}

/** The ends of one session's connections: the peers' as they come, and the proxy's own. */
export class SessionEnds {
  readonly #host: SessionEndsHost;
  /** How the connection ended, in order: `FIN from client`, `RST to server`... */
  readonly #endings: string[] = [];
  /** Per side: bytes were written to it since it last sent anything (it may not have read them). */
  readonly #unread: Record<Toward, boolean> = { client: false, server: false };

  constructor(host: SessionEndsHost) {
    this.#host = host;
  }

  /** How each side's connection ended, in the order seen: `FIN from client`, `RST to server`... */
  get endings(): readonly string[] {
    return this.#endings;
  }

  /** Bytes were written to `toward`: until it sends something, it may not have read them (an RST waits). */
  wrote(toward: Toward): void {
    this.#unread[toward] = true;
  }

  /** `from` sent something (so it read what it was written), or its TLS socket is new (nothing written to it yet). */
  heard(from: Toward): void {
    this.#unread[from] = false;
  }

  /**
   * The source of `relay` (the client for `up`) sent its FIN: what is queued still goes, unless the
   * session ended. The server's FIN waits as its replies would for what the dialect holds them behind
   * (FTP: an RST on its way to the client's data connection, see Dialect.clientRsts): a client that
   * meets both acts on the RST, as it would on the reply (curl in active mode over TLS, sending clear
   * text on its data connection: pure-ftpd and vsftpd end the session at once, and curl reported the
   * data connection's RST or the session's end by chance).
   */
  peerEnded(dir: Direction, relay: RelayDirection): void {
    if (dir === 'up') this.#clientLeft();
    this.#ending(`FIN from ${dir === 'up' ? 'client' : 'server'}`);
    this.#afterClientRsts(dir, () => {
      relay.end(!this.#host.state.ended);
      relay.pump();
    });
  }

  /**
   * The source of `dir` failed: an RST is passed on as an RST (while the session is alive), anything
   * else as a FIN; the server's, like its FIN, after what the dialect holds its replies behind (peerEnded).
   */
  peerFailed(dir: Direction, error: NodeJS.ErrnoException): void {
    const name = dir === 'up' ? 'client' : 'server';
    if (dir === 'up') this.#clientLeft();
    this.#ending(error.code === 'ECONNRESET' ? `RST from ${name}` : `${name} socket error ${error.code ?? error.message}`);
    this.#afterClientRsts(dir, () => {
      if (!this.#host.state.ended && error.code === 'ECONNRESET') this.end(towardOf[dir], 'rst');
      else this.finTo(towardOf[dir]);
    });
  }

  /** Runs `passOn` now, or for the server's end (`down`) once the RSTs the dialect holds its replies behind have gone. */
  #afterClientRsts(dir: Direction, passOn: () => void): void {
    const before = dir === 'down' ? this.#host.dialect.clientRsts?.() : undefined;
    if (before) void before.then(passOn);
    else passOn();
  }

  /**
   * The one way the proxy ends the session: relaying stops for good, `toward` gets an RST or a FIN
   * (`abort`: a FIN, then no more reading) once what was relayed to it has left, and the other side a
   * FIN once its own has. An RST waits for the peer to read what it was last sent (see readProof).
   */
  end(toward: Toward, how: EndHow): void {
    const { state, order, raw, transcript } = this.#host;
    const victim = this.#relayTo(toward).outlet.target;
    const what = `${how === 'rst' ? 'RST' : 'FIN'} to ${toward}`;
    const never = `was never sent: ${state.clientLeft ? 'client left' : what}`;
    if (!state.ended) this.noteHeld(never);
    order.drop(never);
    state.end(how === 'rst' && toward === 'client');
    for (const relay of Object.values(this.#host.relays())) relay.drop();
    const flushed = this.#flushed(toward);
    if (how === 'rst') {
      void flushed
        .then(async () => {
          if (!this.#unread[toward]) return undefined;
          // What the client sends on its other connections while the RST waits, waits too (Dialect.holdClient).
          const release = toward === 'client' ? this.#host.dialect.holdClient?.() : undefined;
          await this.#read(toward, victim);
          return release;
        })
        .then((release) =>
          setImmediate(() => {
            state.rstSent();
            this.#ending(what);
            if (toward === 'client') this.#cutClient('rst');
            // Under TLS the RST goes out on the TCP socket: no close_notify, nothing but the RST.
            resetSocket(raw[toward], victim);
            release?.();
          }),
        );
    } else {
      void flushed.then(() => {
        // A truncation ends the TCP socket under the TLS one: a FIN with no close_notify (RFC 8446 §6.1).
        const truncated = how === 'truncate' && this.#host.secured();
        this.#endings.push(what);
        transcript.add('--', `${what}${how === 'abort' ? ', then no more reading' : truncated ? ' without close_notify' : ''}`);
        if (toward === 'client') this.#cutClient('fin');
        // Its TLS socket is never ended (that would be the close_notify): it goes once the peer's end comes.
        if (truncated) for (const event of ['end', 'error']) victim.once(event, () => victim.destroy());
        (truncated ? raw[toward] : victim).end(() => {
          if (how === 'abort') victim.destroy();
        });
      });
    }
    const other: Toward = toward === 'client' ? 'server' : 'client';
    void this.#flushed(other).then(() => this.finTo(other));
  }

  /** Ends as a fault says: now, or behind a reply waiting for the server's (./reply-order.ts); no more is relayed to the server. */
  endInOrder(toward: Toward, how: EndHow): void {
    if (this.#host.order.end(() => this.end(toward, how))) this.#host.relays().up.drop();
  }

  /**
   * Notes every server reply still held in the queue toward the client (a fault held it, and the
   * session ends before it is relayed, or it goes to a client that has left).
   */
  noteHeld(what: string): void {
    for (const mark of this.#host.relays().down.heldReplies()) this.#host.transcript.add('!!', `held ${mark.code} reply to ${mark.to.toLowerCase()} ${what}`);
  }

  /** Sends a FIN to a side (after what was written to it). */
  finTo(toward: Toward): void {
    if (toward === 'client') this.#cutClient('fin');
    const target = this.#relayTo(toward).outlet.target;
    // A socket already gone (the peer's RST) takes no FIN: end() would only build an error for no one.
    if (!target.destroyed) target.end();
  }

  /**
   * Resolves once `toward` has shown it read what it was last written, or its grace ran out (see
   * readProof). A client answered everything it asked shows it by acting next (its next command, the
   * body, its FIN), and the RST then meets it at that step however long its machine kept it off the
   * CPU; one still waiting on replies (pipelined commands), and a server, get RST_GRACE_MS.
   */
  #read(toward: Toward, victim: Socket): Promise<void> {
    const turn = toward === 'client' && this.#host.view.awaiting === 0;
    return readProof(victim, turn ? CLIENT_TURN_GRACE_MS : RST_GRACE_MS);
  }

  /** The proxy's RST or FIN goes to the client now: counted as what it saw, and told the dialect (FTP: its data connections). */
  #cutClient(how: ClientSaw): void {
    this.#host.state.toClient(how);
    this.#host.dialect.clientCut?.();
  }

  #clientLeft(): void {
    this.#host.state.clientGone(this.#clientsTurn());
    this.#host.view.left?.();
    this.#host.dialect.clientLeft?.();
  }

  /**
   * Acting next was the client's, and nothing slowed it: it had its greeting and was shown the final
   * reply to everything it asked (View.awaiting), it was not in a phase where it waits on what the proxy
   * cannot see (NOT_ITS_TURN), nothing else of the session's was under way
   * (Dialect.busy: FTP's data connections), and the proxy held nothing back in either direction (no
   * chunk queued, no shaper's backlog, no write its socket has not taken). A client leaving now was
   * waiting on no one. The start of a line it never finished (lftp's Telnet IP before an ABOR it did not
   * send) waits for its end, not for anyone: it does not count.
   */
  #clientsTurn(): boolean | 'quit' {
    const { view, dialect } = this.#host;
    if (view.awaiting !== 0 || NOT_ITS_TURN.has(view.phase) || dialect.busy?.()) return false;
    const idle = Object.values(this.#host.relays()).every(
      (relay) => relay.queue.length === 0 && relay.outlet.backlog() === 0 && relay.outlet.target.writableLength === 0,
    );
    return idle && (view.phase === 'quit' || view.quitAnswered === true ? 'quit' : true);
  }

  /** A connection event for the transcript and for `endings`. */
  #ending(text: string): void {
    this.#endings.push(text);
    this.#host.transcript.add('--', text);
  }

  /** Resolves once everything relayed to `toward` has left; a shaper in the way is drained and removed. */
  #flushed(toward: Toward): Promise<void> {
    return this.#relayTo(toward).outlet.flushed();
  }

  #relayTo(toward: Toward): RelayDirection {
    return toward === 'client' ? this.#host.relays().down : this.#host.relays().up;
  }
}
