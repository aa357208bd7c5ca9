/**
 * Where relayed bytes go: a peer's socket, or a shaper (throttle, slice, coalesce) piped into it. The
 * control session (./session.ts) and FTP data connections (./data-link.ts) relay through these.
 */
import type { Socket } from 'node:net';
import type { Duplex, Transform, Writable } from 'node:stream';
import type { BufferFreer } from '../util/free-buffers.js';
import { flushed } from './sockets.js';

export class Outlet {
  /** The peer's socket. */
  readonly target: Socket;
  #stream: Writable;
  readonly #freer: BufferFreer | undefined;
  /** performance.now() when the outlet, full, paused its source; undefined while bytes flow. */
  #fullSince: number | undefined;

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
    this.#fullSince ??= performance.now();
    this.#stream.once('drain', () => {
      this.#fullSince = undefined;
      if (mayResume()) source.resume();
    });
  }

  /**
   * Ms the peer has left what was relayed to it unread, at `now`: the outlet full (its source paused) since
   * then, and the peer's socket full now (its kernel buffers too: the peer reads nothing, or slower than it
   * is sent); undefined while bytes flow. A shaper fills the outlet at its own pace, but not the socket
   * behind it: a throttle's pace alone never counts, only the peer's.
   */
  unread(now: number): number | undefined {
    return this.#fullSince !== undefined && this.target.writableNeedDrain ? now - this.#fullSince : undefined;
  }

  /** Octets a shaper in the way holds, not yet passed on to the socket; 0 without one. */
  backlog(): number {
    if (this.#stream === this.target) return 0;
    const shaper = this.#stream as Duplex;
    return shaper.writableLength + shaper.readableLength;
  }

  /** From now on bytes pass through `shaper` on their way to the target. */
  shape(shaper: Transform): void {
    const target = this.target;
    shaper.pipe(target, { end: false });
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
