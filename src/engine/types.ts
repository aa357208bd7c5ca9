/**
 * The engine's shapes: what a scenario asks for, what a client saw (Outcome), and what the run
 * concluded (Result). Names here are part of the JSON contract that users' CI scripts read: keep them.
 */
import type { Fault } from '../faults/types.js';
import type { MessageShape } from './message.js';
import type { FtpMode, Sends, Timeouts, TlsMode } from '../clients/types.js';
import type { CertificateKind } from '../tls/ca.js';
import type { TlsStart } from '../clients/tls-mode.js';

export type Protocol = 'smtp' | 'ftp';

/** The address family a client reaches the proxy over: 4 (127.0.0.1) or 6 (::1). */
export type Family = 4 | 6;

/**
 * Where in the conversation something happened, from the client's side: `connect` (no greeting yet),
 * `greeting` (greeted, nothing sent), the last command sent (`ehlo`, `starttls`, `auth`, `mail`,
 * `rcpt`, `data`, `quit`, ...), `body` (354 received, sending the message) or `dot` (end of data
 * sent, waiting for the reply).
 */
export type Phase = string;

export type OutcomeKind = 'delivered' | 'reset' | 'closed' | 'timeout' | 'refused' | 'reply' | 'hung';

/** What a client saw, built only by `classify`. */
export interface Outcome {
  readonly kind: OutcomeKind;
  readonly phase: Phase;
  /** The reply code, when kind is `reply`. */
  readonly code?: number;
  /**
   * `closed` only: the client closed the connection itself, on its turn (answered everything it asked,
   * nothing cut toward it, no failure reply shown): it gave up, or rejected what it was shown, on its own.
   */
  readonly byClient?: true;
  /** Message body octets the client got through to the proxy in the session that ended it. */
  readonly bytesSent: number;
  /** The client's own words (error code and message), for people; never used to classify. */
  readonly detail?: string;
}

/**
 * An outcome a user expects of one client (a scenario file's `outcomes`): its kind, and where given its
 * phase and reply code; what is left out matches anything.
 */
export interface PinnedOutcome {
  readonly kind: OutcomeKind;
  readonly phase?: Phase;
  readonly code?: number;
}

/**
 * What a conformant client does. `fails`: reports a failure (RFC 5321 §3.8: a connection lost
 * mid-transaction is a temporary failure, never a success). `delivers`: reports success and the sink
 * holds the message exactly once.
 */
export interface Expect {
  /**
   * `accounts` (several messages): each is reported delivered and held by the server exactly once,
   * or reported failed; nothing acknowledged is lost, nothing arrives twice.
   */
  readonly client: 'fails' | 'delivers' | 'accounts';
  /** The rule, in a sentence with its source, shown in reports. */
  readonly rule: string;
  /**
   * A step a conformant client always sends (e.g. QUIT, RFC 5321 §4.1.1.10). A fault waiting on it
   * that never fired because the client never sent it is a deviation with this rule, not `unfired`.
   */
  readonly mustSend?: { readonly step: string; readonly rule: string };
  /** Also judge how the client frames what it sends: CRLF only, no pipelining past EHLO, DATA... */
  readonly wellFormed?: boolean;
  /**
   * Steps a conformant client never sends in clear here, and the rule it breaks if it does: MAIL or
   * AUTH after STARTTLS was stripped or refused (RFC 3207 §4, RFC 8314 §5.2); FTP's PASS after AUTH TLS
   * was refused (RFC 4217 §4). One of them sent before
   * TLS is a deviation whatever the client reported; a client that sent none in clear and delivered
   * secured the session some other way (STARTTLS though not offered) and is conformant.
   */
  readonly neverSends?: { readonly steps: readonly string[]; readonly rule: string };
  /**
   * Why a fault that never fired is no failure here (an FTP client that used EPSV never saw the 227 a
   * wrong-address fault changes): the run is judged on its outcome alone, with this said.
   */
  readonly unfiredFine?: string;
}

/**
 * A server's knobs a scenario may set, named once for both protocols where the idea is the same. The
 * targets layer maps them to each server's own options (the SMTP mock's maxClients, a launcher's...).
 */
export interface ServerKnobs {
  /** Sessions served at once; more are turned away (the SMTP mock: 421). Default: no limit. */
  readonly maxSessions?: number;
  /** Extra delay before each greeting, ms: keeps sessions open long enough for a burst to overlap. */
  readonly greetingDelayMs?: number;
}

/** The SMTP server's knobs. */
export interface SmtpServerKnobs extends ServerKnobs {
  /** Largest message accepted, octets (SIZE, RFC 1870); default: the mock takes any size. */
  readonly sizeLimit?: number;
  /** `on`: the mock offers CHUNKING (RFC 3030) and takes BDAT; default `off` (real servers keep their own). */
  readonly chunking?: 'on' | 'off';
  /**
   * `required`: the mock offers AUTH PLAIN and LOGIN (RFC 4954), before STARTTLS too, answers MAIL 530
   * without it, and the clients are given its login; a client that cannot log in, and a real server
   * (its launcher sets up no AUTH), are `n/a`. Default: no AUTH.
   */
  readonly auth?: 'required';
}

/** The FTP server's knobs. */
export interface FtpServerKnobs extends ServerKnobs {
  /** Sessions allowed from one client address (vsftpd's max_per_ip). */
  readonly maxPerAddress?: number;
  readonly idleTimeoutMs?: number;
  /** `off`: PORT and EPRT get 502. */
  readonly active?: 'on' | 'off';
  /** FTPS: a PROT P data connection must resume the control connection's TLS session, else 522 (vsftpd require_ssl_reuse). */
  readonly requireTlsReuse?: boolean;
  /** FTPS: `refuse` answers PROT P with 534 (RFC 2228); default `accept`. */
  readonly protP?: 'accept' | 'refuse';
  /** FTPS: USER and PASS before AUTH TLS get 534 (RFC 2228). */
  readonly requireTls?: boolean;
  /**
   * `off`: the server offers no FTPS whatever the client expects (the mock answers AUTH with 502, a real
   * server runs without TLS): what a client that requires TLS does then; default `on` when the scenario has `tls`.
   */
  readonly ftps?: 'on' | 'off';
}

/** What an FTP scenario moves: one file of `messageBytes` octets. */
export interface FtpTransfer {
  readonly direction: 'upload' | 'download';
  /** The data-connection modes to run it in, each with every client that has the mode; default both. */
  readonly modes?: readonly FtpMode[];
  /** Clients that can resume an upload try once more from where the server's file ends. */
  readonly resume?: boolean;
  /** Several transfers at once, each on its own connection (N parallel uploads vs a session limit). */
  readonly parallel?: number;
  /**
   * Loopback addresses the transfers connect from, in turn (127.0.0.2, 127.0.0.3: per-address limits);
   * a client that cannot choose its source address is `n/a`. Default: the system's choice (127.0.0.1).
   */
  readonly sources?: readonly string[];
  /** Per mode, what a conformant client does, where it differs from the scenario's `expect`. */
  readonly expect?: Partial<Readonly<Record<FtpMode, Expect>>>;
  /** Per mode, the runner's deadline (ms) where it differs from the scenario's `timeouts.deadline`. */
  readonly deadline?: Partial<Readonly<Record<FtpMode, number>>>;
  /**
   * Per mode, what a conformant client does over IPv6 (`--family 6`), where it differs from IPv4's
   * (`expect` above, else the scenario's): PASV and PORT cannot name an IPv6 address (RFC 2428 §1), so
   * a client whose EPSV or EPRT is refused has nothing to fall back to and must report the failure.
   */
  readonly expectIpv6?: Partial<Readonly<Record<FtpMode, Expect>>>;
}

/** What every scenario has, whatever its protocol. */
interface ScenarioBase {
  /** `suite/name`, unique. */
  readonly id: string;
  readonly suite: string;
  readonly title: string;
  /** Undefined: a clean conversation (a baseline). */
  readonly fault?: Fault;
  readonly expect: Expect;
  /** Message (SMTP) or file (FTP) size in bytes. */
  readonly messageBytes: number;
  readonly timeouts?: Partial<Timeouts>;
  /**
   * `apart`: the verdict weighs time against this machine's speed (a throttle or a stall against client
   * timeouts of a second or a few), so its runs go after the rest, with only each other in flight and
   * never more than MEASURED_CONCURRENCY at once (src/engine/run.ts), whatever the concurrency. Default
   * `shared`: up to the concurrency at once, beside any other run.
   */
  readonly schedule?: 'shared' | 'apart';
  /**
   * Outcomes pinned per client name (FTP: also `client/mode`): that client's run is conformant when its
   * outcome matches the pin, instead of by `expect`; integrity (nothing lost, nothing twice) still comes first.
   * Over IPv6 `client/ipv6` (FTP: `client/mode/ipv6` first) is taken before the IPv4 pins.
   */
  readonly pinned?: Readonly<Record<string, PinnedOutcome>>;
}

/** An SMTP scenario: one message or several, sent by one client. */
export interface SmtpScenario extends ScenarioBase {
  readonly protocol: 'smtp';
  /** What the message is made of: `plain` text lines (default), or `dots`: lines the client must dot-stuff. */
  readonly message?: MessageShape;
  readonly server?: SmtpServerKnobs;
  /** Several messages; default one. */
  readonly sends?: Sends;
  /**
   * What a client must do to express the scenario, others are `n/a`: `pool` keeps connections between
   * messages; `connection-per-message` opens one for each message (so a burst meets a session limit);
   * `bdat` sends the message in BDAT chunks when CHUNKING is offered (RFC 3030), so a BDAT fault can fire.
   */
  readonly needs?: 'pool' | 'connection-per-message' | 'bdat';
  /**
   * How the client uses TLS; default `none`. Anything else also makes the mock server offer TLS
   * (STARTTLS, or implicit TLS for the implicit modes), and the proxy terminate it with a certificate
   * from the run's private CA, which the client is given.
   */
  readonly tls?: TlsMode;
  /** The certificate the proxy presents to the client inside STARTTLS (src/tls/ca.ts); default `valid`. */
  readonly certificate?: CertificateKind;
  /**
   * `1.0`: the proxy offers the client only TLS 1.0 (ciphers at OpenSSL security level 0), which
   * RFC 8996 deprecates: a modern client must refuse it. Default: Node's versions (1.2 and 1.3).
   */
  readonly tlsVersion?: '1.0';
}

/** An FTP scenario: files moved by one client in one data-connection mode. */
export interface FtpScenario extends ScenarioBase {
  readonly protocol: 'ftp';
  /** What is transferred. */
  readonly ftp: FtpTransfer;
  readonly server?: FtpServerKnobs;
  /** How the client uses FTPS (RFC 4217); default `none`. Anything else makes the mock speak FTPS: explicit for the starttls modes, implicit for the implicit ones. */
  readonly tls?: TlsMode;
}

/** One scenario: data, no behaviour. */
export type Scenario = SmtpScenario | FtpScenario;

/**
 * `n/a`: the client cannot run here (not installed: the reason says how to install it) or cannot
 * express the scenario; neither a pass nor a failure.
 */
export type Verdict = 'conformant' | 'deviates' | 'unfired' | 'error' | 'n/a';

/** What the sink recorded for the scenario's message(s). */
export interface SinkReport {
  /** Messages of this scenario the server accepted, copies included. */
  readonly copies: number;
  /** Every accepted copy matched the size and SHA-256 of a message that was sent. */
  readonly intact: boolean;
  /** FTP: the SHA-256 sent and the one the receiving end holds (a partial file included), when they differ. */
  readonly sha256?: { readonly sent: string; readonly held: string };
  /** What arrived cannot be seen (a user's server with no mailbox to read): copies and intact say nothing. */
  readonly verifiable?: false;
}

/** FTP: what happened on each of the client's connections. */
export interface FtpReport {
  /** How the proxy ended the client's last control connection: RST, FIN, or null (it stayed up). */
  readonly control: 'rst' | 'fin' | null;
  /** Control connections the client made (more than one: it reconnected, e.g. lftp's retries). */
  readonly sessions: number;
  /** Transfer commands it sent, over all sessions (more than one: it retried). */
  readonly transfers: number;
  /** Data connections relayed, octets on them, and how the last one was ended toward the client. */
  readonly data: { readonly connections: number; readonly bytes: number; readonly clientSaw: 'rst' | 'fin' | null };
}

/** For several messages: what the client reported against what the server holds. */
export interface Accounting {
  readonly sent: number;
  /** Transactions the client began (MAIL commands seen): above `sent`, it retried. */
  readonly transactions: number;
  /** Retries, at least: transactions beyond one per message. */
  readonly retried: number;
  /** The server's 250 to the end of data reached the client this many times. */
  readonly acknowledged: number;
  /** The client reported these delivered. */
  readonly reportedDelivered: number;
  readonly reportedFailed: number;
  /** Reported delivered, but the server has no copy. */
  readonly lost: number;
  /** Messages the server holds more than once. */
  readonly duplicated: number;
  /** Messages the server holds that are no copy of any sent (size or SHA-256 differs: changed on the way, or by the client). */
  readonly changed?: number;
}

/**
 * A user's own server configuration a run used (`--server postfix:./main.cf`): the file, and every
 * setting of it the launcher replaced to run it here (`ours` says the value it ran with).
 */
export interface ServerConfig {
  readonly file: string;
  readonly overridden: ReadonlyArray<{ readonly key: string; readonly user: string; readonly ours: string }>;
}

/** One scenario run by one client against one server. */
export interface Result {
  /** `scenarioId/column`, unique in a run. */
  readonly id: string;
  /** The scenario's id: the matrix's row. */
  readonly scenarioId: string;
  /** The client, its FTP mode and a real server (see columnOf): the matrix's column. */
  readonly column: string;
  readonly suite: string;
  readonly protocol: Protocol;
  readonly client: string;
  /** FTP: the data-connection mode the client ran in. */
  readonly mode?: FtpMode;
  /** The address family the client reached the proxy over, when the run named families (`--family`). */
  readonly family?: Family;
  /** The TLS variant the run was (`--tls`: none, starttls or implicit), when the run named variants and the scenario has them. */
  readonly tls?: TlsStart;
  readonly server: string;
  /** The user's own configuration the server ran with, and what of it was overridden. */
  readonly serverConfig?: ServerConfig;
  readonly title: string;
  readonly fault: Fault | null;
  readonly faultFired: boolean;
  readonly outcome: Outcome | null;
  readonly sink: SinkReport | null;
  /** With several messages: the accounting per message. */
  readonly messages?: Accounting;
  /** FTP: the control and data connections' fates, reported separately. */
  readonly ftp?: FtpReport;
  readonly expected: string;
  readonly verdict: Verdict;
  readonly reason: string;
  readonly durationMs: number;
  /** Timestamped transcript lines, credentials redacted. */
  readonly transcript: readonly string[];
}
