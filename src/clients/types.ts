/**
 * The seam between the engine and a client: a job to run, and the client's raw report of it.
 * Adapters never throw for what happens on the wire; `classify` turns a report into an Outcome.
 */
import type { FtpMode, Sends, Timeouts, TlsMode } from '../engine/types.js';
import type { Digest } from '../util/digest.js';

/** One SMTP send. */
export interface SmtpJob {
  readonly host: string;
  readonly port: number;
  readonly from: string;
  readonly to: readonly string[];
  /** The raw RFC 5322 message, CRLF line endings, sent as is. */
  readonly message: Buffer;
  readonly timeouts: Timeouts;
  /** How the client uses TLS (STARTTLS required, certificate verified or not); default `none`. */
  readonly tls?: TlsMode;
}

/** A client's failure, in its own terms: codes only, the message kept for people. */
export interface ClientError {
  /** The client's error code (nodemailer: ECONNECTION, ESOCKET, ETIMEDOUT, EENVELOPE...). */
  readonly code?: string;
  /** The socket-level code underneath, when the client keeps it (ECONNRESET, EPIPE, ECONNREFUSED). */
  readonly cause?: string;
  /** The SMTP reply code the client failed on, if any. */
  readonly responseCode?: number;
  /** The command the client was waiting on, in its own terms (nodemailer: CONN, EHLO, DATA...). */
  readonly command?: string;
  /** A process client's exit code. */
  readonly exitCode?: number;
  readonly message: string;
}

/** What a client reported. */
export type ClientReport =
  /**
   * `received`: a download's size and SHA-256, of the file as the client wrote it out: the verdict
   * compares it with the file served (a short download reported complete is a deviation).
   */
  | { readonly ok: true; readonly detail: string; readonly received?: Digest }
  | { readonly ok: false; readonly error: ClientError };

export type { FtpMode };

/** One FTP transfer: log in, move one file in one mode, quit. */
export interface FtpJob {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Never printed: adapters pass it on without logging it. */
  readonly password: string;
  readonly mode: FtpMode;
  /** `upload`: STOR `data` to `path`. `download`: RETR `path`, its size and SHA-256 come back in `received`. */
  readonly direction: 'upload' | 'download';
  /** Absolute remote path, e.g. `/wireprobe/upload-1.bin`. */
  readonly path: string;
  /** The upload's content (empty for downloads). */
  readonly data: Buffer;
  readonly timeouts: Timeouts;
  /**
   * After a failed upload, reconnect once and resume where the server's file ends (SIZE, then REST+STOR
   * or APPE), if the client can. Default false: one attempt as the client does it by default.
   */
  readonly resume?: boolean;
  /** The local address to connect from (a loopback address such as 127.0.0.2); only for adapters that `bind`. */
  readonly source?: string;
}

/** Fields every adapter has. */
interface AdapterBase {
  /** Stable name, used in ids, reports and `--client`. */
  readonly name: string;
  /** One line on what this client is. */
  readonly description: string;
  /** A program it needs on PATH, and how to install it; absent: nothing to install. */
  readonly requires?: { readonly command: string; readonly install: string };
}

/** An FTP client. */
export interface FtpClientAdapter extends AdapterBase {
  readonly protocol: 'ftp';
  /** The data-connection modes it can use, each run separately. */
  readonly modes: readonly FtpMode[];
  /** It can resume an upload (see FtpJob.resume). */
  readonly resumes: boolean;
  /** It can connect from a chosen local address (see FtpJob.source). */
  readonly binds: boolean;
  /**
   * What its exit codes mean (see classify's ExitMeaning): `timeout`, `reply` (failed on a server
   * reply), `ended` (gave up on the session), `wire` (a connection failure the code does not tell apart).
   */
  readonly exitCodes?: Readonly<Record<number, 'timeout' | 'reply' | 'ended' | 'wire'>>;
  /** Runs one transfer; resolves (never rejects) for anything the network or server does. */
  run(job: FtpJob, signal: AbortSignal): Promise<ClientReport>;
}

/** A client wireprobe can drive. */
export type ClientAdapter = SmtpClientAdapter | FtpClientAdapter;

/** An SMTP client. */
export interface SmtpClientAdapter extends AdapterBase {
  readonly protocol: 'smtp';
  /**
   * What the client does to a message on its own, so the sink is checked against what it meant to
   * send (swaks always ends the data with an empty line); absent: it sends the message as is.
   */
  readonly transforms?: (message: Buffer) => Buffer;
  /**
   * Runs one job. Must resolve (never reject) for anything the network or server does; `signal`
   * aborts at the runner's deadline, after which the result is ignored.
   */
  run(job: SmtpJob, signal: AbortSignal): Promise<ClientReport>;
  /** Keeps connections open between messages (a pool): it can express scenarios that need one. */
  readonly pools?: boolean;
  /**
   * Sends several messages with one client instance (one pool), one report per job in order; absent:
   * the runner calls `run` once per message.
   */
  runMany?(jobs: readonly SmtpJob[], sends: Sends, signal: AbortSignal): Promise<ClientReport[]>;
}
