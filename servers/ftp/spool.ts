/**
 * The mock FTP server's files: names and directories in memory, content on disk in a private spool
 * folder (mode 0700, removed when the server closes), so the server's memory stays flat whatever the
 * size of an upload. Uploads are hashed and counted while they stream; nothing holds a whole file.
 *
 *   STOR ─► sink ─► the spool's worker (./spool-writer.ts), in order:
 *                   REST/APPE prefix read from the old file ─┬─► spool/N, then SHA-256 + size
 *                   octets from the data connection ─────────┘
 *           APPE, or REST at its end, on a file no transfer has open: appended to in place, carrying on
 *           from the hash state the upload that wrote it left (nothing read, nothing copied)
 *   RETR ─► read stream on spool/N through its own descriptor (a file replaced or deleted meanwhile reads on)
 */
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { Writable } from 'node:stream';
import { SpoolWriter, WINDOW } from './spool-writer.js';
import type { ServedFile, StoredFile } from './transfers.js';

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
  #hashKept = false;
  #preloaded: Buffer | undefined;
  #handedOver = false;
  #dropped = false;
  /** `preloaded`: content given at start, written to `path` only when first used (most never are). */
  constructor(
    private readonly path: string,
    private readonly writer: SpoolWriter,
    preloaded?: Buffer,
  ) {
    this.#preloaded = preloaded;
    this.size = preloaded?.length ?? 0;
  }
  /** Where the content is on disk (a preloaded file is written there now, the first time). */
  get disk(): string {
    if (this.#preloaded) {
      writeFileSync(this.path, this.#preloaded);
      this.#preloaded = undefined;
    }
    return this.path;
  }
  /** The whole content. */
  content(): Buffer {
    return this.#preloaded ?? readFileSync(this.path).subarray(0, this.size);
  }
  /** The content's path, from now on another SpoolFile's: drop() leaves it alone. */
  handOver(): string {
    const disk = this.disk;
    this.#handedOver = true;
    return disk;
  }
  /** Drops the content; a transfer that has it open reads or writes on until it closes it. */
  drop(): void {
    if (this.#preloaded) this.#preloaded = undefined;
    else if (!this.#handedOver) {
      rmSync(this.path, { force: true });
      this.#dropped = true;
      if (this.#hashKept) this.writer.forget(this.path);
    }
  }
  /** The spool's worker holds a SHA-256 state over the whole content, left by the upload that wrote it: APPE carries on from it. */
  get hashKept(): boolean {
    return this.#hashKept;
  }
  /** The upload that wrote the content has ended: the worker kept its hash state, or (`kept` false) has none. */
  set hashKept(kept: boolean) {
    this.#hashKept = kept;
    // An upload that ends into a file already replaced or deleted: nobody will carry on from it.
    if (kept && this.#dropped) this.writer.forget(this.path);
  }
}

/** Files and directories shared by every session of one server, the content in a spool folder. */
export class SpoolTree {
  readonly files = new Map<string, SpoolFile>();
  readonly dirs = new Map<string, Date>([['/', new Date()]]);
  /** The spool folder (made by mkdtemp: mode 0700). */
  readonly dir = mkdtempSync(join(tmpdir(), 'wireprobe-ftp-'));
  /** Writes and hashes uploads off the main thread. */
  readonly writer = new SpoolWriter();
  #next = 0;
  /**
   * `record`, `served`: each upload and download as it ends, with the client's TCP port. `truncateAt`:
   * keep only this many octets of each upload, silently (a planted defect); 0: all.
   */
  constructor(
    preload: Readonly<Record<string, Buffer>>,
    readonly record: (file: StoredFile, port: number) => void,
    readonly truncateAt = 0,
    readonly served: (file: ServedFile, port: number) => void = () => undefined,
  ) {
    for (const [name, data] of Object.entries(preload)) this.place(posix.resolve('/', name), new SpoolFile(this.next(), this.writer, data));
  }
  mkdirs(dir: string): void {
    for (let d = dir; !this.dirs.has(d); d = posix.dirname(d)) this.dirs.set(d, new Date());
  }
  /**
   * A new empty file at `path`, replacing one there (an upload still writing the old one no longer
   * shows); or, given `takeOver`, a new file with `takeOver`'s content, which it takes over.
   */
  create(path: string, takeOver?: SpoolFile): SpoolFile {
    const file = new SpoolFile(takeOver ? takeOver.handOver() : this.next(), this.writer);
    if (takeOver) file.size = takeOver.size;
    else writeFileSync(file.disk, '');
    this.place(path, file);
    return file;
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
  /** The content of the file at `path`, read whole (for tests and the runner's checks of small files). */
  content(path: string): Buffer | undefined {
    return this.files.get(path)?.content();
  }
  /** Removes the spool folder at once (a second Ctrl-C exits without waiting for `remove`). */
  removeNow(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
  /** Ends the writer (every upload settled first) and removes the spool folder. */
  async remove(): Promise<void> {
    await this.writer.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Calls `abort` when the data connection closes before `done()` says the transfer is over. */
export function onDataLost(socket: Socket | null | undefined, done: () => boolean, abort: () => void): void {
  if (!socket) return;
  if (socket.destroyed) abort();
  else socket.once('close', () => !done() && abort());
}

/** The octets a new upload keeps of an old file: REST's offset or APPE's whole file, at most. */
export interface Prefix {
  readonly from: SpoolFile;
  readonly bytes: number;
}

/**
 * The upload sink: the file is created when STOR starts, gets the REST/APPE prefix of the old file
 * (copied, or the old file itself when the upload appends to it and no other transfer has it open), and
 * grows as octets arrive; written and hashed in the spool's worker (./spool-writer.ts); recorded once,
 * complete or not, when the worker has closed it.
 */
export function sink(tree: SpoolTree, path: string, prefix: Prefix | undefined, socket: Socket | null | undefined, port = 0): Writable {
  const old = prefix?.from;
  const keep = Math.min(prefix?.bytes ?? 0, old?.size ?? 0, tree.truncateAt > 0 ? tree.truncateAt : Infinity);
  // In place only with the whole old content kept and its hash state at hand: nothing to read first,
  // so the hash always covers exactly what the file holds, even for an upload cut at once.
  const carried = old && keep > 0 && keep === old.size && old.users === 0 && old.hashKept ? old : undefined;
  // Opened before create() drops the old file's content when the upload replaces it.
  const source = old && keep > 0 && !carried ? openSync(old.disk, 'r') : undefined;
  const file = tree.create(path, carried);
  const fd = openSync(file.disk, carried ? 'a' : 'w');
  file.users++;
  let received = 0;
  /** Octets handed to the worker, the prefix included: what the file holds once it has written them. */
  let posted = carried ? file.size : keep;
  let pending = 0;
  let failure: Error | undefined;
  let resume: ((error?: Error | null) => void) | undefined;
  const upload = tree.writer.open(
    fd,
    {
      copied: (bytes) => void (file.size += bytes),
      written: (bytes, error) => {
        pending -= bytes;
        if (error === undefined) file.size += bytes;
        else failure ??= new Error(error);
        file.mtime = new Date();
        if (resume && (failure || pending <= WINDOW)) {
          const callback = resume;
          resume = undefined;
          callback(failure);
        }
      },
    },
    { carry: carried?.disk, prefix: source === undefined ? undefined : { fd: source, bytes: keep } },
  );
  const base = file.size;
  let settled = false;
  /** Records the upload once; the error that stopped its writes, if one did. */
  const settle = (complete: boolean): Error | undefined => {
    if (settled) return undefined;
    settled = true;
    file.users--;
    const end = upload.end(file.disk);
    file.hashKept = end.error === undefined;
    file.size = base + end.bytes;
    file.mtime = new Date();
    tree.record({ path, bytes: file.size, sha256: end.sha256, received, complete: complete && end.error === undefined }, port);
    return end.error === undefined ? undefined : new Error(end.error);
  };
  const append = (chunks: Buffer[]): void => {
    // A planted defect (FtpServerOptions.truncateUploadsAt): the rest is dropped without a word.
    const room = tree.truncateAt > 0 ? tree.truncateAt - posted : Infinity;
    let left = room;
    const kept: Buffer[] = [];
    for (const chunk of chunks) {
      received += chunk.length;
      if (left >= chunk.length) kept.push(chunk);
      else if (left > 0) kept.push(chunk.subarray(0, left));
      left -= chunk.length;
    }
    const bytes = kept.reduce((n, c) => n + c.length, 0);
    if (bytes === 0) return;
    posted += bytes;
    pending += bytes;
    upload.write(kept);
  };
  const stream = new Writable({
    writev(chunks, callback) {
      if (failure) return callback(failure);
      append(chunks.map((c) => c.chunk as Buffer));
      // Backpressure: past the window, the next chunk waits until the worker has written enough.
      if (pending <= WINDOW) callback();
      else resume = callback;
    },
    final(callback) {
      // ftp-srv: on a data socket error it calls end() and then destroy(error) on the stream in one go;
      // wait a tick so that abort is not recorded as a complete upload. Recorded before 'finish' (226).
      process.nextTick(() => callback(stream.destroyed ? undefined : settle(true)));
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
    () => stream.destroy(new Error('Data connection closed; transfer aborted')),
  );
  return stream;
}
