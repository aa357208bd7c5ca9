/**
 * `wireprobe probe`: the shapes every check shares. A check connects to the user's server with the
 * probe's own raw client (src/probe/raw.ts), sends what ../shared/PROBE-CHECKS.md says, and yields one
 * Finding. Names here are part of the JSON contract users' CI reads: keep them stable.
 */

export type FindingStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** One check's result. */
export interface Finding {
  /** Stable and documented: `smtp.greeting`, `ftp.pasv-address`, ... */
  readonly id: string;
  readonly status: FindingStatus;
  /** A measured value: a limit (sessions), a timeout (seconds), a size (octets). */
  readonly value?: number | string;
  /** The rule's source: `RFC 5321 §4.5.3.2.7`, `RFC 2428 §3`, `CVE-2023-51764`. */
  readonly rfc: string;
  /** What the probe sent, one line per command, credentials redacted (`PASS ***`, `AUTH PLAIN ***`). */
  readonly sent: readonly string[];
  /** What came back, one line per reply line or event (`[closed by server]`, `[RST]`, `[timeout after 5 s]`). */
  readonly received: readonly string[];
  /** One sentence of advice in plain words; for a pass, what was confirmed. */
  readonly advice: string;
}

/** One finding id in the id tables (./smtp-ids.ts, ./ftp-ids.ts): its source and what it checks. */
export interface FindingInfo {
  readonly id: string;
  readonly rfc: string;
  /** What the check does and what passes, in a few words (help text, README table). */
  readonly checks: string;
}

export interface ProbeReport {
  readonly tool: 'wireprobe';
  /** The target as given, password removed (`ftp://user@host:21`). */
  readonly target: string;
  readonly protocol: 'smtp' | 'ftp';
  /** The address probed: the target's host, or what its name resolved to. */
  readonly address: string;
  /** Its address family: 4 (IPv4) or 6 (IPv6); over 6, FTP data connections use EPSV/EPRT (RFC 2428). */
  readonly family: 4 | 6;
  readonly findings: readonly Finding[];
  readonly summary: { readonly pass: number; readonly warn: number; readonly fail: number; readonly skip: number };
}

/** What the user allows a probe to do; every wait is bounded by these. */
export interface ProbeLimits {
  /** Open at most this many sessions when measuring a session limit (one at a time); default 5. */
  readonly maxSessions: number;
  /** Wait at most this long, seconds, to measure an idle timeout; 0 (default): the check is skipped. */
  readonly maxIdleSeconds: number;
  /** Any single wait for a reply or a connect, ms; default 5000. */
  readonly replyTimeoutMs: number;
  /** SMTP: really deliver a test message (default false: RSET before the final dot). */
  readonly send: boolean;
  /**
   * SMTP STARTTLS policy. `auto` (default): as an opportunistic client, TLS when offered, plain text on a
   * fresh session when it fails, credentials never in clear; `require`: a failed STARTTLS skips the
   * checks that need a session; `off`: never STARTTLS, credentials sent in clear (the user's choice).
   */
  readonly starttls: StarttlsMode;
  /** SMTP: the recipient of the probe's transactions (and of any --send message); default `postmaster`. */
  readonly rcpt: string;
  /** FTP: octets of the integrity upload (large enough to cross buffer and size thresholds); default 8 MiB. */
  readonly uploadOctets?: number;
  /** FTP: stall an upload at most this long, seconds, to measure the data-connection timeout; 0 (default): skipped. */
  readonly maxDataIdleSeconds?: number;
  /** FTP: upload at most this many octets to see how a quota or full disk is refused; 0 or absent (default): skipped. */
  readonly quotaOctets?: number;
}

/** See ProbeLimits.starttls. */
export type StarttlsMode = 'auto' | 'off' | 'require';

/** The integrity upload's default size: 8 MiB, past the buffers and thresholds that cut uploads short. */
export const DEFAULT_UPLOAD_OCTETS = 8 * 1024 * 1024;

export const DEFAULT_PROBE_LIMITS: ProbeLimits = {
  maxSessions: 5,
  maxIdleSeconds: 0,
  replyTimeoutMs: 5_000,
  send: false,
  starttls: 'auto',
  rcpt: 'postmaster',
  uploadOctets: DEFAULT_UPLOAD_OCTETS,
  maxDataIdleSeconds: 0,
};

/** Where to probe, parsed from `smtp://host:port` or `ftp://user:pass@host:port`. */
export interface ProbeTarget {
  readonly protocol: 'smtp' | 'ftp';
  readonly host: string;
  readonly port: number;
  /** smtps:// or ftps://: TLS from the first octet (RFC 8314 §3.3; implicit FTPS); default false. */
  readonly implicitTls?: boolean;
  /** FTP login (default anonymous); never printed. */
  readonly user?: string;
  readonly password?: string;
}

/** What a probe run hands its groups besides the target and limits; every field optional. */
export interface ProbeContext {
  /** Aborted when the user interrupts: a group that changed the server undoes that and returns. Default: none. */
  readonly signal?: AbortSignal;
  /** Called when the probe could not delete its own file from the server (path, what the server said). */
  readonly onLeftBehind?: (path: string, why: string) => void;
  /** The findings of the groups that ran before this one, in report order (ftp.long-transfer reads ftp.idle-timeout's). Default: none. */
  readonly earlier?: readonly Finding[];
}

/** A group of checks (one file per concern): runs its checks in order and returns their findings. */
export type CheckGroup = (target: ProbeTarget, limits: ProbeLimits, context?: ProbeContext) => Promise<Finding[]>;
