/**
 * Two connected sockets in one process with no kernel between them: `serve smtp`'s proxy reaches its
 * mock through a pair, which saves the second TCP connection every session would otherwise open on
 * loopback (its handshake, its teardown, and a send and a receive for every command and reply: measured,
 * about a third of `serve smtp`'s CPU per message).
 *
 * Each side behaves as a connected TCP socket does toward its owner:
 *
 *   write(data)  ─► the peer's 'data', in a later turn of the event loop (as a loopback peer's read)
 *   end()        ─► the peer's 'end' (a FIN), after everything written before it
 *   resetAndDestroy() ─► the peer's 'error' ECONNRESET, then 'close'; behind data the peer has not
 *                    taken in, read as its 'end' after that data, and its next write fails with EPIPE
 *   destroy()    ─► a FIN; an RST when data the owner never read was still waiting (as close(2) does)
 *   write to a peer that has closed ─► an RST back, read as above
 *
 * A write completes at once while the peer holds less than WINDOW octets it has not taken in (the
 * receive buffer a kernel would hold them in), else once the peer takes it. The peer takes data in only
 * while its reader keeps up (Readable's highWaterMark): a slow reader holds the writer back, and nothing
 * queues unbounded.
 */
import { Duplex } from 'node:stream';

/** An address and port: what each side reports as its own and its peer's. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** Octets a side holds for its reader before a write to it waits: a small loopback receive buffer. */
export const WINDOW = 256 * 1024;

/** The most a side takes in at once: what libuv reads from a socket in one go. */
const READ_SIZE = 64 * 1024;

type Segment =
  /** `data`: what is left of it to take in; `written`: the writer's callback, until it is called. */
  | { readonly kind: 'data'; data: Buffer; written?: (error?: Error | null) => void }
  | { readonly kind: 'fin' }
  /** `unread`: data was waiting when it came (see #arrive). */
  | { readonly kind: 'rst'; readonly unread?: boolean };

/** A Node error as the socket layer makes them (`read ECONNRESET`), without a stack: nothing called it. */
function socketError(syscall: string, code: 'ECONNRESET' | 'ECONNREFUSED' | 'EPIPE', errno: number): NodeJS.ErrnoException {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return Object.assign(new Error(`${syscall} ${code}`), { code, errno, syscall });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** One side of a socketPair: the parts of net.Socket a TCP peer's owner uses. */
export class PairedSocket extends Duplex {
  #peer!: PairedSocket;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteFamily: 'IPv4' | 'IPv6';
  /** True until 'connect' (the next tick): a TCP socket's owner may look before it is connected. */
  connecting = true;
  bytesRead = 0;
  bytesWritten = 0;
  /** What the peer sent that this side has not yet taken in. */
  readonly #inbox: Segment[] = [];
  /** Octets of data in #inbox. */
  #held = 0;
  /** A delivery is due in a later turn. */
  #scheduled = false;
  /** The reader asked for more (Readable's _read): taking data in may go on. */
  #wanted = true;
  #reset = false;
  /** The peer's FIN (or an RST read as one) was taken in. */
  #eof = false;
  /** An RST came after the FIN or behind unread data: the next write fails with EPIPE (see #deliver). */
  #broken = false;
  /** See refuse(). */
  #refused = false;
  /** The peer has gone (its RST came, or it was never accepted): nothing more to tell it. */
  #peerGone = false;
  #timeoutMs = 0;
  /** The idle timer for #timeoutMs while it is set; refreshed by every read and write. */
  #timer: NodeJS.Timeout | undefined;

  constructor(local: Endpoint, remote: Endpoint, allowHalfOpen: boolean) {
    // 'close' is emitted by _destroy, as net.Socket emits it once its handle has closed.
    super({ allowHalfOpen, emitClose: false });
    this.localAddress = local.address;
    this.localPort = local.port;
    this.remoteAddress = remote.address;
    this.remotePort = remote.port;
    this.remoteFamily = remote.address.includes(':') ? 'IPv6' : 'IPv4';
  }

  /** As net.Socket's: which halves are still open. */
  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    return this.readable ? 'readOnly' : this.writable ? 'writeOnly' : 'closed';
  }

  address(): { address: string; family: string; port: number } {
    return { address: this.localAddress, family: this.remoteFamily, port: this.localPort };
  }

  /** Nothing to delay or keep alive: every write goes to the peer whole. */
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  /** As net.Socket's: 'timeout' once nothing was read or written for `ms` (0 turns it off). */
  setTimeout(ms: number, callback?: () => void): this {
    this.#timeoutMs = ms;
    if (callback && ms === 0) this.removeListener('timeout', callback);
    else if (callback) this.once('timeout', callback);
    clearTimeout(this.#timer);
    this.#timer = ms > 0 && !this.destroyed ? setTimeout(() => this.emit('timeout'), ms).unref() : undefined;
    return this;
  }

  /** As net.Socket's: the idle timeout setTimeout set, if any. */
  get timeout(): number | undefined {
    return this.#timeoutMs > 0 ? this.#timeoutMs : undefined;
  }

  /** An RST to the peer: its 'error' ECONNRESET, once it has read what was written before. */
  resetAndDestroy(): this {
    this.#reset = true;
    return this.destroy();
  }

  /** Ties the two sides together and says 'connect' on both in the next tick. */
  static connect(a: PairedSocket, b: PairedSocket): void {
    a.#peer = b;
    b.#peer = a;
    process.nextTick(() => {
      for (const side of [a, b]) {
        if (side.#refused) continue;
        side.connecting = false;
        if (!side.destroyed) side.emit('connect');
      }
    });
  }

  /**
   * Nothing took the peer (the server side) in: this side fails as a refused TCP connect does, 'error'
   * ECONNREFUSED and no 'connect', and the peer is dropped. Called before the tick the pair connects in.
   */
  refuse(): void {
    for (const side of [this, this.#peer]) {
      side.#refused = true;
      side.#peerGone = true;
    }
    this.#peer.destroy();
    process.nextTick(() => {
      this.connecting = false;
      this.destroy(socketError('connect', 'ECONNREFUSED', -111));
    });
  }

  override _read(): void {
    this.#wanted = true;
    this.#schedule();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#broken) return callback(socketError('write', 'EPIPE', -32));
    // An empty write sends nothing on TCP (the proxy writes one to learn when earlier writes went out).
    if (chunk.length === 0) return callback();
    this.bytesWritten += chunk.length;
    this.#active();
    this.#peer.#arrive({ kind: 'data', data: chunk, written: callback });
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#peer.#arrive({ kind: 'fin' });
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // Writes still waiting in this side's inbox were accepted by "the kernel": they complete, and are
    // lost. Data the kernel holds unread makes close(2) send an RST, not a FIN (what Node has read ahead
    // into the stream's buffer is no longer the kernel's).
    let unread = false;
    for (const segment of this.#inbox.splice(0)) {
      if (segment.kind !== 'data') continue;
      unread = true;
      this.#written(segment);
    }
    this.#held = 0;
    if (!this.#peerGone) {
      if (this.#reset || unread) this.#peer.#arrive({ kind: 'rst' });
      else if (!this.writableFinished) this.#peer.#arrive({ kind: 'fin' });
    }
    callback(error);
    // A TCP socket's handle closes in the loop's close phase, after the turn's immediates.
    setImmediate(() => this.emit('close', error !== null));
  }

  #arrive(segment: Segment): void {
    if (this.destroyed) {
      // A closed socket answers what still comes with an RST (a FIN or an RST asks for nothing).
      if (segment.kind === 'data') {
        this.#written(segment);
        this.#peer.#arrive({ kind: 'rst' });
      }
      return;
    }
    // An RST that finds data the reader has not taken in is read, after that data, as the end of the
    // stream (Linux keeps the receive queue and reads 0 after it), and the next write fails with EPIPE.
    if (segment.kind === 'rst' && this.#held > 0) segment = { kind: 'rst', unread: true };
    this.#inbox.push(segment);
    if (segment.kind === 'data') {
      this.#held += segment.data.length;
      if (this.#held <= WINDOW) this.#written(segment);
    }
    this.#schedule();
  }

  /**
   * Delivery waits for a later turn of the event loop, as a read from the kernel does. `later`: the end
   * of the stream behind data just taken in, which libuv reads in the next poll phase, after what the
   * owner put off to setImmediate on that data (an RST it sends once it saw a reply goes first).
   * Delivery runs as an immediate itself, so the owner's immediates run in the next turn: the end waits
   * a turn more.
   */
  #schedule(later = false): void {
    if (this.#scheduled || this.#inbox.length === 0) return;
    this.#scheduled = true;
    const deliver = (): void => {
      this.#scheduled = false;
      this.#deliver();
    };
    setImmediate(later ? () => setImmediate(deliver) : deliver);
  }

  /**
   * Takes in what arrived, while the reader keeps up, as libuv reads a socket: at most READ_SIZE at a
   * time, and a FIN in a later turn than data before it, as the read after a short read (an RST behind
   * unread data, see #arrive, ends the stream in the same turn). An RST with nothing unread before it
   * ends the socket with ECONNRESET; after the end of the stream it only makes the next write fail with EPIPE. A reader that
   * does not keep up (a full buffer) sees none of it until it reads again.
   */
  #deliver(): void {
    let tookData = false;
    while (this.#inbox.length > 0 && !this.destroyed && this.#wanted) {
      const segment = this.#inbox[0]!;
      if (segment.kind === 'fin' && tookData) return this.#schedule(true);
      if (segment.kind === 'rst') {
        this.#inbox.length = 0;
        this.#held = 0;
        this.#peerGone = true;
        if (!segment.unread && !this.#eof) return void this.destroy(socketError('read', 'ECONNRESET', -104));
        this.#broken = true;
        if (!this.#eof) this.#end();
        return;
      }
      if (segment.kind === 'fin') {
        this.#inbox.shift();
        this.#end();
        continue;
      }
      const data = segment.data.length > READ_SIZE ? segment.data.subarray(0, READ_SIZE) : segment.data;
      if (data === segment.data) {
        this.#inbox.shift();
        this.#written(segment);
      } else segment.data = segment.data.subarray(READ_SIZE);
      tookData = true;
      this.#held -= data.length;
      this.bytesRead += data.length;
      this.#active();
      this.#wanted = this.push(data);
    }
  }

  #end(): void {
    this.#eof = true;
    this.push(null);
  }

  /** Completes the write that sent `segment`, once. */
  #written(segment: Extract<Segment, { kind: 'data' }>): void {
    const callback = segment.written;
    segment.written = undefined;
    callback?.();
  }

  /** Something was read or written: the idle timeout starts again. */
  #active(): void {
    this.#timer?.refresh();
  }
}

/**
 * A connected pair: `client` is the side that connected (it sees `server`'s endpoint as its peer),
 * `server` the side that accepted. Both say 'connect' in the next tick. `allowHalfOpen` as net's option,
 * for each side.
 */
export function socketPair(
  clientEnd: Endpoint,
  serverEnd: Endpoint,
  allowHalfOpen: { readonly client: boolean; readonly server: boolean } = { client: true, server: false },
): { readonly client: PairedSocket; readonly server: PairedSocket } {
  const client = new PairedSocket(clientEnd, serverEnd, allowHalfOpen.client);
  const server = new PairedSocket(serverEnd, clientEnd, allowHalfOpen.server);
  PairedSocket.connect(client, server);
  return { client, server };
}
