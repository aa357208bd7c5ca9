/**
 * The seam between the engine and a client: a job to run, and the client's raw report of it.
 * Adapters never throw for what happens on the wire; `classify` turns a report into an Outcome.
 * The words a job is made of (timeouts, TLS mode, FTP mode, several sends) live here, and the engine's
 * scenarios reuse them: clients depend on nothing of the engine's.
 */
import type { Content } from '../util/content.js';
import type { Digest } from '../util/digest.js';

/**
 * How an FTP client opens data connections: `passive` (PASV/EPSV: the client connects to the server,
 * RFC 959 §4.1.1, RFC 2428 §3) or `active` (PORT/EPRT: the server connects back to the client).
 */
export type FtpMode = 'passive' | 'active';

export interface Timeouts {
  /** Client connect timeout, ms. */
  readonly connect: number;
  /** Client greeting timeout, ms. */
  readonly greeting: number;
  /** Client socket inactivity timeout, ms. */
  readonly socket: number;
  /** The runner's hard deadline for the whole client run, ms; past it the client is `hung`. */
  readonly deadline: number;
}

/**
 * How a client uses TLS. `none`: plaintext, STARTTLS (or AUTH TLS) ignored even when offered.
 * `starttls`: the client requires STARTTLS (RFC 3207 §4; FTP: AUTH TLS, RFC 4217) and does not verify
 * the certificate. `starttls-verify`: it requires it and verifies the certificate, against the job's
 * `ca` when given (the run's private CA), else the system's CAs (so a self-signed one must be rejected).
 * `implicit` / `implicit-verify`: TLS from the first octet (SMTP submission on 465, RFC 8314 §3.3; FTPS
 * on 990), without or with verification as above.
 */
export type TlsMode = 'none' | 'starttls' | 'starttls-verify' | 'implicit' | 'implicit-verify';

/** Several messages in one run (a burst, or sends spread out in time). */
export interface Sends {
  /** How many messages; each is distinct (its own Message-ID and SHA-256). */
  readonly count: number;
  /** `parallel`: all at once. `sequential`: one after another, the client idle `gapMs` between. */
  readonly mode: 'parallel' | 'sequential';
  /** Idle time between sequential sends, ms; default 0. */
  readonly gapMs?: number;
  /** Connections a pooled client may open at once (nodemailer's maxConnections); default 1. */
  readonly connections?: number;
}

/** One SMTP send. */
export interface SmtpJob {
  readonly host: string;
  readonly port: number;
  readonly from: string;
  readonly to: readonly string[];
  /**
   * The raw RFC 5322 message, CRLF line endings, sent as is: made as it is read (`content.stream()`, or
   * `bytes()` for the whole of it), never held whole in between, whatever its size.
   */
  readonly content: Content;
  readonly timeouts: Timeouts;
  /** How the client uses TLS (STARTTLS required, certificate verified or not); default `none`. */
  readonly tls?: TlsMode;
  /** A PEM file of the CA a `-verify` mode trusts (the run's private CA, src/tls/ca.ts); absent: the system's CAs. */
  readonly ca?: string;
  /** SMTP AUTH credentials (a user's own server); absent: no AUTH. Never printed: adapters pass them on without logging them. */
  readonly auth?: { readonly user: string; readonly password: string };
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
  /**
   * What a failure says whose codes classify does not know, for a client without exit codes; a module
   * client's is `wire` (a failure reply the last word: reply), and so is a command client's killed by a
   * signal the runner did not send; absent: the wire alone decides.
   */
  readonly meaning?: ExitMeaning;
  readonly message: string;
}

/** What a client reported. */
export type ClientReport =
  /**
   * `received`: a download's size and SHA-256, of the file as the client wrote it out: the verdict
   * compares it with the file served (a short download reported complete is a deviation).
   */
  { readonly ok: true; readonly detail: string; readonly received?: Digest } | { readonly ok: false; readonly error: ClientError };

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
  /** The upload's content, made as it is read like SmtpJob.content (empty for downloads). */
  readonly content: Content;
  readonly timeouts: Timeouts;
  /**
   * After a failed upload, reconnect once and resume where the server's file ends (SIZE, then REST+STOR
   * or APPE), if the client can. Default false: one attempt as the client does it by default.
   */
  readonly resume?: boolean;
  /** The local address to connect from (a loopback address such as 127.0.0.2); only for adapters that `bind`. */
  readonly source?: string;
  /** How the client uses TLS (AUTH TLS with PROT P, or implicit FTPS); default `none`. See TlsMode. */
  readonly tls?: TlsMode;
  /** A PEM file of the CA a `-verify` mode trusts; absent: the system's CAs. */
  readonly ca?: string;
}

/**
 * What an exit code says. `reply`: the client failed on a server reply (the code is the last reply it
 * was shown). `ended`: the client gave up on the session (a TLS or protocol failure): after a failure
 * reply `reply`, after an RST `reset`, else `closed` (it closed the connection itself; never a
 * timeout). `wire`: a connection failure the code does not tell apart (RST, FIN, timeout).
 * `reset`, `closed`, `refused`: the code says which connection failure it was (a user's exit-code map).
 */
export type ExitMeaning = 'timeout' | 'reply' | 'ended' | 'wire' | 'reset' | 'closed' | 'refused';

/** A process client's exit codes and what each says, from its documentation and measured against the proxy. */
export type ExitCodes = Readonly<Record<number, ExitMeaning>>;

/** Fields every adapter has. */
interface AdapterBase {
  /** Stable name, used in ids, reports and `--client`. */
  readonly name: string;
  /** One line on what this client is. */
  readonly description: string;
  /** A program it needs on PATH, and how to install it; absent: nothing to install. */
  readonly requires?: {
    readonly command: string;
    readonly install: string;
    /** Where the program is when that is more than `command` on PATH (Exim: on PATH, else where it was unpacked); undefined: not there. */
    readonly locate?: () => Promise<string | undefined>;
  };
  /** What its exit codes mean, for classify (a process client); absent: it has none (in process). */
  readonly exitCodes?: ExitCodes;
  /**
   * The largest content it holds whole in memory, in wireprobe (a client module's `message` or `data`,
   * nodemailer's Buffer) or in its own process (a script that reads stdin whole): Infinity for any size;
   * absent: none, it streams it.
   */
  readonly holdsContent?: number;
  /**
   * It has no way to be told how to use TLS (a command template): scenarios that need STARTTLS or
   * implicit TLS (SMTP), AUTH TLS or implicit FTPS are `n/a`.
   */
  readonly plaintextOnly?: boolean;
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
  /** The directions it can transfer in; absent: both. */
  readonly directions?: readonly FtpJob['direction'][];
  /** Runs one transfer; resolves (never rejects) for anything the network or server does. */
  run(job: FtpJob, signal: AbortSignal): Promise<ClientReport>;
}

/** A client wireprobe can drive. */
export type ClientAdapter = SmtpClientAdapter | FtpClientAdapter;

/** An SMTP client. */
export interface SmtpClientAdapter extends AdapterBase {
  readonly protocol: 'smtp';
  /**
   * What the client adds after a message on its own, so the sink is checked against what it meant to
   * send (swaks always ends the data with an empty line); absent: it sends the message as is.
   */
  readonly trailer?: Buffer;
  /**
   * Runs one job. Must resolve (never reject) for anything the network or server does; `signal`
   * aborts at the runner's deadline, after which the result is ignored.
   */
  run(job: SmtpJob, signal: AbortSignal): Promise<ClientReport>;
  /** Keeps connections open between messages (a pool): it can express scenarios that need one. */
  readonly pools?: boolean;
  /** It sends BDAT chunks (RFC 3030) to a server that offers CHUNKING: it can express scenarios that need BDAT. */
  readonly sendsBdat?: boolean;
  /** It logs in with the job's `auth` (SMTP AUTH, RFC 4954): it can express scenarios whose server requires AUTH. */
  readonly authenticates?: boolean;
  /**
   * It composes its own message (mailx, an application's templates) instead of sending the job's: what
   * the server stored is counted (nothing lost, nothing twice), not compared octet for octet with the
   * job's message, which it never sent.
   */
  readonly composes?: boolean;
  /**
   * Sends several messages with one client instance (one pool), one report per job in order; absent:
   * the runner calls `run` once per message.
   */
  runMany?(jobs: readonly SmtpJob[], sends: Sends, signal: AbortSignal): Promise<ClientReport[]>;
}
