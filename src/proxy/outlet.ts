/**
 * Where relayed bytes go: a peer's socket, or a shaper (throttle, slice, coalesce) piped into it. The
 * control session (./session.ts) and FTP data connections (./data-link.ts) relay through these.
 */
import type { Socket } from 'node:net';
import type { Duplex, Transform, Writable } from 'node:stream';
import { heldOctets } from '../faults/held.js';
import type { BufferFreer } from '../util/free-buffers.js';
import { flushed } from './sockets.js';

export class Outlet {
  /** The peer's socket. */
  readonly target: Socket;
  #stream: Writable;
  readonly #freer: BufferFreer | undefined;
  /** performance.now() since when the peer's socket has been full (see `unread`); undefined while it is not. */
  #fullSince: number | undefined;
  /** Ms the peer's socket was full before that, in all, and the longest of those stretches. */
  #fullBefore = 0;
  #longestBefore = 0;
  /** Counts a full socket's time once it drains: set up by the first relay, so a session that never fills one pays nothing. */
  #watching = false;

  /**
   * `freer`: relayed chunks are freed once the socket has written them (nothing else may hold them: no
   * capture); a shaper in the way keeps its own views of them, so they are then left to the collector.
   * Default none.
   */
  constructor(target: Socket, freer?: BufferFreer) {
    this.target = target;
    this.#stream = target;
    this.#freer = freer;
  }

  /** Writes `bytes`, whatever the buffers hold (injected replies, a fault's own bytes). */
  push(bytes: Buffer): void {
    this.#stream.write(bytes);
  }

  /** Relays `bytes` from `source`, pausing it while the outlet is full; it resumes on drain if `mayResume()`. */
  relay(bytes: Buffer, source: Socket, mayResume: () => boolean): void {
    const freer = this.#stream === this.target ? this.#freer : undefined;
    if (freer ? this.#stream.write(bytes, () => freer.free(bytes)) : this.#stream.write(bytes)) return;
    source.pause();
    this.#noteFull();
    this.#stream.once('drain', () => {
      if (mayResume()) source.resume();
    });
  }

  /**
   * Ms in all the peer has left what was relayed to it unread, until `now`: the time the socket held more
   * than Node's limit for it (16 KiB) beyond what the kernel took, that is, with the kernel's buffers full
   * (the peer read nothing, or slower than it was sent); a write the kernel takes whole drains in the
   * same turn and adds microseconds. A shaper in the way fills at its own pace, but not the socket behind
   * it: a throttle's pace alone never counts, only the peer's. Counted from a write that left the socket
   * over its limit (a shaper's writes are seen as they pass, each tick) until its drain.
   */
  unread(now: number): number {
    return this.#fullBefore + this.unreadNow(now);
  }

  /** The stretch of that time going on at `now`; 0 while the socket is not full. */
  unreadNow(now: number): number {
    return this.#fullSince === undefined ? 0 : now - this.#fullSince;
  }

  /** The longest single stretch of that time, until `now`. */
  longestUnread(now: number): number {
    return Math.max(this.#longestBefore, this.unreadNow(now));
  }

  /** After a write into the outlet or the socket: is the socket full now? */
  #noteFull(): void {
    if (this.#fullSince !== undefined || !this.target.writableNeedDrain) return;
    this.#fullSince = performance.now();
    if (this.#watching) return;
    this.#watching = true;
    this.target.on('drain', () => {
      if (this.#fullSince === undefined) return;
      const stretch = performance.now() - this.#fullSince;
      this.#fullBefore += stretch;
      this.#longestBefore = Math.max(this.#longestBefore, stretch);
      this.#fullSince = undefined;
    });
  }

  /** Octets a shaper in the way holds, not yet passed on to the socket (its own window included); 0 without one. */
  backlog(): number {
    if (this.#stream === this.target) return 0;
    const shaper = this.#stream as Duplex;
    return shaper.writableLength + shaper.readableLength + heldOctets(shaper);
  }

  /** From now on bytes pass through `shaper` on their way to the target. */
  shape(shaper: Transform): void {
    const target = this.target;
    shaper.pipe(target, { end: false });
    // Listened to after the pipe's own: each piece has been written to the socket when this runs.
    shaper.on('data', () => this.#noteFull());
    shaper.on('error', () => target.destroy());
    target.once('close', () => shaper.destroy());
    this.#stream = shaper;
  }

  /** Calls `fin` once everything relayed has reached the target (a shaper is ended and drained first). */
  end(fin: () => void): void {
    if (this.#stream === this.target) return fin();
    this.#stream.once('end', fin);
    this.#stream.end();
  }

  /**
   * Resolves once everything relayed so far has left; a shaper in the way is drained and removed, so
   * what a fault writes next (a FIN, an RST) is not held behind it.
   */
  flushed(): Promise<void> {
    const shaper = this.#stream === this.target ? undefined : this.#stream;
    this.#stream = this.target;
    return flushed(this.target, shaper);
  }
}
