/** What the mock FTP server records of each transfer: its uploads and downloads, as values. */

/**
 * One upload (STOR, APPE, STOU, or REST then STOR). An aborted upload (data connection reset or
 * closed without EOF, control connection gone, server closed) is recorded with `complete: false`
 * and its partial content is kept, as a disk-backed server would keep the partial file. A data
 * connection closed with a clean FIN is end-of-file in stream mode (RFC 959 §3.4.1): complete.
 */
export interface StoredFile {
  /** Absolute path, e.g. '/a.bin'. */
  readonly path: string;
  /** Size of the file as stored: the REST/APPE prefix kept plus the octets received. */
  readonly bytes: number;
  /** SHA-256 of the file as stored, lowercase hex, computed while the data streamed. */
  readonly sha256: string;
  /** Octets that arrived on the data connection in this transfer. */
  readonly received: number;
  /** true: the data connection ended with EOF and 226 follows; false: the transfer was aborted. */
  readonly complete: boolean;
}

/** One download (RETR, from its REST offset if any). */
export interface ServedFile {
  /** Absolute path, e.g. '/a.bin'. */
  readonly path: string;
  /** Octets the transfer was to send: the file's size less the REST offset. */
  readonly size: number;
  /** Octets handed to the data connection. */
  readonly sent: number;
  /** true: all `size` octets were handed over; false: the transfer was aborted. */
  readonly complete: boolean;
}
