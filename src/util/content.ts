/**
 * A scenario's content (an SMTP message, an FTP file), made on demand and never held whole: its octets
 * are a function of their offset, so each reader (a client's upload, a file a process client reads, the
 * server's preloaded download) makes the part it reads, 64 KiB at a time. A 4 GiB scenario costs each
 * reader 64 KiB, not 4 GiB per run; only `bytes()` and `whole()` make the whole of it (a client
 * module's `message`, nodemailer's).
 *
 *   Content ─ fill(into, at): the octets at..at+into.length
 *     ├─ contentOf(buffer)          octets given (tests, a user's preloaded file)
 *     ├─ repeated(unit, times)      a line over and over (message.ts: a message's body)
 *     ├─ randomContent(bytes)       AES-256-CTR keystream under a key of its own: random-looking, and
 *     │                             made again identically from any offset, so it is never stored
 *     └─ joined(parts)              one after another (headers, body, last line; a client's trailer)
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { closeSync, createWriteStream, openSync, writeSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Digest } from './digest.js';
import { turn } from './turns.js';

/** Octets made per chunk of a stream, as fs.createReadStream reads a file. */
const CHUNK = 64 * 1024;
/** Octets made per piece when hashing or writing a file: fewer calls, still a bounded buffer. */
const PIECE = 1024 * 1024;

export abstract class Content {
  #digest: Promise<Digest> | undefined;

  /** Its length in octets. */
  abstract readonly size: number;

  /** Writes the octets at..at+into.length (all within the content) into `into`. */
  protected abstract fill(into: Buffer, at: number): void;

  /**
   * Its size and SHA-256 (lowercase hex): made by one pass on first ask, then kept. The pass goes a
   * piece per turn of the event loop (`inTurns`): a 4 GiB file takes seconds to make and hash, and runs
   * going on beside it (their replies, their timeouts) must not wait for that.
   */
  digest(): Promise<Digest> {
    this.#digest ??= (async () => {
      const hash = createHash('sha256');
      for await (const piece of this.inTurns()) hash.update(piece);
      return { bytes: this.size, sha256: hash.digest('hex') };
    })();
    return this.#digest;
  }

  /**
   * Its octets a piece (1 MiB) at a time, each made in a turn of the event loop of its own, shared with
   * all such work (./turns.ts), in one reused buffer: each piece is overwritten by the next.
   */
  async *inTurns(): AsyncGenerator<Buffer> {
    for (const piece of this.#pieces()) {
      await turn();
      yield piece;
    }
  }

  /**
   * Its octets from `start` to the end, made afresh for each call, in 64 KiB chunks: one Buffer as one
   * chunk would be one socket write that completes only when all of it is in the kernel, and on a slow
   * link a socket timeout, which counts completed writes as activity, would fire while the link moves.
   */
  stream(start = 0): Readable {
    const content = this;
    let at = Math.min(Math.max(0, start), this.size);
    return new Readable({
      read() {
        if (at >= content.size) return void this.push(null);
        const chunk = Buffer.allocUnsafe(Math.min(CHUNK, content.size - at));
        content.fill(chunk, at);
        at += chunk.length;
        this.push(chunk);
      },
    });
  }

  /**
   * All of it in a new Buffer, made a piece per turn of the event loop (`inTurns`): a fresh 50 MiB
   * Buffer filled in one go held the loop 180-360 ms here, most of it the kernel giving it pages.
   */
  async whole(): Promise<Buffer> {
    const whole = Buffer.allocUnsafe(this.size);
    for (let at = 0; at < this.size; at += PIECE) {
      await turn();
      this.fill(whole.subarray(at, Math.min(at + PIECE, this.size)), at);
    }
    return whole;
  }

  /** All of it in a new Buffer at once, for a reader that needs it whole now (a module's `job.message`); else `whole()`. */
  bytes(): Buffer {
    const whole = Buffer.allocUnsafe(this.size);
    for (let at = 0; at < this.size; at += PIECE) this.fill(whole.subarray(at, Math.min(at + PIECE, this.size)), at);
    return whole;
  }

  /**
   * Writes it to a new file at `path`, with `mode` (default: readable by its owner only). `signal` (a run's
   * deadline, Ctrl-C) stops the writing and rejects: a large file is not made for a run that is over.
   */
  async writeTo(path: string, options: { readonly mode?: number; readonly signal?: AbortSignal } = {}): Promise<void> {
    await pipeline(this.stream(), createWriteStream(path, { mode: options.mode ?? 0o600 }), options.signal ? { signal: options.signal } : {});
  }

  /** The same, synchronously (the mock FTP server's preloaded file, written when first used). */
  writeToSync(path: string): void {
    const fd = openSync(path, 'w', 0o600);
    try {
      for (const piece of this.#pieces()) {
        for (let done = 0; done < piece.length; ) done += writeSync(fd, piece, done);
      }
    } finally {
      closeSync(fd);
    }
  }

  /** It followed by `trailer` (what a client adds of its own: swaks' empty line). */
  followedBy(trailer: Buffer): Content {
    return joined([this, contentOf(trailer)]);
  }

  /** Its octets, PIECE at a time, in one reused buffer: each piece is overwritten by the next. */
  *#pieces(): Generator<Buffer> {
    const buffer = Buffer.allocUnsafe(Math.min(PIECE, this.size));
    for (let at = 0; at < this.size; at += PIECE) {
      const piece = buffer.subarray(0, Math.min(PIECE, this.size - at));
      this.fill(piece, at);
      yield piece;
    }
  }

  /** For a part of a joined content: `fill` of another Content. */
  protected static fillOf(content: Content, into: Buffer, at: number): void {
    content.fill(into, at);
  }
}

class Given extends Content {
  readonly size: number;
  constructor(readonly data: Buffer) {
    super();
    this.size = data.length;
  }
  protected fill(into: Buffer, at: number): void {
    this.data.copy(into, 0, at, at + into.length);
  }
}

/** `data` as a Content (a copy is not made: `data` must not change while it is read). */
export function contentOf(data: Buffer): Content {
  return new Given(data);
}

class Repeated extends Content {
  readonly size: number;
  /** The unit twice over: any window of one unit's length starting inside the first copy is in it. */
  readonly #twice: Buffer;
  constructor(
    readonly unit: Buffer,
    times: number,
  ) {
    super();
    this.size = unit.length * times;
    this.#twice = Buffer.concat([unit, unit]);
  }
  protected fill(into: Buffer, at: number): void {
    const phase = at % this.unit.length;
    // The unit as it reads from `phase` on, repeated over the whole of `into`.
    into.fill(this.#twice.subarray(phase, phase + this.unit.length));
  }
}

/** `unit` `times` times over. */
export function repeated(unit: Buffer, times: number): Content {
  return unit.length === 0 || times === 0 ? contentOf(Buffer.alloc(0)) : new Repeated(unit, times);
}

/** Zeros, encrypted into the keystream (read only: a cipher never writes its input). */
const ZEROS = Buffer.alloc(PIECE + 16);

class Random extends Content {
  readonly #key = randomBytes(32);
  constructor(readonly size: number) {
    super();
  }
  protected fill(into: Buffer, at: number): void {
    for (let done = 0; done < into.length; ) {
      const from = at + done;
      const length = Math.min(PIECE, into.length - done);
      // Counter mode: block n of the keystream is the key's encryption of n, so any offset starts afresh.
      const iv = Buffer.alloc(16);
      iv.writeUIntBE(Math.floor(from / 16), 10, 6);
      const skip = from % 16;
      const stream = createCipheriv('aes-256-ctr', this.#key, iv).update(ZEROS.subarray(0, skip + length));
      stream.copy(into, done, skip);
      done += length;
    }
  }
}

/**
 * `bytes` random-looking octets, an FTP scenario's file: AES-256-CTR under a key of its own, so no two
 * contents are alike and every reader makes the same octets again from any offset.
 */
export function randomContent(bytes: number): Content {
  return new Random(bytes);
}

class Joined extends Content {
  readonly size: number;
  /** Where each part starts. */
  readonly #starts: number[] = [];
  constructor(readonly parts: readonly Content[]) {
    super();
    let size = 0;
    for (const part of parts) {
      this.#starts.push(size);
      size += part.size;
    }
    this.size = size;
  }
  protected fill(into: Buffer, at: number): void {
    const end = at + into.length;
    this.parts.forEach((part, i) => {
      const start = this.#starts[i]!;
      const from = Math.max(at, start);
      const to = Math.min(end, start + part.size);
      if (from < to) Content.fillOf(part, into.subarray(from - at, to - at), from - start);
    });
  }
}

/** `parts` one after another. */
export function joined(parts: readonly Content[]): Content {
  return new Joined(parts);
}
