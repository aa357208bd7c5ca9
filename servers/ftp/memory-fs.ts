/** The mock FTP server's in-memory file system: uploads hashed and counted while they stream. */
import { createHash } from 'node:crypto';
import { type Socket } from 'node:net';
import { posix } from 'node:path';
import { Writable } from 'node:stream';
import { FileSystem, type FtpConnection } from 'ftp-srv';
import type { ServedFile, StoredFile } from './transfers.js';
import { fileStream } from '../../src/util/file-stream.js';
import { type Conn, type DataSocket } from './internals.js';

/**
 * One file's octets. An upload in progress appends to its file as it streams, so SIZE and LIST show a
 * partial upload's size at once, as on a disk server (a client resuming after a cut asks for it).
 */
export class MemoryFile {
  #chunks: Buffer[];
  #size: number;
  mtime = new Date();
  constructor(data: Buffer) {
    this.#chunks = [data];
    this.#size = data.length;
  }
  get size(): number { return this.#size; }
  get data(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks, this.#size)];
    return this.#chunks[0]!;
  }
  append(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    this.mtime = new Date();
  }
}

/** Files and directories shared by every session of one server. */
export class MemoryTree {
  readonly files = new Map<string, MemoryFile>();
  readonly dirs = new Map<string, Date>([['/', new Date()]]);
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
    for (const [name, data] of Object.entries(preload)) this.put(posix.resolve('/', name), data);
  }
  mkdirs(dir: string): void {
    for (let d = dir; !this.dirs.has(d); d = posix.dirname(d)) this.dirs.set(d, new Date());
  }
  /** A new file at `path` (replacing one there: an upload still writing the old one no longer shows). */
  put(path: string, data: Buffer): MemoryFile {
    this.mkdirs(posix.dirname(path));
    const file = new MemoryFile(data);
    this.files.set(path, file);
    return file;
  }
}

/** What LIST/SIZE/MDTM read: the fields ftp-srv's 'ls' formatter uses. */
export function statOf(name: string, size: number, mtime: Date, directory: boolean): object {
  return { name, size, mtime, mode: directory ? 0o40755 : 0o100644, uid: 1000, gid: 1000, isDirectory: () => directory };
}

/** Calls `abort` when the data connection closes before `done()` says the transfer is over. */
export function onDataLost(socket: Socket | null | undefined, done: () => boolean, abort: () => void): void {
  if (!socket) return;
  if (socket.destroyed) abort();
  else socket.once('close', () => !done() && abort());
}

/**
 * The upload sink: the file is created (with the REST/APPE prefix) when STOR starts and grows as octets
 * arrive; hashed and counted while streaming; recorded once, complete or not.
 */
export function sink(tree: MemoryTree, path: string, prefix: Buffer, socket: Socket | null | undefined, port = 0): Writable {
  const kept = tree.truncateAt > 0 ? prefix.subarray(0, tree.truncateAt) : prefix;
  const hash = createHash('sha256').update(kept);
  const file = tree.put(path, kept);
  let received = 0;
  let settled = false;
  const settle = (complete: boolean): void => {
    if (settled) return;
    settled = true;
    tree.record({ path, bytes: file.size, sha256: hash.digest('hex'), received, complete }, port);
  };
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      // A planted defect (FtpServerOptions.truncateUploadsAt): the rest is dropped without a word.
      const kept = tree.truncateAt > 0 ? chunk.subarray(0, Math.max(0, tree.truncateAt - file.size)) : chunk;
      hash.update(kept);
      if (kept.length > 0) file.append(kept);
      callback();
    },
    final(callback) {
      // ftp-srv: on a data socket error it calls end() and then destroy(error) on the stream in one go;
      // wait a tick so that abort is not recorded as a complete upload.
      process.nextTick(() => {
        if (!stream.destroyed) settle(true);
        callback();
      });
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
  onDataLost(socket, () => settled || stream.writableEnded, () => stream.destroy(new Error('Data connection closed; transfer aborted')));
  return stream;
}


/** ftp-srv FileSystem over a MemoryTree; `access: 'read'` answers 550 Permission denied to writes. */
export class MemoryFileSystem extends FileSystem {
  private dir = '/';
  constructor(connection: Conn, private readonly tree: MemoryTree, private readonly access: 'read' | 'write') {
    super(connection as unknown as FtpConnection, { root: '/', cwd: '/' });
  }
  private path(name = '.'): string {
    return posix.resolve(this.dir, name.replace(/\\/g, '/'));
  }
  private writable(): void {
    if (this.access === 'read') throw new Error('Permission denied');
  }
  private port(): number {
    return (this.connection as unknown as Conn).commandSocket.remotePort ?? 0;
  }
  private dataSocket(): DataSocket | null {
    return (this.connection as unknown as Conn).connector.socket;
  }
  override currentDirectory(): string {
    return this.dir;
  }
  override async get(name: string): Promise<object> {
    const path = this.path(name);
    const file = this.tree.files.get(path);
    if (file) return statOf(name, file.size, file.mtime, false);
    const dir = this.tree.dirs.get(path);
    if (dir) return statOf(name, 0, dir, true);
    throw new Error('No such file or directory');
  }
  override async list(name = '.'): Promise<object[]> {
    const dir = this.path(name);
    if (!this.tree.dirs.has(dir)) throw new Error('No such directory');
    const inDir = (path: string): boolean => path !== '/' && posix.dirname(path) === dir;
    return [
      ...[...this.tree.dirs].filter(([p]) => inDir(p)).map(([p, mtime]) => statOf(posix.basename(p), 0, mtime, true)),
      ...[...this.tree.files].filter(([p]) => inDir(p)).map(([p, f]) => statOf(posix.basename(p), f.size, f.mtime, false)),
    ];
  }
  override async chdir(name = '.'): Promise<string> {
    const path = this.path(name);
    if (!this.tree.dirs.has(path)) throw new Error('Not a valid directory');
    return (this.dir = path);
  }
  override write(name: string, { append = false, start }: { append?: boolean; start?: number } = {}): object {
    this.writable();
    const path = this.path(name);
    if (this.tree.dirs.has(path) || !this.tree.dirs.has(posix.dirname(path))) throw new Error('No such file or directory');
    const existing = this.tree.files.get(path)?.data ?? Buffer.alloc(0);
    const prefix = append ? existing : existing.subarray(0, start ?? 0);
    return { stream: sink(this.tree, path, prefix, this.dataSocket(), this.port()), clientPath: path };
  }
  override async read(name: string, { start }: { start?: number } = {}): Promise<object> {
    const path = this.path(name);
    const file = this.tree.files.get(path);
    if (!file) throw new Error(this.tree.dirs.has(path) ? 'Cannot read a directory' : 'No such file or directory');
    // ftp-srv attaches 'data' before it sends 150 and resumes the stream after: start paused so no
    // octet reaches the data connection before the 150.
    const data = file.data.subarray(start ?? 0);
    const stream = fileStream(data).pause();
    // ftp-srv: writes to a data socket already destroyed fail at once and it reads on: those chunks never left.
    const socket = this.dataSocket();
    let sent = 0;
    stream.on('data', (chunk: Buffer) => void (socket && !socket.destroyed && (sent += chunk.length))); // explicitly paused: stays paused
    stream.once('close', () => this.tree.served({ path, size: data.length, sent, complete: stream.readableEnded && sent === data.length }, this.port()));
    // ftp-srv: without this a download cut by the client (FIN) would still be answered 226.
    onDataLost(this.dataSocket(), () => stream.readableEnded, () => stream.destroy(new Error('Data connection closed; transfer aborted')));
    return { stream, clientPath: path };
  }
  override async delete(name: string): Promise<void> {
    this.writable();
    const path = this.path(name);
    if (this.tree.files.delete(path)) return;
    if (!this.tree.dirs.has(path) || path === '/') throw new Error('No such file or directory');
    if ([...this.tree.files.keys(), ...this.tree.dirs.keys()].some((p) => p !== path && p.startsWith(`${path}/`))) throw new Error('Directory not empty');
    this.tree.dirs.delete(path);
  }
  override async mkdir(name: string): Promise<string> {
    this.writable();
    const path = this.path(name);
    if (this.tree.files.has(path)) throw new Error('File exists');
    this.tree.mkdirs(path);
    return path;
  }
  override async rename(from: string, to: string): Promise<void> {
    this.writable();
    const file = this.tree.files.get(this.path(from));
    if (!file) throw new Error('No such file (only files can be renamed)');
    this.tree.files.delete(this.path(from));
    this.tree.put(this.path(to), file.data);
  }
  override async chmod(): Promise<void> {
    this.writable();
  }
}

