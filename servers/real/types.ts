/**
 * What every real-server launcher (Postfix, Exim, vsftpd, pure-ftpd, proftpd) takes and gives. A launcher
 * writes a private config into a temporary directory from these typed options, starts the server in the
 * foreground as its own process group on 127.0.0.1 (or ::1: `host`), waits for its `220 ` banner, and stops it completely
 * (nothing left running, no port bound). The runner puts the fault proxy in front of it, as in front of
 * the mock servers.
 */
import { WireprobeError } from '../../src/util/errors.js';
import type { Overridden } from './user-config.js';
import type { Digest } from '../../src/util/digest.js';
import type { Content } from '../../src/util/content.js';
import type { StoredMessage } from '../../src/util/stored-copies.js';

export type RealServerName = 'postfix' | 'exim' | 'vsftpd' | 'pure-ftpd' | 'proftpd';

/** Knobs a scenario may ask of a server. Absent: the server's own default, as a stock install has it. */
export interface RealServerOptions {
  /** SMTP or FTP control port on `host`; 0 or absent: a free port picked just before start. */
  readonly port?: number;
  /**
   * The loopback address the server listens on (its control port, FTP's passive ports too): 127.0.0.1
   * (default) or ::1, where clients and the proxy reach it over IPv6 (`--family 6`). Loopback only.
   */
  readonly host?: '127.0.0.1' | '::1';
  /** FTP: passive data ports, inclusive; absent: a free range picked at start. */
  readonly pasvRange?: readonly [number, number];
  /** FTP: the IPv4 address advertised in 227 replies; absent: 127.0.0.1. Loopback only (network rule). */
  readonly pasvAddress?: string;
  /** Concurrent sessions in all (vsftpd max_clients, pure-ftpd -c, proftpd MaxClients, Postfix smtpd maxproc). */
  readonly maxSessions?: number;
  /** Concurrent sessions from one client address (max_per_ip, -C, MaxClientsPerHost, smtpd_client_connection_count_limit). */
  readonly maxPerAddress?: number;
  /** Idle control connection timeout, ms (a server may only take whole seconds or minutes: see `unsupported`). */
  readonly idleTimeoutMs?: number;
  /** FTP: a stalled data connection's timeout, ms. */
  readonly dataTimeoutMs?: number;
  /** SMTP: the largest message accepted, octets (Postfix message_size_limit). */
  readonly messageSizeLimit?: number;
  /** FTP: `off` refuses PORT and EPRT. */
  readonly active?: 'on' | 'off';
  /** STARTTLS (SMTP) or AUTH TLS (FTP) offered, with a certificate generated for localhost. */
  readonly tls?: boolean;
  /**
   * With `tls`: the certificate and key (PEM) the server presents, e.g. issued by the run's private CA
   * (src/tls/ca.ts `issue()`), so that verifying clients trust it; absent: a fresh self-signed one.
   */
  readonly tlsCertificate?: { readonly cert: string; readonly key: string };
  /**
   * With `tls`: implicit TLS, the handshake first (RFC 8314 §3.3 for SMTP; FTPS on connect, port 990
   * style). Postfix and Exim: a second listener, `handle.tls.implicitPort`, STARTTLS staying on the main
   * port. vsftpd and proftpd: the main port itself becomes implicit (one or the other per instance).
   * pure-ftpd has no implicit mode (unsupported). Default false.
   */
  readonly tlsImplicit?: boolean;
  /**
   * With `tls`: TLS required, no login or data in clear text (vsftpd force_anon_logins_ssl and
   * force_anon_data_ssl, pure-ftpd -Y 2, proftpd TLSRequired on, Postfix smtpd_tls_security_level=encrypt,
   * Exim a MAIL ACL `deny !encrypted = *`). Default false: TLS optional.
   */
  readonly tlsRequired?: boolean;
  /**
   * FTP with `tls`: whether a data connection must resume the control connection's TLS session
   * (vsftpd require_ssl_reuse; proftpd without `TLSOptions NoSessionReuseRequired`). Absent: vsftpd's
   * own default (required), proftpd not required (as this launcher always ran it). pure-ftpd never
   * requires it (true is unsupported).
   */
  readonly tlsSessionReuse?: boolean;
  /**
   * With `tls`: the newest TLS version the server negotiates; absent: its own (TLS 1.3 here). `TLSv1.2`
   * exists because vsftpd 3.0.3 over TLS 1.3 ends uploads with `426 Failure reading network stream`
   * about half the time (curl and lftp alike, measured here): a verdict must not hang on that race.
   */
  readonly tlsMaxVersion?: 'TLSv1.2' | 'TLSv1.3';
  /**
   * The user's own config file (main.cf, vsftpd.conf, proftpd.conf) to run instead of the stock one:
   * kept but for what a private instance on loopback must own, each change in `handle.overridden`.
   */
  readonly configFile?: string;
}

/** A running real server. */
export interface RealServerHandle {
  readonly name: RealServerName;
  readonly protocol: 'smtp' | 'ftp';
  readonly host: string;
  readonly port: number;
  /** `smtp://127.0.0.1:PORT` or `ftp://127.0.0.1:PORT`. */
  readonly url: string;
  /**
   * The account clients log in with (FTP; SMTP: none needed from loopback). Never printed: reports redact
   * PASS and AUTH. `dir` is the remote directory the account may upload into (`/`, or `/pub` for an
   * anonymous login whose root is not writable).
   */
  readonly login?: { readonly user: string; readonly password: string; readonly dir: string };
  /** Where what it received lands on disk: the maildir (MTA) or the upload directory (FTP). */
  readonly storage: string;
  /** FTP: the content of the file at remote `path` (as the login sees it), or undefined if there is none. */
  read?(path: string): Promise<Buffer | undefined>;
  /** FTP: the size and SHA-256 of that file, read as a stream, or undefined if there is none. */
  digest?(path: string): Promise<Digest | undefined>;
  /** FTP: puts a file at remote `path` before a run (downloads), readable by the login. */
  put?(path: string, data: Buffer | Content): Promise<void>;
  /**
   * SMTP: resolves once everything the server accepted is stored or given up (its queue holds nothing in
   * flight), or after a bound; absent: stored as soon as accepted.
   */
  settle?(): Promise<void>;
  /** SMTP: every message stored so far, as stored (the MTA's own headers prepended, LF line ends). */
  messages?(): Promise<Buffer[]>;
  /** SMTP: the messages `messages` gives, oldest first, each to be read as a stream (none is read here). */
  stored?(): Promise<StoredMessage[]>;
  /** With a user's config file: every setting of the user's that this instance runs with another value. */
  readonly overridden?: readonly Overridden[];
  /** The TLS it offers (started with `tls`); absent: none asked for. */
  readonly tls?: RealServerTls;
  /** Stops the server: process group killed (or `postfix stop`), waited for, temporary directory removed. Idempotent. */
  close(): Promise<void>;
}

/** The TLS a running real server offers, as its launcher configured it. */
export interface RealServerTls {
  /** STARTTLS (SMTP, RFC 3207) or AUTH TLS (FTP, RFC 4217) on `port`. */
  readonly explicit: boolean;
  /** A port where TLS starts at connect (implicit); the main port for vsftpd and proftpd with `tlsImplicit`. */
  readonly implicitPort?: number;
  /** Login and data in clear text are refused (`tlsRequired`). */
  readonly required: boolean;
  /** FTP: a data connection must resume the control connection's TLS session; absent for SMTP. */
  readonly requireReuse?: boolean;
}

/** One real server: how to tell whether it is here, what it cannot do, how to start it. */
export interface RealServerLauncher {
  readonly name: RealServerName;
  readonly protocol: 'smtp' | 'ftp';
  /** How to get it, one line: `apt-get install vsftpd` (or the unpack step for a conflicting package). */
  readonly install: string;
  /** Whether its binary is on this machine (on PATH or unpacked under WIREPROBE_SERVERS_ROOT). */
  installed(): Promise<boolean>;
  /** Why it cannot run with `options` (a knob it cannot express, e.g. an idle timeout under 60 s for pure-ftpd), or undefined. */
  unsupported(options: RealServerOptions): string | undefined;
  /** Starts it; rejects with ServerNotInstalled when it is not here, never leaves a process behind on failure. */
  start(options?: RealServerOptions): Promise<RealServerHandle>;
}

/** The server's binary is not on this machine: `message` says what to install ("vsftpd not found: apt-get install vsftpd"). */
export class ServerNotInstalled extends WireprobeError<'ENOTINSTALLED'> {
  constructor(
    readonly server: RealServerName,
    readonly install: string,
  ) {
    super(`${server} not found: ${install}`, 'ENOTINSTALLED');
    this.name = 'ServerNotInstalled';
  }
}

/** Where unpacked (not installed) server packages live: `dpkg-deb -x` puts usr/sbin/... under it. */
export const SERVERS_ROOT = process.env.WIREPROBE_SERVERS_ROOT ?? '/opt/wireprobe-servers';
