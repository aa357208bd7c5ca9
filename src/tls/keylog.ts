/**
 * `--keylog FILE`: the TLS session secrets of every session the proxy terminates, both legs, in the NSS
 * key log format (what SSLKEYLOGFILE holds; Wireshark reads it to decrypt a `--pcap` capture). Lines are
 * appended as Node's `keylog` events give them; the file is made private (mode 0600): it holds secrets.
 */
import { createWriteStream, type WriteStream } from 'node:fs';

/** An open key log file. */
export interface KeylogFile {
  /** Appends one key log line (as Node gives it, its newline included). */
  readonly write: (line: Buffer) => void;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

/** Opens `path` for appending key log lines; a write error is told to `onError` once, later lines are dropped. */
export function openKeylog(path: string, onError: (message: string) => void): KeylogFile {
  const stream: WriteStream = createWriteStream(path, { flags: 'a', mode: 0o600 });
  let failed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (failed) return;
    failed = true;
    onError(`--keylog ${path}: ${error.code ?? error.message}; no more keys are logged`);
  });
  return {
    write: (line) => {
      if (!failed) stream.write(line);
    },
    close: () => new Promise((resolve) => (failed || stream.closed ? resolve() : stream.end(() => resolve()))),
  };
}
