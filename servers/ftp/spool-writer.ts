/**
 * Where uploads are written to the spool and hashed: in one worker thread per server, so the main
 * thread only reads data connections. SHA-256 and the file system's copy cost more than the socket
 * reads; on the main thread they capped a 1 GiB curl upload at a fraction of vsftpd's rate.
 *
 *   data socket ─► sink (main thread) ── chunks, moved, never copied ──► worker ─► writev (thread pool)
 *                     ▲                                                         └─► SHA-256 of what is
 *                     │                                                             written, while the
 *                     │                                                             next batch is written
 *                     ├── acks: octets written (the file's size; room in the window)
 *                     └── at the end: size and SHA-256 of the file ──► StoredFile
 *
 * One worker, one queue: messages are handled in the order they were posted, so an upload that builds
 * on an earlier one (APPE carrying its hash state on, REST copying its prefix) finds it finished.
 * An upload's end waits for the worker synchronously (at most a window of writes): the upload is
 * recorded where it was before, ahead of the 226 or 426 that ftp-srv sends without waiting for us.
 * The worker holds the process open only while an upload is open; close() ends it.
 */
import { closeSync } from 'node:fs';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';

/** Octets posted to the worker and not yet written, per upload, before the sink stops taking more. */
export const WINDOW = 1024 * 1024;
/** How long an upload's end waits for the worker before it is taken for dead (our own bug). */
const END_WAIT_MS = 60_000;

/**
 * The worker, plain CommonJS evaluated as is (a file would need the TypeScript loader in the worker,
 * which neither tsx's register() nor vitest hand down to worker threads).
 * Messages in: start {ends, signal} (once), open {id, fd, carry?, prefix?: {fd, bytes}}, data {id,
 * chunks}, end {id, keepAs}, forget {key}. Out: copied {id, bytes}, written {id, bytes, error?}; on
 * \`ends\`: {id, bytes, sha256, error?}, then \`signal\` counts up. The main thread closes the descriptors
 * (a worker closing one it did not open gets a warning).
 */
const WORKER_SOURCE = `
const { MessageChannel, parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { readSync, writev, writevSync } = require('node:fs');
const COPY_BLOCK = 1024 * 1024;
// Chunks per writev (below IOV_MAX).
const MAX_IOV = 256;
const uploads = new Map();
// SHA-256 states over whole spool files, by spool path, left by the upload that wrote each (APPE carries on).
const kept = new Map();
let ends;
let signal;
// A written chunk's memory is freed at once by moving it into a closed port (the message is dropped):
// left to the garbage collector, tens of MiB of them pile up before it runs.
const discard = new MessageChannel().port1;
discard.close();
const total = (chunks) => chunks.reduce((n, c) => n + c.length, 0);
/** Writes all of chunks, in the thread pool: the worker hashes the batch written before meanwhile. */
function writeAll(fd, chunks, done) {
  writev(fd, chunks, (error, written) => {
    if (error) return done(error);
    const rest = chunks.slice();
    while (rest.length > 0 && written >= rest[0].length) written -= rest.shift().length;
    if (written > 0) rest[0] = rest[0].subarray(written);
    if (rest.length === 0) return done();
    writeAll(fd, rest, done);
  });
}
function open(m) {
  const carried = m.carry === undefined ? undefined : kept.get(m.carry);
  const up = { id: m.id, fd: m.fd, hash: carried ? carried.copy() : createHash('sha256'), size: 0, error: undefined, queue: [], writing: false, ending: undefined };
  uploads.set(m.id, up);
  if (!m.prefix) return;
  let at = 0;
  try {
    const block = Buffer.allocUnsafe(Math.min(m.prefix.bytes, COPY_BLOCK));
    while (at < m.prefix.bytes) {
      const n = readSync(m.prefix.fd, block, 0, Math.min(block.length, m.prefix.bytes - at), at);
      if (n === 0) break; // the old file was cut shorter meanwhile
      const part = block.subarray(0, n);
      for (let left = part; left.length > 0; ) left = left.subarray(writevSync(up.fd, [left]));
      up.hash.update(part);
      at += n;
    }
  } catch (error) {
    up.error = String(error && error.message);
  }
  up.size += at;
  parentPort.postMessage({ op: 'copied', id: m.id, bytes: at });
}
/** Hashes only what is on disk, so the hash covers exactly the file; the next batch is written meanwhile. */
function pump(up) {
  while (!up.writing && up.queue.length > 0) {
    const batch = up.queue.splice(0, MAX_IOV);
    if (up.error) {
      settled(up, batch);
      continue;
    }
    up.writing = true;
    writeAll(up.fd, batch, (error) => {
      up.writing = false;
      if (error) up.error = String(error.message);
      pump(up);
      if (!error) {
        for (const chunk of batch) up.hash.update(chunk);
        up.size += total(batch);
      }
      settled(up, batch);
      finish(up);
    });
  }
  if (up.error) finish(up);
}
function settled(up, batch) {
  const bytes = total(batch);
  discard.postMessage(null, [...new Set(batch.map((c) => c.buffer))]);
  parentPort.postMessage({ op: 'written', id: up.id, bytes, error: up.error });
}
/** Answers the end once everything posted before it is written and hashed. */
function finish(up) {
  if (!up.ending || up.writing || up.queue.length > 0) return;
  uploads.delete(up.id);
  kept.set(up.ending.keepAs, up.hash.copy());
  ends.postMessage({ id: up.id, bytes: up.size, sha256: up.hash.digest('hex'), error: up.error });
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}
parentPort.on('message', (m) => {
  if (m.op === 'data') {
    const up = uploads.get(m.id);
    up.queue.push(...m.chunks.filter((c) => c.length > 0));
    pump(up);
  } else if (m.op === 'end') {
    const up = uploads.get(m.id);
    up.ending = m;
    finish(up);
  } else if (m.op === 'open') open(m);
  else if (m.op === 'start') (ends = m.ends), (signal = new Int32Array(m.signal));
  else if (m.op === 'forget') kept.delete(m.key);
});
`;

type FromWorker =
  | { readonly op: 'copied'; readonly id: number; readonly bytes: number }
  | { readonly op: 'written'; readonly id: number; readonly bytes: number; readonly error?: string };

/** What the worker tells one upload: octets now on disk (or why writing stopped). */
export interface UploadEvents {
  /** `bytes` octets of the REST/APPE prefix copied. */
  copied(bytes: number): void;
  /** `bytes` octets of posted data handled: on disk unless `error`, from when on nothing more is written. */
  written(bytes: number, error: string | undefined): void;
}

/** The end of one upload: octets it wrote (prefix included), the SHA-256 of its file, and the error that stopped its writes, if one did. */
export interface UploadEnd {
  readonly bytes: number;
  readonly sha256: string;
  readonly error: string | undefined;
}

/** One upload's line to the worker. */
export interface UploadChannel {
  /**
   * Posts `chunks` to be written in order. A chunk alone in its ArrayBuffer (every socket read) is
   * moved to the worker, no longer usable here; a slice of a larger one is copied.
   */
  write(chunks: readonly Buffer[]): void;
  /**
   * Waits (blocking) for the worker to write what was posted, closes the file, and returns how it
   * ended; the worker keeps the hash state under `keepAs` for an APPE to carry on from. Idempotent.
   */
  end(keepAs: string): UploadEnd;
}

/** The spool's writer: one worker, started with the first upload. */
export class SpoolWriter {
  #worker: Worker | undefined;
  #ends: MessagePort | undefined;
  /** Counts the worker's answers on #ends up; waited on with Atomics. */
  readonly #signal = new Int32Array(new SharedArrayBuffer(4));
  #next = 0;
  readonly #events = new Map<number, UploadEvents>();
  #failure: string | undefined;

  /**
   * Starts an upload into `fd` (closed at its end), hashing from scratch or carrying on from the state
   * kept under `carry`; `prefix`: first copy that many octets from `prefix.fd` (closed at the end too).
   */
  open(
    fd: number,
    events: UploadEvents,
    options: { readonly carry?: string; readonly prefix?: { readonly fd: number; readonly bytes: number } } = {},
  ): UploadChannel {
    const id = ++this.#next;
    const worker = this.#start();
    if (this.#events.size === 0) worker.ref();
    this.#events.set(id, events);
    worker.postMessage({ op: 'open', id, fd, carry: options.carry, prefix: options.prefix });
    let ended: UploadEnd | undefined;
    return {
      write: (chunks) => {
        const moved: ArrayBuffer[] = [];
        const sent = chunks.map((chunk) => {
          if (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength) return (moved.push(chunk.buffer as ArrayBuffer), chunk);
          const copy = new Uint8Array(chunk);
          moved.push(copy.buffer);
          return copy;
        });
        worker.postMessage({ op: 'data', id, chunks: sent }, moved);
      },
      end: (keepAs) => {
        if (ended) return ended;
        const seen = Atomics.load(this.#signal, 0);
        worker.postMessage({ op: 'end', id, keepAs });
        ended = this.#awaitEnd(id, seen);
        closeSync(fd);
        if (options.prefix) closeSync(options.prefix.fd);
        this.#events.delete(id);
        if (this.#events.size === 0) worker.unref();
        return ended;
      },
    };
  }

  /** Drops the hash state kept under `key` (its file is gone). */
  forget(key: string): void {
    this.#worker?.postMessage({ op: 'forget', key });
  }

  /** Ends the worker (after every upload has ended). */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#ends?.close();
    if (worker) await worker.terminate();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    // No execArgv: the parent's (--import tsx, --input-type=module...) would change how the source runs.
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
    const { port1, port2 } = new MessageChannel();
    worker.postMessage({ op: 'start', ends: port2, signal: this.#signal.buffer }, [port2]);
    worker.on('message', (m: FromWorker) => this.#receive(m));
    // Our own bug if it happens: the ends still answer, with the error, and no later upload waits.
    worker.on('error', (error) => (this.#failure = `the spool writer failed: ${error.message}`));
    this.#ends = port1;
    this.#worker = worker;
    return worker;
  }

  /** The worker's answer to `end` for upload `id`, blocking until it comes. */
  #awaitEnd(id: number, seen: number): UploadEnd {
    const deadline = Date.now() + END_WAIT_MS;
    for (;;) {
      const answer = this.#ends && receiveMessageOnPort(this.#ends);
      if (answer) {
        const end = answer.message as UploadEnd & { readonly id: number };
        if (end.id === id) return { bytes: end.bytes, sha256: end.sha256, error: end.error };
        continue;
      }
      const left = deadline - Date.now();
      if (this.#failure !== undefined || left <= 0) return { bytes: 0, sha256: '', error: this.#failure ?? 'the spool writer did not answer' };
      Atomics.wait(this.#signal, 0, seen, left);
      seen = Atomics.load(this.#signal, 0);
    }
  }

  #receive(m: FromWorker): void {
    if (m.op === 'copied') return this.#events.get(m.id)?.copied(m.bytes);
    this.#events.get(m.id)?.written(m.bytes, m.error);
  }
}
