/**
 * The library's public shapes: what `import { startSmtp, startFtp, startProxy } from 'wireprobe'`
 * gives a test author, and what the control API (`serve --control`) serves as JSON. Plain data where
 * it can be, so the same values go to a test, to JSON and to a report.
 */
import type { Fault } from '../faults/types.js';

/** A fault in the CLI's syntax (`'reset after DATA +64KiB'`) or its object form. */
export type FaultInput = string | Fault;

/** A size in octets, or with a unit (`'10MiB'`, `'64KiB'`). */
export type SizeInput = number | string;

/**
 * Which messages (SMTP) or transfers (FTP) a fault or plan is for. Every field given must match; a
 * string matches exactly (case-insensitively for addresses), a RegExp anywhere. The command in hand
 * decides: MAIL decides `from`, each RCPT `rcpt` (with `from` if given), the transfer command `path`;
 * so a matched fault fires only at triggers at or after that command (`reply 451 before RCPT` with
 * `rcpt` fires at the matching RCPT, never at MAIL). A matched fault lasts to the end of its
 * transaction (the reply to the final dot, RSET, a new MAIL) or transfer (its final reply).
 */
export interface MessageMatch {
  /** SMTP: the MAIL FROM address. */
  readonly from?: string | RegExp;
  /** SMTP: any one RCPT TO address of the transaction. */
  readonly rcpt?: string | RegExp;
  /** FTP: the path named by the transfer command (STOR, RETR, APPE...). */
  readonly path?: string | RegExp;
}

/** Where an armed fault or a plan applies. */
export interface ArmOptions {
  /**
   * The 1-based connection number on this server (connections are counted from start, shared by
   * everything that connects to it); default every connection.
   */
  readonly connection?: number;
  /**
   * Only transactions (SMTP) or transfers (FTP) matching this; default all. Applies on connections
   * accepted after it was armed. Parallel tests sharing one server are kept apart only by `match`
   * (connection numbers are shared by everything that connects), or by a server each.
   */
  readonly match?: MessageMatch;
}

/** How a session ended, from the proxy's view of both connections. */
export interface SessionEnding {
  /** Who closed or cut first. */
  readonly by: 'client' | 'server' | 'proxy';
  /** How the client's connection ended: the proxy's RST or FIN to it, or the client's own when it left first. */
  readonly how: 'rst' | 'fin';
}

/** One client connection, as the proxy saw it. */
export interface SessionRecord {
  /** 1-based connection number on this server. */
  readonly index: number;
  /** The protocol phase the client reached (`greeting`, `mail`, `data`, `transfer`...). */
  readonly phase: string;
  /** The transcript, credentials redacted. */
  readonly transcript: readonly string[];
  /** The faults that fired on it, in the CLI's syntax. */
  readonly faultsFired: readonly string[];
  /** null while the session is open. */
  readonly ended: SessionEnding | null;
}

/** One message the mock SMTP server accepted (answered 250 to its end of data). */
export interface ReceivedMessage {
  readonly from: string;
  readonly to: readonly string[];
  /** Octets of the content, dot-unstuffed. */
  readonly bytes: number;
  /** SHA-256 of the content, lowercase hex. */
  readonly sha256: string;
  /** The connection number that delivered it. */
  readonly session: number;
  /** The content, read from the spool on demand (memory stays bounded however much arrives). */
  raw(): Promise<Buffer>;
}

/** One upload the mock FTP server recorded (complete or aborted). */
export interface ReceivedUpload {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  /** Octets that arrived on the data connection in this transfer. */
  readonly received: number;
  /** true: the data connection ended with EOF and 226 followed. */
  readonly complete: boolean;
  /** The connection number whose control session stored it. */
  readonly session: number;
  /** The file now at `path`, read from the spool on demand (a later upload to that path replaces it). */
  raw(): Promise<Buffer>;
}

/** What every started mock and proxy offers. */
export interface Controllable {
  /** `smtp://HOST:PORT` or `ftp://HOST:PORT`: where clients connect (the fault proxy). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Every connection so far, in connection order (a live view). */
  readonly sessions: readonly SessionRecord[];
  /**
   * Adds a fault, for every later connection or as `options` says. A connection's faults are looked
   * up as it is accepted: an open connection keeps those it was accepted with.
   */
  arm(fault: FaultInput, options?: ArmOptions): void;
  /**
   * One entry per connection (or per matching message or transfer with `match`), in order: the 1st
   * gets `faults[0]`, the 2nd `faults[1]`...; `'pass'` leaves one untouched; past the end, nothing.
   * Counting starts with the first connection (or matching message) after the call. Plans are
   * deterministic: nothing in wireprobe draws at random, so a test replays the same way every run.
   */
  plan(faults: readonly (FaultInput | 'pass')[], options?: Pick<ArmOptions, 'match'>): void;
  /** Removes every armed fault and plan (the start-up faults included); open sessions keep theirs. */
  disarm(): void;
  /** Stops listening and ends every session; removes the spool. Idempotent. */
  close(): Promise<void>;
}

/** What every start takes: the faults from the start, where to listen, how much to keep. */
export interface StartCommonOptions {
  /** Faults for every connection from the start (arm, plan and disarm change them later). */
  readonly faults?: readonly FaultInput[];
  /** Address to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** Port for clients; default 0 (any free port). */
  readonly port?: number;
  /**
   * Messages or uploads kept, and finished sessions kept in `sessions` (older ones only counted);
   * default all. Each message and its session kept take about 3.5 KB.
   */
  readonly keep?: number;
  /** Aborting it removes the spool folder at once (a Ctrl-C handler's job); default never. */
  readonly signal?: AbortSignal;
}

export interface StartSmtpOptions extends StartCommonOptions {
  /** Advertised as SIZE; larger messages get 552; default none. */
  readonly sizeLimit?: SizeInput;
  /** AUTH PLAIN/LOGIN with these users; `required: true` answers 530 to MAIL without it. */
  readonly auth?: { readonly users: Readonly<Record<string, string>>; readonly required?: boolean };
  /**
   * 'starttls' offers STARTTLS (RFC 3207); 'implicit' is TLS from the first octet (RFC 8314 §3.3, port
   * 465 style; the url is then `smtps://`); either presents a certificate for loopback issued by a
   * private CA made for this server (the mock's `ca`); default 'off'.
   */
  readonly tls?: 'off' | 'starttls' | 'implicit';
  /** 'on' offers CHUNKING (RFC 3030): messages may come in BDAT chunks, kept as DATA's are; default 'off'. */
  readonly chunking?: 'off' | 'on';
}

export interface SmtpMock extends Controllable {
  /** Accepted messages, in order (a live view). */
  readonly messages: readonly ReceivedMessage[];
  /**
   * Resolves with the `count`th message accepted from now (default the next one); rejects with a
   * WireprobeError after `timeout` ms (default 10000).
   */
  waitForMessage(options?: { readonly timeout?: number; readonly count?: number }): Promise<ReceivedMessage>;
  /** Forgets the messages received so far (their spool files too). */
  clearMessages(): void;
  /** The CA certificate (PEM) that issued the certificate TLS presents, for clients to trust; absent with `tls: 'off'`. */
  readonly ca?: string;
}

export interface StartFtpOptions extends StartCommonOptions {
  /** Known users, name to password; default anonymous only. */
  readonly users?: Readonly<Record<string, string>>;
  readonly anonymous?: 'off' | 'read' | 'write';
  /** Files present for downloads, path to content. */
  readonly files?: Readonly<Record<string, Buffer | string>>;
  /** 'off' refuses PORT/EPRT (502). */
  readonly active?: 'on' | 'off';
  readonly epsv?: 'on' | 'off' | 'unknown';
  /**
   * FTPS (RFC 4217): 'explicit' answers AUTH TLS with 234 and presents a certificate for loopback issued
   * by a private CA made for this server (the mock's `ca`); default 'off'. The proxy relays what follows
   * AUTH TLS unread and data connections go to the mock directly (it cannot read FTPS yet). 'implicit'
   * (TLS from the first octet, port 990 style) is refused for now: the proxy cannot relay it yet.
   */
  readonly tls?: 'off' | 'explicit' | 'implicit';
  /** A PROT P data connection must resume the control connection's TLS session, else 522 (vsftpd require_ssl_reuse); default false. */
  readonly requireTlsReuse?: boolean;
  /** PROT P: 'accept' (200) or 'refuse' (534, RFC 2228); default 'accept'. */
  readonly protP?: 'accept' | 'refuse';
  /** USER and PASS before the control connection is TLS get 534 (RFC 2228); default false. */
  readonly requireTls?: boolean;
}

export interface FtpMock extends Controllable {
  /** Uploads, in order (a live view). */
  readonly uploads: readonly ReceivedUpload[];
  /** Resolves with the `count`th complete upload from now (default the next); rejects after `timeout` ms. */
  waitForUpload(options?: { readonly timeout?: number; readonly count?: number }): Promise<ReceivedUpload>;
  clearUploads(): void;
  /** The CA certificate (PEM) that issued the certificate FTPS presents, for clients to trust; absent with `tls: 'off'`. */
  readonly ca?: string;
}

export interface StartProxyOptions {
  /** The server to relay to (loopback or the user's own server). */
  readonly target: string | { readonly host: string; readonly port: number };
  readonly protocol: 'smtp' | 'ftp';
  readonly faults?: readonly FaultInput[];
  readonly host?: string;
  readonly port?: number;
  /** How long the target may take to connect and greet before a client gets 421 in its place, ms; default 10000, 0 for none. */
  readonly upstreamTimeoutMs?: number;
  /** Finished sessions kept in `sessions` (older ones are only counted); default all. */
  readonly keep?: number;
}

export type ProxyControl = Controllable;
