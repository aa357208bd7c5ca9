/**
 * FTP's control connection as the proxy sees it: both directions, in arbitrary chunks. Pure: no sockets,
 * no timers. The data channel is not fed here; the proxy reports its events to FtpPhase.
 *
 *   client ──up──►  command lines (USER, PASS: secret, EPSV, STOR…) │ opaque after AUTH TLS → 234,
 *                   unless the proxy terminates TLS (then the lines go on, read inside TLS)
 *   server ─down─►  replies, `123-` … `123 ` multi-line (RFC 959 §4.2), matched oldest-first to the
 *                   commands they answer; a 1xx is preliminary: its command keeps waiting for a final
 *   data ──────►   FtpPhase.dataOpened / dataBytes / dataClosed (the proxy counts data octets)
 *
 * `feed` returns marks: points inside the chunk (byte offsets) where a command or a reply was completed.
 * The proxy cuts chunks at those points to fire faults exactly, as with SMTP (./smtp.ts).
 */
import { LineBuffer } from './lines.js';
import { Violations } from './violations.js';
import { parseReplyLine, passableFailure } from './reply.js';
import { Replies, type ReplyMark } from './replies.js';
import { StepQueue } from './step-queue.js';
import { stripTelnetText } from './telnet.js';
import type { Direction } from './direction.js';

export type { Direction };

/** A point inside a fed chunk. Offsets are relative to that chunk; `end` is exclusive. */
export type FtpMark =
  /** A complete client line. `secret`: PASS or ACCT, whose argument the transcript must redact. */
  | { readonly kind: 'command'; readonly end: number; readonly verb: string; readonly line: string; readonly secret: boolean; readonly bareLf?: boolean }
  /**
   * A complete reply (its final line) answering `to`: `greeting`, a verb, or `unsolicited`. `preliminary`:
   * a 1xx (RFC 959 §4.2), after which `to` still waits for its completion reply. Inner lines not in the
   * `211-` form are kept whole in `lines`.
   */
  | (ReplyMark & { readonly preliminary: boolean });

/** Commands whose argument is a credential (RFC 959 §4.1.1 PASS, ACCT). */
const SECRET: ReadonlySet<string> = new Set(['PASS', 'ACCT']);

/** Commands that move a file or a listing over the data connection (RFC 959 §4.1.3, RFC 3659 §7 MLSD). */
export const TRANSFER_VERBS: ReadonlySet<string> = new Set(['STOR', 'STOU', 'APPE', 'RETR', 'LIST', 'NLST', 'MLSD']);

/**
 * The commands FTP's RFCs define: RFC 959 §4.1, its X- forms (RFC 1123 §4.1.3.1), RFC 2228 (security),
 * RFC 2389 (FEAT, OPTS), RFC 2428 (EPRT, EPSV), RFC 2640 (LANG), RFC 3659 (MDTM, SIZE, MLST, MLSD),
 * RFC 7151 (HOST).
 */
export const FTP_VERBS: ReadonlySet<string> = new Set([
  ...['USER', 'PASS', 'ACCT', 'CWD', 'CDUP', 'SMNT', 'REIN', 'QUIT', 'PORT', 'PASV', 'TYPE', 'STRU', 'MODE'],
  ...['RETR', 'STOR', 'STOU', 'APPE', 'ALLO', 'REST', 'RNFR', 'RNTO', 'ABOR', 'DELE', 'RMD', 'MKD', 'PWD'],
  ...['LIST', 'NLST', 'SITE', 'SYST', 'STAT', 'HELP', 'NOOP', 'XCWD', 'XCUP', 'XRMD', 'XMKD', 'XPWD'],
  ...['AUTH', 'ADAT', 'PROT', 'PBSZ', 'CCC', 'MIC', 'CONF', 'ENC', 'FEAT', 'OPTS', 'EPRT', 'EPSV', 'LANG'],
  ...['MDTM', 'SIZE', 'MLST', 'MLSD', 'HOST'],
]);

/** FTP's reply lines are read as every reply is (./reply.ts, RFC 959 §4.2). */
export { parseReplyLine as parseFtpReplyLine };

/**
 * The verb of a command line, upper-cased (`stor a.bin` gives `STOR`). Telnet commands (the IP and Synch
 * a client sends ahead of ABOR, RFC 959 §4.1.3; see ./telnet.ts) and leading spaces are skipped.
 */
export function ftpCommandVerb(line: string): string {
  return (/^\s*([A-Za-z]+)/.exec(stripTelnetText(line))?.[1] ?? '').toUpperCase();
}

/**
 * The client's AUTH asking for TLS on the control connection (RFC 4217 §4: `AUTH TLS`; `SSL`, `TLS-C`
 * and `TLS-P` are the older names servers still take).
 */
export function asksFtpTls(mark: FtpMark): boolean {
  return mark.kind === 'command' && mark.verb === 'AUTH' && /^\s*AUTH\s+(TLS|SSL|TLS-C|TLS-P)\s*$/i.test(mark.line);
}

/** The server's 234 to AUTH: the TLS handshake follows (RFC 4217 §4). */
export function grantsFtpTls(mark: FtpMark): boolean {
  return mark.kind === 'reply' && mark.to === 'AUTH' && mark.code === 234;
}

export interface FtpTrackerOptions {
  /**
   * The proxy terminates TLS (src/proxy/tls-legs.ts) at the 234 to AUTH TLS, so the lines go on inside
   * it and the tracker reads them; default false: after the 234 the connection is opaque.
   */
  readonly terminatesTls?: boolean;
}

/** Tracks one FTP control connection from both directions and marks where commands and replies end. */
export class FtpTracker {
  readonly #terminatesTls: boolean;
  #up = new LineBuffer();
  /** Reply lines, and the steps (upper-case verbs, or `greeting`) awaiting their final reply. */
  #down = new Replies();
  #mode: 'command' | 'opaque' = 'command';
  /** The code of the multi-line reply in progress, if one is open. */
  #open: number | undefined;
  /** The client sent AUTH TLS and the proxy terminates TLS: its octets are the handshake until `restart` (or a refusal). */
  #asked = false;

  constructor(options: FtpTrackerOptions = {}) {
    this.#terminatesTls = options.terminatesTls ?? false;
  }

  /**
   * Both legs are TLS now (the proxy terminated it at the 234): lines start afresh inside it. Nothing
   * else is reset: the session goes on where it was (RFC 4217 §4, unlike SMTP's STARTTLS).
   */
  restart(): void {
    this.#up = new LineBuffer();
    this.#asked = false;
  }

  /** Octets of an unfinished client command line (0 once the control connection is TLS). */
  get partialCommandBytes(): number {
    return this.#mode === 'command' ? this.#up.partial.length : 0;
  }

  /** Octets of a reply still in progress: the earlier lines of a multi-line reply and an unfinished line. */
  get partialReplyBytes(): number {
    return this.#mode === 'opaque' ? 0 : this.#down.partialBytes;
  }

  /** The proxy kept `step` (an upper-case verb) from the server and answered it itself: see Replies.forget. */
  forget(step: string): void {
    this.#down.forget(step);
  }

  /** Feeds a chunk that travelled in `direction`; returns its marks in stream order. */
  feed(direction: Direction, chunk: Buffer): FtpMark[] {
    if (this.#mode === 'opaque') return [];
    return direction === 'up' ? this.#feedUp(chunk) : this.#feedDown(chunk);
  }

  #feedUp(chunk: Buffer): FtpMark[] {
    const marks: FtpMark[] = [];
    if (this.#asked) return marks;
    for (const { text, end, bare } of this.#up.lines(chunk)) {
      const verb = ftpCommandVerb(text);
      this.#down.await(verb);
      const mark: FtpMark = { kind: 'command', end, verb, line: text, secret: SECRET.has(verb), ...(bare ? { bareLf: true } : {}) };
      marks.push(mark);
      // What follows AUTH TLS is the client's TLS handshake (or nothing, until a refusal): no lines.
      if (this.#terminatesTls && asksFtpTls(mark)) {
        this.#asked = true;
        this.#up = new LineBuffer();
        break;
      }
    }
    return marks;
  }

  #feedDown(chunk: Buffer): FtpMark[] {
    const marks: FtpMark[] = [];
    for (const { text, end, bytes } of this.#down.lines(chunk)) {
      const parsed = parseReplyLine(text);
      // Inside a multi-line reply only `code ` ends it; other lines are text (RFC 959 §4.2).
      const own = parsed !== null && (this.#open ?? parsed.code) === parsed.code;
      const line = own ? parsed.text : text;
      if (own && !parsed.final) this.#open = parsed.code;
      if (this.#open !== undefined && !(own && parsed.final)) {
        this.#down.continues(line, bytes);
        continue;
      }
      // A line that is no reply at all (code 0) still ends a reply, so matching stays in step.
      marks.push(this.#reply(end, parsed?.code ?? 0, line));
      if (this.#mode === 'opaque') break;
    }
    return marks;
  }

  /** Ends the reply in progress at `end`: a 1xx leaves its step waiting, any other code answers it. */
  #reply(end: number, code: number, last: string): FtpMark {
    const preliminary = code >= 100 && code < 200;
    const { to, lines, omitted } = this.#down.ends(last, !preliminary);
    this.#open = undefined;
    // RFC 4217 §4: after 234 to AUTH TLS the control connection is a TLS handshake.
    if (to === 'AUTH' && code === 234 && !this.#terminatesTls) this.#mode = 'opaque';
    // AUTH refused: the session goes on in clear text (RFC 4217 §4).
    if (to === 'AUTH' && code !== 234 && !preliminary) this.#asked = false;
    return omitted ? { kind: 'reply', end, to, code, lines, omitted, preliminary } : { kind: 'reply', end, to, code, lines, preliminary };
  }
}

/** How data connections are protected (RFC 4217 §9): `clear` (PROT C) or TLS (`private`, PROT P). */
export type DataProtection = 'clear' | 'private';

/** PROT's levels that TLS has (RFC 4217 §9: S and E have no meaning over TLS; servers refuse them). */
const PROT_LEVELS: Readonly<Record<string, DataProtection>> = { C: 'clear', P: 'private' };

/**
 * Where the client is, as the client sees it: what it has sent (observed as it arrives), which replies it
 * has been shown (observed as they are relayed) and what the proxy saw on the data channel. `phase` is
 * (once the client sends QUIT or ends the connection: where it was then) the step whose reply the client waits for
 * (the oldest unanswered, a lower-case verb: `user`, `pass`,
 * `feat`, `epsv`, `stor`, …), `transfer` from a transfer command's 1xx to its completion reply, else the
 * last step answered: `connect` (also after a 120), `greeting`, a verb, `tls` after AUTH TLS → 234. The
 * data connection does not change the phase (passive clients open it before STOR, active ones after):
 * see `dataOpen` and `bytes`.
 */
export class FtpPhase {
  readonly #waiting = new StepQueue();
  #answered = 'connect';
  #inTransfer = false;
  #lastCode: number | undefined;
  #movedOn = false;
  readonly #violations = new Violations();
  #dataOpen = false;
  #bytes = 0;
  #transfers = 0;
  #completed = 0;
  #lastTransfer: string | undefined;
  #leftAt: string | undefined;
  /** The client ended the control connection: see `left`. */
  #gone = false;
  /** See View.quitAnswered. */
  #quitAnswered = false;
  /** The client sent QUIT: see `sent`. */
  #quitSent = false;
  /** The level of the client's PROT awaiting its reply, and the level the server took (its 200). */
  #protAsked: DataProtection | undefined;
  #protection: DataProtection | undefined;

  /** Where the client is: see the class comment. */
  get phase(): string {
    return this.#leftAt ?? this.#current();
  }

  #current(): string {
    return this.#inTransfer ? 'transfer' : (this.#waiting.oldest ?? this.#answered);
  }

  /** Commands sent whose final reply was not shown (a 1xx is not one): see View.awaiting. */
  get awaiting(): number {
    return this.#waiting.size;
  }

  /** The code of the last reply the client was shown (or the proxy told it). */
  get lastCode(): number | undefined {
    return this.#lastCode;
  }

  /** The client sent QUIT and was shown its reply: see View.quitAnswered. */
  get quitAnswered(): boolean {
    return this.#quitAnswered;
  }

  /** The client went on past the last failure reply it was shown: see View.movedOn. */
  get movedOn(): boolean {
    return this.#movedOn;
  }

  /** How the client broke framing rules: a command ended by a bare LF. */
  get violations(): readonly string[] {
    return this.#violations.list;
  }

  /** Transfer commands the client sent (STOR, RETR, LIST, APPE…): more than it meant to is a retry. */
  get transfers(): number {
    return this.#transfers;
  }

  /** Transfers the client was told completed: a 2xx (226, 250) to a transfer command. */
  get completed(): number {
    return this.#completed;
  }

  /** The same counts under the names every protocol's view uses (see ./conversation.ts). */
  get accepted(): number {
    return this.#completed;
  }
  get transactions(): number {
    return this.#transfers;
  }

  /** The last transfer command the client sent (upper case: STOR, RETR...), if any. */
  get lastTransfer(): string | undefined {
    return this.#lastTransfer;
  }

  /**
   * The data protection level the server accepted: `private` after a 200 to `PROT P`, `clear` after one
   * to `PROT C` (RFC 4217 §9, RFC 2228); undefined while no PROT was accepted (explicit FTPS: clear).
   */
  get protection(): DataProtection | undefined {
    return this.#protection;
  }

  /** A data connection is open (between `dataOpened` and `dataClosed`). */
  get dataOpen(): boolean {
    return this.#dataOpen;
  }

  /** Data octets of the current (or last) data connection, both directions; a new one starts at 0. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * The client closed or reset the control connection: it is where it was, and what the proxy still
   * relays (a server's 226 or 426 coming after a client that gave up at once) was never read, so it
   * moves neither the phase nor the last code, which would otherwise depend on which came first.
   */
  left(): void {
    if (this.#current() !== 'connect') this.#leftAt ??= this.#current();
    this.#gone = true;
  }

  /** The client sent a command. */
  sent(mark: FtpMark): void {
    if (mark.kind !== 'command') return;
    if (mark.bareLf) this.#violations.add(`ended ${mark.verb || 'a line'} with a bare LF (RFC 959 §5.3.1: <CRLF>)`);
    // After its QUIT the session is over for the client: a command behind it (lftp's USER, now and then,
    // when it stops at FEAT without FTPS) is owed no reply, and the 221 leaves nothing awaited.
    if (this.#quitSent) return;
    // A client quits after a failure as after a success: where it was before QUIT is what counts.
    if (mark.verb === 'QUIT' && this.#current() !== 'connect') this.#leftAt ??= this.#current();
    if (mark.verb === 'QUIT') this.#quitSent = true;
    this.#wentOn(mark);
    this.#waiting.push(mark.verb.toLowerCase());
    if (mark.verb === 'PROT') this.#protAsked = PROT_LEVELS[/^\s*\S+\s+(\S)/.exec(mark.line)?.[1]?.toUpperCase() ?? ''];
    if (!TRANSFER_VERBS.has(mark.verb)) return;
    this.#transfers++;
    this.#lastTransfer = mark.verb;
  }

  /**
   * A command the client sent: going on past a failure (see View.movedOn); a 421 closes the session
   * (see `shown`): what follows it is never answered. Only while the connection is open: FTP has no
   * rule for when a client may send its next command (lftp sends PWD right behind PASS), so one that
   * reached the proxy after its FIN may have crossed the reply (View.wentOn is not for FTP).
   */
  #wentOn(mark: Extract<FtpMark, { kind: 'command' }>): void {
    if (mark.verb === 'QUIT') return;
    if (passableFailure(this.#lastCode)) this.#movedOn = true;
  }

  /** A reply reached the client. */
  shown(mark: FtpMark): void {
    if (mark.kind !== 'reply' || this.#gone) return;
    // The reply to QUIT says nothing of how the session went: the last one before it stands.
    if (mark.to !== 'QUIT') {
      this.#lastCode = mark.code;
      this.#movedOn = false;
    }
    if (mark.to !== 'unsolicited' && 'preliminary' in mark && mark.preliminary) {
      if (TRANSFER_VERBS.has(mark.to)) this.#inTransfer = true;
      return;
    }
    if (mark.to !== 'unsolicited') {
      if (mark.to === 'QUIT') this.#quitAnswered = true;
      this.#answer(mark.to);
      if (mark.to === 'AUTH' && mark.code === 234) this.#answered = 'tls';
      if (mark.to === 'PROT' && mark.code >= 200 && mark.code < 300) this.#protection = this.#protAsked;
      if (TRANSFER_VERBS.has(mark.to) && mark.code >= 200 && mark.code < 300) this.#completed++;
    }
    // 421: the server is closing the control connection (RFC 959 §4.2), so the session ends where it
    // was shown. A command the client still sends (lftp's FEAT after a 421 greeting, when it read the
    // reply apart from the FIN behind it) gets no answer and must not move the phase.
    if (mark.code === 421) this.#leftAt ??= this.#current();
  }

  /** The proxy itself sent the client a reply with `code` (a fault answering in the server's place). */
  told(code: number): void {
    this.#lastCode = code;
    this.#movedOn = false;
  }

  /**
   * The proxy answered in the server's place (see `told`), taken as final: `mark` is the server's reply
   * it replaced, or the client's command it caught before the server saw it. That step is answered.
   */
  replaced(mark: FtpMark): void {
    if (mark.kind === 'reply' && mark.to !== 'unsolicited') this.#answer(mark.to);
    if (mark.kind !== 'command') return;
    this.#waiting.remove(mark.verb.toLowerCase());
    this.#answered = mark.verb.toLowerCase();
    this.#inTransfer = false;
  }

  /** The proxy saw a data connection open (either mode). Starts a new `bytes` count. */
  dataOpened(): void {
    this.#dataOpen = true;
    this.#bytes = 0;
  }

  /** The proxy relayed `n` octets on the data connection. */
  dataBytes(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`data octets must be a count, got ${n}`);
    this.#bytes += n;
    // Data moving for a transfer command is the transfer, whether or not its 150 has arrived yet
    // (an active-mode client may start writing as soon as the server connects back).
    if (n > 0 && TRANSFER_VERBS.has(this.#waiting.oldest?.toUpperCase() ?? '')) this.#inTransfer = true;
  }

  /** The data connection closed (FIN or RST, from either side). */
  dataClosed(): void {
    this.#dataOpen = false;
  }

  #answer(to: string): void {
    if (to !== 'greeting') this.#waiting.shift();
    this.#answered = to.toLowerCase();
    this.#inTransfer = false;
  }
}
