/**
 * The mock FTP server's files: names and directories in memory, content on disk in a private spool
 * folder (mode 0700, removed when the server closes), so the server's memory stays flat whatever the
 * size of an upload. Uploads are hashed and counted while they stream; nothing holds a whole file.
 *
 *   STOR ─► sink ─► REST/APPE prefix read from the old file ─┬─► SHA-256 + size ─► spool/N (written at once)
 *                   octets from the data connection ─────────┘
 *           APPE, or REST at its end, on a file no transfer has open: appended to in place, carrying on
 *           from the hash state the upload that wrote it left (nothing read, nothing copied)
 *   RETR ─► read stream on spool/N through its own descriptor (a file replaced or deleted meanwhile reads on)
 */
import { createHash, type Hash } from 'node:crypto';
import { removeAtExit } from '../../src/util/exit-removal.js';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writevSync } from 'node:fs';
import { rm, unlink } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { Writable } from 'node:stream';
import { type Digest, digestIfThere } from '../../src/util/digest.js';
import { Content, contentOf } from '../../src/util/content.js';
import { bufferFreer } from '../../src/util/free-buffers.js';
import type { ServedFile, StoredFile } from './transfers.js';

/** Octets of a REST/APPE prefix copied per turn of the event loop. */
const COPY_BLOCK = 1024 * 1024;

/**
 * One file: where its content lives and how much of it is there. An upload in progress grows its file
 * as octets arrive, so SIZE and LIST show a partial upload's size at once, as on a disk server (a
 * client resuming after a cut asks for it).
 */
export class SpoolFile {
  /** Octets written so far. */
  size = 0;
  mtime = new Date();
  /** Transfers that have the content open: while any has, an upload building on it works on a copy. */
  users = 0;
  /** SHA-256 state over the whole content, left by the upload that wrote it: APPE carries on from it. */
  hashed: Hash | undefined;
  #preloaded: Content | undefined;
  /** The preloaded content came as a Content (a scenario's, of any size): see writePreloaded. */
  readonly #writtenAtStart: boolean;
  #handedOver = false;
  /**
   * `preloaded`: content given at start. A Content (a scenario's) is written by writePreloaded before the
   * server listens; a Buffer (the library's `files`) only when first used (most never are).
   */
  constructor(
    private readonly path: string,
    preloaded?: Buffer | Content,
  ) {
    this.#writtenAtStart = preloaded instanceof Content;
    this.#preloaded = preloaded instanceof Content || preloaded === undefined ? preloaded : contentOf(preloaded);
    this.size = this.#preloaded?.size ?? 0;
  }
  /**
   * Writes a preloaded Content to disk now, off the event loop but for making each 64 KiB of it: a large
   * one written when first used, synchronously, would stall every session (and the proxy beside the
   * mock) for as long as it takes. A Buffer given (the library's small files) stays lazy.
   */
  async writePreloaded(): Promise<void> {
    const preloaded = this.#preloaded;
    if (!preloaded || !this.#writtenAtStart) return;
    await preloaded.writeTo(this.path);
    if (this.#preloaded === preloaded) this.#preloaded = undefined;
  }
  /** Where the content is on disk (a preloaded file is written there now, the first time). */
  get disk(): string {
    if (this.#preloaded) {
      this.#preloaded.writeToSync(this.path);
      this.#preloaded = undefined;
    }
    return this.path;
  }
  /** The whole content. */
  content(): Buffer {
    return this.#preloaded?.bytes() ?? readFileSync(this.path).subarray(0, this.size);
  }
  /** The content's size and SHA-256, read as a stream. */
  async digest(): Promise<Digest> {
    if (this.#preloaded) return this.#preloaded.digest();
    const digest = await digestIfThere(this.path, this.size);
    if (!digest) throw new Error(`the spool file of an upload is gone: ${this.path}`);
    return digest;
  }
  /** The content's path, from now on another SpoolFile's: drop() leaves it alone. */
  handOver(): string {
    const disk = this.disk;
    this.#handedOver = true;
    return disk;
  }
  /**
   * Drops the content; a transfer that has it open reads or writes on until it closes it. The file is
   * unlinked off the event loop: its name is never used again, and on a disk file system an unlink of
   * a file just written cost a seventh of the mock's time in a run of small uploads to the same names.
   */
  drop(): void {
    if (this.#preloaded) this.#preloaded = undefined;
    else if (!this.#handedOver) unlink(this.path).catch(() => undefined); // already gone: the spool folder removed at close
  }
}

/** Files and directories shared by every session of one server, the content in a spool folder. */
export class SpoolTree {
  readonly files = new Map<string, SpoolFile>();
  readonly dirs = new Map<string, Date>([['/', new Date()]]);
  /** The spool folder (made by mkdtemp: mode 0700). */
  readonly dir = mkdtempSync(join(tmpdir(), 'wireprobe-ftp-'));
  /** The folder goes at the process's exit too, should it exit before `remove` (a second Ctrl-C in `run`). */
  readonly #letGo = removeAtExit(this.dir);
  /** Frees each upload's socket chunks once written and hashed (../../src/util/free-buffers.ts). */
  readonly freer = bufferFreer();
  #next = 0;
  /**
   * `record`, `served`: each upload and download as it ends, with the client's TCP port. `truncateAt`:
   * keep only this many octets of each upload, silently (a planted defect); 0: all. `restZeroes`: a
   * STOR after REST n empties the file first and writes at n, so its first n octets read as zeros (a
   * planted defect, bftpd 4.9's: O_TRUNC, then lseek).
   */
  constructor(
    preload: Readonly<Record<string, Buffer | Content>>,
    readonly record: (file: StoredFile, port: number) => void,
    readonly truncateAt = 0,
    readonly served: (file: ServedFile, port: number) => void = () => undefined,
    readonly restZeroes = false,
  ) {
    for (const [name, data] of Object.entries(preload)) this.place(posix.resolve('/', name), new SpoolFile(this.next(), data));
  }
  /** Writes every preloaded Content to the spool folder (SpoolFile.writePreloaded), before the server listens. */
  async writePreloaded(): Promise<void> {
    await Promise.all([...this.files.values()].map((file) => file.writePreloaded()));
  }
  mkdirs(dir: string): void {
    for (let d = dir; !this.dirs.has(d); d = posix.dirname(d)) this.dirs.set(d, new Date());
  }
  /**
   * A new empty file at `path`, replacing one there (an upload still writing the old one no longer
   * shows); or, given `takeOver`, a new file with `takeOver`'s content, which it takes over. With the
   * descriptor it is written through, open to append to what it holds.
   */
  create(path: string, takeOver?: SpoolFile): { readonly file: SpoolFile; readonly fd: number } {
    const file = new SpoolFile(takeOver ? takeOver.handOver() : this.next());
    if (takeOver) file.size = takeOver.size;
    const fd = openSync(file.disk, takeOver ? 'a' : 'w');
    this.place(path, file);
    return { file, fd };
  }
  /** A name in the spool folder no file has had. */
  private next(): string {
    return join(this.dir, String(++this.#next));
  }
  /** Puts `file` at `path` (parents made), dropping the content of the file it replaces. */
  place(path: string, file: SpoolFile): void {
    this.mkdirs(posix.dirname(path));
    const old = this.files.get(path);
    this.files.set(path, file);
    if (old && old !== file) old.drop();
  }
  /** Removes the file at `path`; false when there is none. */
  delete(path: string): boolean {
    const file = this.files.get(path);
    if (!file) return false;
    this.files.delete(path);
    file.drop();
    return true;
  }
  /** The content of the file at `path`, read whole (for tests). */
  content(path: string): Buffer | undefined {
    return this.files.get(path)?.content();
  }
  /** The size and SHA-256 of the file at `path`, read as a stream (the runner's check of an upload of any size). */
  digest(path: string): Promise<Digest | undefined> {
    return this.files.get(path)?.digest() ?? Promise.resolve(undefined);
  }
  /** Removes the spool folder at once (a second Ctrl-C exits without waiting for `remove`). */
  removeNow(): void {
    rmSync(this.dir, { recursive: true, force: true });
    this.#letGo();
  }
  /** Removes the spool folder. */
  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    this.#letGo();
  }
}

/** Writes all of `chunks` to `fd` at its current position. */
function writeAll(fd: number, chunks: Buffer[]): void {
  const rest = chunks.filter((c) => c.length > 0);
  while (rest.length > 0) {
    let written = writevSync(fd, rest);
    while (rest.length > 0 && written >= rest[0]!.length) written -= rest.shift()!.length;
    if (written > 0) rest[0] = rest[0]!.subarray(written);
  }
}

/**
 * Calls `abort` when the data connection closes before `done()` says the transfer is over; `gone` when
 * it was closed before the transfer began (a PROT P data connection whose handshake failed: ftp-srv
 * hears of that from the socket's error, the refusal, and listens to the stream only later, so the
 * stream must then end without an error of its own).
 */
export function onDataLost(socket: Socket | null | undefined, done: () => boolean, abort: (gone: boolean) => void): void {
  if (!socket) return;
  if (socket.destroyed) abort(true);
  else socket.once('close', () => !done() && abort(false));
}

/**
 * The octets a new upload keeps of an old file: REST's offset or APPE's whole file, at most; or, with
 * SpoolTree.restZeroes, REST's offset in zeros.
 */
export type Prefix = { readonly from: SpoolFile; readonly bytes: number } | { readonly zeroes: number };

/** Zeros written in pieces of this many octets (SpoolTree.restZeroes). */
const ZERO_PIECE = 1 << 20;

/**
 * The upload sink: the file is created when STOR starts, gets the REST/APPE prefix of the old file
 * (copied, or the old file itself when the upload appends to it and no other transfer has it open), and
 * grows as octets arrive; hashed and counted while streaming; recorded once, complete or not.
 */
export function sink(tree: SpoolTree, path: string, prefix: Prefix | undefined, socket: Socket | null | undefined, port = 0): Writable {
  const old = prefix && 'from' in prefix ? prefix.from : undefined;
  const keep = Math.min(prefix && 'from' in prefix ? prefix.bytes : 0, old?.size ?? 0, tree.truncateAt > 0 ? tree.truncateAt : Infinity);
  // In place only with the whole old content kept and its hash state at hand: nothing to read first,
  // so the hash always covers exactly what the file holds, even for an upload cut at once.
  const carried = old && keep > 0 && keep === old.size && old.users === 0 ? old.hashed?.copy() : undefined;
  // Opened before create() drops the old file's content when the upload replaces it.
  const source = old && keep > 0 && !carried ? openSync(old.disk, 'r') : undefined;
  const { file, fd } = tree.create(path, carried ? old : undefined);
  file.users++;
  const hash = carried ?? createHash('sha256');
  const zeroes = prefix && 'zeroes' in prefix ? prefix.zeroes : 0;
  for (let left = zeroes; left > 0; left -= ZERO_PIECE) {
    const zeros = Buffer.alloc(Math.min(left, ZERO_PIECE));
    writeAll(fd, [zeros]);
    hash.update(zeros);
    file.size += zeros.length;
  }
  let received = 0;
  let settled = false;
  const append = (chunks: Buffer[]): void => {
    // A planted defect (FtpServerOptions.truncateUploadsAt): the rest is dropped without a word.
    const kept: Buffer[] = [];
    let room = tree.truncateAt > 0 ? tree.truncateAt - file.size : Infinity;
    for (const chunk of chunks) {
      received += chunk.length;
      const part = room >= chunk.length ? chunk : chunk.subarray(0, Math.max(0, room));
      room -= part.length;
      hash.update(part);
      kept.push(part);
    }
    writeAll(fd, kept);
    file.size += kept.reduce((n, c) => n + c.length, 0);
    file.mtime = new Date();
    tree.freer.free(...chunks);
  };
  const settle = (complete: boolean): void => {
    if (settled) return;
    settled = true;
    closeSync(fd);
    file.users--;
    file.hashed = hash.copy();
    tree.record({ path, bytes: file.size, sha256: hash.digest('hex'), received, complete }, port);
  };
  let ready: Promise<void> | undefined =
    source === undefined
      ? undefined
      : copyPrefix(source, fd, keep, hash, file, () => settled).finally(() => {
          closeSync(source);
          ready = undefined;
        });
  ready?.catch(() => undefined); // a failed copy fails the next write or the end; destroyed before either, nothing waits
  /** Runs `then` once the prefix is in place; a failure goes to `callback`. */
  const afterPrefix = (callback: (error?: Error | null) => void, then: () => void): void => {
    const run = (): void => {
      try {
        then();
      } catch (error) {
        return callback(error as Error);
      }
      callback();
    };
    if (ready) ready.then(run, callback);
    else run();
  };
  const stream = new Writable({
    writev(chunks, callback) {
      afterPrefix(callback, () => append(chunks.map((c) => c.chunk as Buffer)));
    },
    final(callback) {
      // ftp-srv: on a data socket error it calls end() and then destroy(error) on the stream in one go;
      // wait a tick so that abort is not recorded as a complete upload. Recorded before 'finish' (226).
      const finish = (): void =>
        process.nextTick(() => {
          if (!stream.destroyed) settle(true);
          callback();
        });
      if (ready) ready.then(finish, callback);
      else finish();
    },
    destroy(error, callback) {
      settle(false);
      callback(error);
    },
  });
  // ftp-srv: on the data socket's EOF it *emits* 'close' on the stream when the stream has 'close'
  // listeners (pipe() adds one) instead of calling end(); turn that fake 'close' into end().
  stream.on('close', () => !stream.destroyed && !stream.writableEnded && stream.end());
  // ftp-srv: a data socket destroyed without EOF or error (control connection gone, server closed)
  // would leave STOR waiting forever; fail the stream so the handler finishes (reply 550).
  onDataLost(
    socket,
    () => settled || stream.writableEnded,
    (gone) => stream.destroy(gone ? undefined : new Error('Data connection closed; transfer aborted')),
  );
  return stream;
}

/** Copies the first `bytes` octets of `from` into `to` (its `file`), hashing them, a block per turn; stops once `stopped()`. */
async function copyPrefix(from: number, to: number, bytes: number, hash: Hash, file: SpoolFile, stopped: () => boolean): Promise<void> {
  const block = Buffer.allocUnsafe(Math.min(bytes, COPY_BLOCK));
  for (let at = 0; at < bytes && !stopped(); ) {
    const n = readSync(from, block, 0, Math.min(block.length, bytes - at), at);
    if (n === 0) return; // the old file was cut shorter meanwhile
    const part = block.subarray(0, n);
    hash.update(part);
    writeAll(to, [part]);
    file.size += n;
    at += n;
    if (at < bytes) await new Promise((resolve) => setImmediate(resolve));
  }
}
