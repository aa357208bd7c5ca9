/**
 * SMTP as the proxy sees it: both directions of one conversation, in arbitrary chunks. Pure.
 *
 *   client ──up──►  commands │ body (after 354) │ chunk data (after a BDAT line) │ opaque (after STARTTLS 220)
 *   server ─down─►  replies, matched in order to the steps they answer (RFC 2920 pipelining)
 *
 * `feed` returns marks: points inside the chunk (byte offsets) where a command, a reply, body octets
 * or the end of data were completed. The proxy cuts chunks at those points to fire faults exactly.
 */
import type { Direction } from './direction.js';
import { LineBuffer } from './lines.js';
import { Violations } from './violations.js';
import { Replies, type ReplyMark } from './replies.js';
import { StepQueue } from './step-queue.js';
import { parseReplyLineLoosely, passableFailure } from './reply.js';

export type { Direction };

/** A point inside a fed chunk. Offsets are relative to that chunk; `end` is exclusive. */
export type SmtpMark =
  /**
   * A complete client line. `continuation`: an AUTH exchange line (credentials), not a command. `last`:
   * a `BDAT <size> LAST` line, whose chunk ends the message (RFC 3030 §2).
   */
  | {
      readonly kind: 'command';
      readonly end: number;
      readonly verb: string;
      readonly line: string;
      readonly continuation?: boolean;
      readonly bareLf?: boolean;
      readonly last?: boolean;
    }
  /** A complete reply (its final line) answering `to`: `greeting`, a verb, `dot`, `BDAT LAST` or `unsolicited`. */
  | ReplyMark
  /**
   * Message octets `[start, end)` of the chunk; `before` of them came earlier. After DATA: the body,
   * dot-stuffed. `bdat`: BDAT chunk data (RFC 3030 §2), counted across every chunk of the transaction.
   */
  | { readonly kind: 'body'; readonly start: number; readonly end: number; readonly before: number; readonly bdat?: boolean }
  /** The end-of-data line `.` completed; `bodyBytes` is the message size before it (RFC 5321 §4.1.1.4). */
  | { readonly kind: 'dot'; readonly end: number; readonly bodyBytes: number };

/** End of data: CRLF . CRLF, where the first CRLF belongs to the message. */
const TERMINATOR = Buffer.from('\r\n.\r\n', 'latin1');

/**
 * The step a `BDAT <size> LAST` command is: its reply is the answer to the whole message, as the reply
 * to the dot is after DATA (RFC 3030 §2). Other BDAT commands are the step `BDAT`.
 */
export const BDAT_LAST = 'BDAT LAST';

/** A BDAT command's chunk: `bdat-cmd ::= "BDAT" SP chunk-size [ SP end-marker ] CR LF` (RFC 3030 §2). */
export interface BdatChunk {
  /** Octets of chunk data right after the command line's LF (Infinity past 2^53: the rest of the stream). */
  readonly size: number;
  /** `end-marker ::= "LAST"`: this chunk ends the message. */
  readonly last: boolean;
}

/** The chunk a BDAT line announces, or undefined when the line has no chunk size (then no data follows). */
export function parseBdat(line: string): BdatChunk | undefined {
  const m = /^\s*BDAT\s+(\d+)(?:\s+(\S+))?/i.exec(line);
  if (!m) return undefined;
  const size = Number(m[1]);
  return { size: Number.isSafeInteger(size) ? size : Number.POSITIVE_INFINITY, last: m[2]?.toUpperCase() === 'LAST' };
}

/**
 * The commands SMTP's RFCs define: RFC 5321 §4.1.1 (and SEND, SOML, SAML, TURN of RFC 821), RFC 1985
 * (ETRN), RFC 2645 (ATRN), RFC 3030 (BDAT), RFC 3207 (STARTTLS), RFC 4954 (AUTH); and Postfix's XCLIENT
 * and XFORWARD.
 */
export const SMTP_VERBS: ReadonlySet<string> = new Set([
  ...['EHLO', 'HELO', 'MAIL', 'RCPT', 'DATA', 'RSET', 'VRFY', 'EXPN', 'HELP', 'NOOP', 'QUIT'],
  ...['SEND', 'SOML', 'SAML', 'TURN', 'ETRN', 'ATRN', 'BDAT', 'STARTTLS', 'AUTH', 'XCLIENT', 'XFORWARD'],
]);

/** The verb of a command line, upper-cased (`MAIL FROM:<a>` gives `MAIL`). */
export function commandVerb(line: string): string {
  return (/^\s*([A-Za-z]+)/.exec(line)?.[1] ?? '').toUpperCase();
}

/** How a tracker treats STARTTLS. */
export interface SmtpTrackerOptions {
  /**
   * The proxy terminates TLS (src/proxy/tls-legs.ts): after a STARTTLS line the client's octets are
   * not read as commands until the server's reply (they never reach the server in clear, RFC 3207
   * §4.2), and after a 220 the proxy calls `restart` once both legs are secured. Default false: the
   * stream after the 220 is opaque for good.
   */
  readonly terminatesTls?: boolean;
}

/** The client's STARTTLS command (RFC 3207 §4): from here on the proxy that terminates TLS relays nothing up in clear. */
export function asksTls(mark: SmtpMark): boolean {
  return mark.kind === 'command' && mark.verb === 'STARTTLS' && mark.continuation !== true;
}

/** The server's 220 to STARTTLS (RFC 3207 §4): the TLS handshake starts right after it. */
export function grantsTls(mark: SmtpMark): boolean {
  return mark.kind === 'reply' && mark.to === 'STARTTLS' && mark.code === 220;
}

/**
 * Tracks one SMTP conversation from both directions and reports where it is.
 */
export class SmtpTracker {
  readonly #terminatesTls: boolean;
  #up = new LineBuffer();
  /** Reply lines, and the steps awaiting a reply. */
  #down = new Replies();
  /** `asked`: a terminating proxy's client sent STARTTLS; its octets until the reply are not commands. */
  #mode: 'command' | 'body' | 'chunk' | 'asked' | 'opaque' = 'command';
  /** From an AUTH command until its final (non-334) reply, client lines are SASL data (RFC 4954 §4), not commands. */
  #authContinues = false;
  #bodyBytes = 0;
  /** Octets read in the body so far, terminator included. */
  #consumed = 0;
  #tail = Buffer.alloc(0);
  /** Octets of the current BDAT chunk still to come. */
  #chunkLeft = 0;
  /** The current BDAT chunk is the message's last. */
  #chunkLast = false;
  /** A BDAT transaction is open: its chunks count on from `#bodyBytes` (no LAST, MAIL or RSET since). */
  #chunking = false;

  constructor(options: SmtpTrackerOptions = {}) {
    this.#terminatesTls = options.terminatesTls ?? false;
  }

  /**
   * TLS is established on both legs: the conversation starts over from nothing, the client's EHLO
   * first (RFC 3207 §4.2: both sides discard what they knew from before TLS).
   */
  restart(): void {
    this.#up = new LineBuffer();
    this.#down = new Replies();
    // No greeting in TLS: the first reply answers the client's EHLO.
    this.#down.forget('greeting');
    this.#mode = 'command';
    this.#authContinues = false;
    this.#consumed = 0;
    this.#tail = Buffer.alloc(0);
    this.#chunkLeft = 0;
    this.#chunkLast = false;
    this.#chunking = false;
  }

  /** Body octets of the current (or last) message so far. */
  get bodyBytes(): number {
    return this.#bodyBytes;
  }

  /** Octets of an unfinished client command line (0 in the body, in chunk data or after STARTTLS). */
  get partialCommandBytes(): number {
    return this.#mode === 'command' ? this.#up.partial.length : 0;
  }

  /** Octets of a reply still in progress: its earlier lines of a multi-line reply and an unfinished line. */
  get partialReplyBytes(): number {
    return this.#mode === 'opaque' ? 0 : this.#down.partialBytes;
  }

  /** The proxy kept `step` from the server and answered it itself: see Replies.forget. */
  forget(step: string): void {
    this.#down.forget(step);
  }

  /** Feeds a chunk that travelled in `direction`; returns its marks in stream order. */
  feed(direction: Direction, chunk: Buffer): SmtpMark[] {
    if (this.#mode === 'opaque' || (this.#mode === 'asked' && direction === 'up')) return [];
    return direction === 'up' ? this.#feedUp(chunk) : this.#feedDown(chunk);
  }

  #feedUp(chunk: Buffer): SmtpMark[] {
    const marks: SmtpMark[] = [];
    let pos = 0;
    while (pos < chunk.length && this.#mode !== 'opaque' && this.#mode !== 'asked') {
      if (this.#mode === 'body') pos = this.#body(chunk, pos, marks);
      else if (this.#mode === 'chunk') pos = this.#chunk(chunk, pos, marks);
      else pos = this.#commands(chunk, pos, marks);
    }
    return marks;
  }

  /** Reads command lines from `pos` until the chunk ends or the mode changes; returns where it stopped. */
  #commands(chunk: Buffer, pos: number, marks: SmtpMark[]): number {
    for (const { text, end, bare } of this.#up.lines(chunk, pos)) {
      // Every line after an AUTH command until its final reply belongs to the SASL exchange (the
      // credentials), also when the client pipelines it before the 334 (RFC 4954 §4).
      const continuation = this.#authContinues;
      const verb = continuation ? 'AUTH' : commandVerb(text);
      if (verb === 'AUTH') this.#authContinues = true;
      if (ENDS_TRANSACTION.has(verb)) this.#chunking = false;
      const bdat = verb === 'BDAT' && !continuation ? parseBdat(text) : undefined;
      this.#down.await(bdat?.last ? BDAT_LAST : verb);
      const flags = { ...(continuation ? { continuation } : {}), ...(bare ? { bareLf: true } : {}), ...(bdat?.last ? { last: true } : {}) };
      marks.push({ kind: 'command', end, verb, line: text, ...flags });
      // Unlike DATA's body, chunk data follows at once, without waiting for a reply: it is "sent
      // immediately after the trailing <CR><LF> of the BDAT command line" (RFC 3030 §2). So it is data
      // whatever the server answers.
      if (bdat) {
        this.#startChunk(bdat);
        return end;
      }
      if (this.#terminatesTls && verb === 'STARTTLS' && !continuation) {
        this.#mode = 'asked';
        return chunk.length;
      }
    }
    return chunk.length;
  }

  #startChunk(bdat: BdatChunk): void {
    if (!this.#chunking) this.#bodyBytes = 0;
    this.#chunking = true;
    this.#chunkLeft = bdat.size;
    this.#chunkLast = bdat.last;
    if (bdat.size > 0) this.#mode = 'chunk';
    else this.#endChunk();
  }

  /** Consumes BDAT chunk data from `pos`: binary, never dot-stuffed, so CRLF.CRLF inside is data. */
  #chunk(chunk: Buffer, pos: number, marks: SmtpMark[]): number {
    const take = Math.min(this.#chunkLeft, chunk.length - pos);
    marks.push({ kind: 'body', start: pos, end: pos + take, before: this.#bodyBytes, bdat: true });
    this.#bodyBytes += take;
    this.#chunkLeft -= take;
    if (this.#chunkLeft === 0) this.#endChunk();
    return pos + take;
  }

  #endChunk(): void {
    this.#mode = 'command';
    if (this.#chunkLast) this.#chunking = false;
  }

  /**
   * Consumes body octets from `pos`; emits `body` and, at the terminator, `dot`. A terminator split
   * across chunks leaves its first octets counted in an earlier `body` mark; `dot` is always exact.
   */
  #body(chunk: Buffer, pos: number, marks: SmtpMark[]): number {
    const end = this.#findTerminator(chunk, pos);
    const stop = end === -1 ? chunk.length : end;
    const bodyEnd = end === -1 ? stop : Math.max(pos, end - 3);
    if (bodyEnd > pos) {
      marks.push({ kind: 'body', start: pos, end: bodyEnd, before: this.#bodyBytes });
      this.#bodyBytes += bodyEnd - pos;
    }
    this.#consumed += stop - pos;
    this.#tail = Buffer.concat([this.#tail, chunk.subarray(Math.max(pos, stop - 4), stop)]).subarray(-4);
    if (end === -1) return chunk.length;
    // Everything since the 354 but the ".\r\n" line is content.
    this.#bodyBytes = this.#consumed - 3;
    this.#mode = 'command';
    this.#down.await('dot');
    marks.push({ kind: 'dot', end, bodyBytes: this.#bodyBytes });
    return end;
  }

  /** Offset just past CRLF.CRLF if it completes in `chunk[pos..]`, else -1; sees across chunks. */
  #findTerminator(chunk: Buffer, pos: number): number {
    const head = chunk.subarray(pos, pos + TERMINATOR.length - 1);
    const joined = Buffer.concat([this.#tail, head]);
    const across = joined.indexOf(TERMINATOR);
    if (across !== -1) return pos + across + TERMINATOR.length - this.#tail.length;
    const inside = chunk.indexOf(TERMINATOR, pos);
    return inside === -1 ? -1 : inside + TERMINATOR.length;
  }

  #feedDown(chunk: Buffer): SmtpMark[] {
    const marks: SmtpMark[] = [];
    for (const { text, end, bytes } of this.#down.lines(chunk)) {
      const parsed = parseReplyLineLoosely(text);
      const line = parsed ? parsed.text : text;
      if (parsed && !parsed.final) {
        this.#down.continues(line, bytes);
        continue;
      }
      const { to, lines, omitted } = this.#down.ends(line);
      const code = parsed?.code ?? 0;
      marks.push(omitted ? { kind: 'reply', end, to, code, lines, omitted } : { kind: 'reply', end, to, code, lines });
      this.#onReply(to, code);
      if (this.#mode === 'opaque') break;
    }
    return marks;
  }

  #onReply(to: string, code: number): void {
    if (to === 'DATA' && code === 354) this.#startBody();
    else if (to === 'AUTH' && code !== 334) this.#authContinues = false;
    else if (to === 'STARTTLS' && code === 220) this.#mode = 'opaque';
    else if (to === 'STARTTLS' && this.#mode === 'asked') this.#mode = 'command';
  }

  #startBody(): void {
    this.#mode = 'body';
    this.#bodyBytes = 0;
    this.#consumed = 0;
    // The body starts at a line start, so a lone ".\r\n" ends an empty message.
    this.#tail = Buffer.from('\r\n', 'latin1');
  }
}

/** Whether the reply to `step` answers a whole message: the dot after DATA, or the last BDAT chunk. */
export function endsMessage(step: string): boolean {
  return step === 'dot' || step === BDAT_LAST;
}

/** Commands that end a mail transaction (MAIL begins another, RSET, EHLO and HELO clear it): a BDAT after them starts a new message. */
const ENDS_TRANSACTION = new Set(['MAIL', 'RSET', 'EHLO', 'HELO']);

/** Commands whose success says nothing of how the session went: a refusal before them stays the last word (SmtpPhase.shown). */
const NEUTRAL_STEPS: ReadonlySet<string> = new Set(['RSET', 'NOOP']);

/** Commands a client sends after a refusal without going on past it (SmtpPhase.wentOn). */
const TIDYING: ReadonlySet<string> = new Set([...NEUTRAL_STEPS, 'QUIT']);

/** The phase of a step: `bdat` for every BDAT chunk, the last one too; else the step in lower case. */
function phaseOf(step: string): string {
  return step === BDAT_LAST ? 'bdat' : step.toLowerCase();
}

/** Commands a client must not pipeline past: it waits for their reply (RFC 2920 §3.1). */
const LAST_IN_GROUP = new Set(['ehlo', 'helo', 'data', 'quit', 'noop', 'starttls', 'auth', 'vrfy', 'expn', 'turn']);

/**
 * Where the client is, as the client sees it: what it has sent (observed as it arrives) and which
 * replies it has been shown (observed as they are relayed). The phase is the step whose reply the
 * client waits for (the oldest unanswered, RFC 2920 pipelining), `body` while it sends the message,
 * else the last step answered: `connect`, `greeting`, `ehlo`, `mail`, `rcpt`, `data`, `body`, `dot`, `bdat`,
 * `quit`, `tls` (after STARTTLS, the rest is opaque).
 */
export class SmtpPhase {
  readonly #waiting = new StepQueue();
  /**
   * The steps of #waiting a client must wait for before it sends another (LAST_IN_GROUP), in the same
   * order: the oldest of them is the one a command sent now breaks RFC 2920 for, found without a scan
   * of every step waiting (a client pipelining commands of alternating verbs has one run each).
   */
  readonly #blockers = new StepQueue();
  readonly #violations = new Violations();
  #answered = 'connect';
  #inBody = false;
  #lastCode: number | undefined;
  /** The client went on past the last failure reply it was shown: see View.movedOn. */
  #movedOn = false;
  /** The last reply shown answered a step the client must wait for (LAST_IN_GROUP): see wentOn. */
  #lastWaited = false;
  /** The client ended its side of the connection: see `left`. */
  #gone = false;
  readonly #failures: Record<number, string> = {};
  #accepted = 0;
  #transactions = 0;
  /** What the current transaction's MAIL and RCPT were answered: see #follows. */
  #transaction = { mailRefused: false, rcptAccepted: false, refused: false };

  /** Transactions the client began (MAIL commands): more than the messages it had means it retried. */
  get transactions(): number {
    return this.#transactions;
  }

  /** Messages the client was told the server accepted (2xx to the end of data). */
  get accepted(): number {
    return this.#accepted;
  }

  /** The code of the last reply the client was shown. */
  get lastCode(): number | undefined {
    return this.#lastCode;
  }

  /** The client went on past the last failure reply it was shown: see View.movedOn. */
  get movedOn(): boolean {
    return this.#movedOn;
  }

  /** Failure codes shown, each with the phase its last reply answered: see View.failures. */
  get failures(): Readonly<Record<number, string>> {
    return { ...this.#failures };
  }

  /** Steps sent and not yet answered: see View.awaiting. */
  get awaiting(): number {
    return this.#waiting.size;
  }

  get phase(): string {
    if (this.#inBody) return 'body';
    return this.#waiting.oldest ?? this.#answered;
  }

  /** How the client broke framing rules: a bare LF, a command sent where RFC 2920 says to wait. */
  get violations(): readonly string[] {
    return this.#violations.list;
  }

  /** The client sent a command or the end of data. */
  sent(mark: SmtpMark): void {
    if (mark.kind === 'command') {
      const blocker = this.#blockers.oldest;
      if (blocker) this.#violations.add(`sent ${mark.verb} before the reply to ${blocker.toUpperCase()} (RFC 2920 §3.1)`);
      if (mark.bareLf) this.#violations.add(`ended ${mark.verb || 'a line'} with a bare LF (RFC 5321 §2.3.8)`);
    }
    this.wentOn(mark);
    if (mark.kind === 'command') this.#await(mark.verb.toLowerCase());
    if (mark.kind === 'command' && mark.verb === 'MAIL') this.#transactions++;
    else if (mark.kind === 'dot') {
      this.#inBody = false;
      this.#await('dot');
    }
  }

  #await(step: string): void {
    this.#waiting.push(step);
    if (LAST_IN_GROUP.has(step)) this.#blockers.push(step);
  }

  /** The oldest step waiting got its reply. */
  #answerOldest(): void {
    const step = this.#waiting.shift();
    // The oldest step waiting, if a blocker, is the oldest blocker too.
    if (step !== undefined && LAST_IN_GROUP.has(step)) this.#blockers.shift();
  }

  /** The proxy itself sent the client a reply with `code` (a fault answering in the server's place, to `step`). */
  told(code: number, step?: string): void {
    this.#lastCode = code;
    this.#lastWaited = step !== undefined && LAST_IN_GROUP.has(phaseOf(step));
    this.#movedOn = false;
    this.#failed(code, step);
    if (step !== undefined) this.#track(step, code);
  }

  /** A failure reply to `step` (none, or unsolicited: whatever the client waits on now) was shown. */
  #failed(code: number, step: string | undefined): void {
    if (code >= 400) this.#failures[code] = step === undefined || step === 'unsolicited' ? this.phase : phaseOf(step);
  }

  /**
   * The proxy answered in the server's place (see `told`): `mark` is the server's reply it replaced, or
   * the client's command (or dot) it caught before the server saw it. Either way that step is answered.
   */
  replaced(mark: SmtpMark): void {
    if (mark.kind === 'reply' && mark.to !== 'unsolicited' && mark.to !== 'greeting') {
      // The step the server's reply answered is answered still, by the proxy's reply (strip's EHLO reply).
      this.#answerOldest();
      this.#answered = phaseOf(mark.to);
    }
    if (mark.kind !== 'command' && mark.kind !== 'dot') return;
    const step = mark.kind === 'dot' ? 'dot' : mark.verb.toLowerCase();
    if (this.#waiting.remove(step) && LAST_IN_GROUP.has(step)) this.#blockers.remove(step);
    this.#answered = step;
  }

  /**
   * Whether a failure reply to `step` only follows from a refusal before it in the same transaction,
   * which then stands as the last word: a 503 (bad sequence) to RCPT after MAIL was refused, or a 503 or
   * 554 (no valid recipients) to DATA or BDAT when no RCPT was accepted (RFC 5321 §3.3). A client that
   * pipelines MAIL, RCPT and DATA (RFC 2920 §3.1) is shown both; the refusal is what it failed on.
   */
  #follows(step: string, code: number): boolean {
    const { mailRefused, rcptAccepted, refused } = this.#transaction;
    if (step === 'rcpt') return code === 503 && mailRefused;
    if (step === 'data' || step === 'bdat') return (code === 503 || code === 554) && refused && !rcptAccepted;
    return false;
  }

  /** Keeps what the current transaction's MAIL and RCPT were answered (see #follows) as the reply to `to` is shown. */
  #track(to: string, code: number): void {
    const failed = code >= 400;
    if (to === 'MAIL') this.#transaction = { mailRefused: failed, rcptAccepted: false, refused: failed };
    else if (to === 'RCPT' && failed) this.#transaction.refused = true;
    else if (to === 'RCPT') this.#transaction.rcptAccepted = true;
    else if (ENDS_TRANSACTION.has(to) || endsMessage(to)) this.#transaction = { mailRefused: false, rcptAccepted: false, refused: false };
  }

  /**
   * The client closed or reset its connection: a reply that answers nothing it asked, relayed after
   * that (Exim's `421 lost input connection` right behind msmtp, which closed on a 552), is not what it
   * failed on, so it moves neither the phase nor the last code, which would otherwise depend on which
   * came first. Replies to its steps still count: a FIN only ends its side, and Exim as a client sends
   * BDAT LAST, QUIT and its FIN at once, then reads the 250.
   */
  left(): void {
    this.#gone = true;
  }

  /**
   * A command the client sent: going on past a failure (see View.movedOn), as JavaMail's HELO after a
   * 502 to EHLO (RFC 5321 §4.1.4). QUIT, RSET and NOOP only tidy up after it; a 421 closes the session.
   * Only past the reply to a step a client must wait for (EHLO, DATA...: RFC 2920 §3.1), so the command
   * came after the client read it: one behind MAIL or RCPT may have been pipelined before the refusal
   * came, and reached the proxy after it.
   */
  wentOn(mark: SmtpMark): void {
    if (mark.kind !== 'command' || TIDYING.has(mark.verb) || !this.#lastWaited) return;
    if (passableFailure(this.#lastCode)) this.#movedOn = true;
  }

  /** A reply reached the client. */
  shown(mark: SmtpMark): void {
    if (mark.kind !== 'reply' || (this.#gone && mark.to === 'unsolicited')) return;
    const follows = this.#follows(phaseOf(mark.to), mark.code);
    this.#track(mark.to, mark.code);
    // The reply to QUIT says nothing of how the session went: the last one before it stands; so does a
    // refusal that a failure pipelined behind it follows from, and one the client answered with RSET or
    // NOOP (JavaMail's RSET after a 552 to its dot): their success says nothing of the transaction.
    const aside = NEUTRAL_STEPS.has(mark.to) && mark.code < 400;
    if (mark.to !== 'QUIT' && !follows && !aside) {
      this.#lastCode = mark.code;
      this.#lastWaited = LAST_IN_GROUP.has(phaseOf(mark.to));
      this.#movedOn = false;
    }
    if (mark.to !== 'QUIT') this.#failed(mark.code, mark.to);
    if (mark.to === 'unsolicited') return;
    if (mark.to !== 'greeting') this.#answerOldest();
    this.#answered = mark.to === 'STARTTLS' && mark.code === 220 ? 'tls' : phaseOf(mark.to);
    if (mark.to === 'DATA' && mark.code === 354) this.#inBody = true;
    if (endsMessage(mark.to) && mark.code >= 200 && mark.code < 300) this.#accepted++;
  }
}
