/**
 * The seam between the engine and a client: a job to run, and the client's raw report of it.
 * Adapters never throw for what happens on the wire; `classify` turns a report into an Outcome.
 */
import type { Protocol, Sends, Timeouts, TlsMode } from '../engine/types.js';

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
  | { readonly ok: true; readonly detail: string }
  | { readonly ok: false; readonly error: ClientError };

/** A client wireprobe can drive. */
export interface ClientAdapter {
  /** Stable name, used in ids, reports and `--client`. */
  readonly name: string;
  readonly protocol: Protocol;
  /** One line on what this client is. */
  readonly description: string;
  /**
   * What the client does to a message on its own, so the sink is checked against what it meant to
   * send (swaks always ends the data with an empty line); absent: it sends the message as is.
   */
  readonly transforms?: (message: Buffer) => Buffer;
  /** A program it needs on PATH, and how to install it; absent: nothing to install. */
  readonly requires?: { readonly command: string; readonly install: string };
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
