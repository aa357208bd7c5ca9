/**
 * The mock SMTP server's message spool: each accepted message's content in a file of a private folder
 * (mkdtemp: mode 0700), so a test can read what arrived while the server's memory stays flat. The
 * folder goes with close(), with the server's AbortSignal (Ctrl-C), and at process exit.
 *
 *   onData ─► hash + count ─┐
 *          └─► spool/N ─────┴─► 'finish' ─► message recorded (spooled: spool/N) ─► 250
 */
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { removeAtExit } from '../../src/util/exit-removal.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A private folder of message files, removed once. */
export class MessageSpool {
  /** The spool folder. */
  readonly dir = mkdtempSync(join(tmpdir(), 'wireprobe-smtp-'));
  /** The folder goes at the process's exit too, should it exit before `remove`. */
  readonly #letGo = removeAtExit(this.dir);
  #next = 0;
  readonly #signal: AbortSignal;
  // Bound once, so the same function is added to and removed from the signal.
  readonly #removeNow = (): void => rmSync(this.dir, { recursive: true, force: true });

  /** `signal`: aborting it removes the folder at once (the command's Ctrl-C). */
  constructor(signal: AbortSignal) {
    this.#signal = signal;
    signal.addEventListener('abort', this.#removeNow, { once: true });
    if (signal.aborted) this.#removeNow();
  }

  /** A new file for one message: its path, and the stream writing it (mode 0600). */
  open(): { readonly path: string; readonly out: WriteStream } {
    const path = join(this.dir, String(++this.#next));
    return { path, out: createWriteStream(path, { mode: 0o600 }) };
  }

  /** Removes one message's file (it was forgotten, or not accepted). */
  drop(path: string): void {
    rmSync(path, { force: true });
  }

  /** Removes the folder and every file in it. */
  async remove(): Promise<void> {
    this.#signal.removeEventListener('abort', this.#removeNow);
    await rm(this.dir, { recursive: true, force: true });
    this.#letGo();
  }
}
