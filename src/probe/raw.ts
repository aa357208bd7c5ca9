/**
 * The probe's own raw line client, shared by the SMTP and FTP checks: exact bytes out (one write, or
 * split), replies in through a parser with a bounded wait, close / RST / timeout seen as values, and a
 * transcript of what went each way with credentials redacted. Protocol-neutral: it knows "3-digit code
 * plus `-` or space" replies (SMTP and FTP alike) and nothing else.
 *
 *   connectRaw ──► RawConnection ──write/send──► socket (plain, or TLS after upgradeTls)
 *                      ▲  │
 *                      │  └─ every chunk ─► buffer ─► read(parser) / readReply() ─► Read<T>
 *                      │                      └─────► transcript `received` (line by line, events)
 *                      └── events: end (FIN) → `[closed by server]`, ECONNRESET → `[RST]`,
 *                                  a bounded wait running out → `[timeout after N ms]`
 *
 * Nothing here throws for what the peer does: a refused connect, a reset or a silent server is a value
 * the check turns into a finding. Every wait has a bound (`timeoutMs`, default the connection's).
 */
import net, { isIP, type Socket } from 'node:net';
import tls, { type PeerCertificate, type TLSSocket } from 'node:tls';
import { redact } from '../util/redact.js';
import { visible } from '../util/terminal.js';

/** How a connection ended, or a wait gave up: `closed` a FIN, `rst` a reset, `error` any other socket error. */
export type Ending = 'closed' | 'rst' | 'error';

/** The result of a bounded wait: a value, or how it ended instead. `ms`: how long the wait took. */
export type Read<T> =
  | { readonly ok: true; readonly value: T; readonly ms: number }
  | {
      readonly ok: false;
      readonly end: Ending | 'timeout';
      /** The transcript form: `[closed by server]`, `[RST]`, `[timeout after 5000 ms]`, `[error EPIPE]`. */
      readonly event: string;
      readonly ms: number;
      /** The socket error code, when there was one. */
      readonly code?: string;
    };

/** One reply: `250-a` / `250 b` lines, or FTP's `211-` ... `211 End` with unnumbered lines between. */
export interface Reply {
  /** The 3-digit code; 0 when the first line did not start with one (see `malformed`). */
  readonly code: number;
  /** Each line's text after the code and its `-`/space separator (unnumbered FTP lines as they are). */
  readonly lines: readonly string[];
  /** The lines as received, without their line endings. */
  readonly raw: readonly string[];
  /** The first line did not start with 3 digits followed by `-`, space or the line end. */
  readonly malformed: boolean;
  /** Some line ended with a bare LF instead of CRLF. */
  readonly bareLf: boolean;
}

/**
 * A parser over the unread received text (latin1, one char per octet): the value and how many chars it
 * consumed, or undefined while more is needed. Pure, like basic-ftp's parseControlResponse.
 */
export type Parser<T> = (buffer: string) => { readonly value: T; readonly consumed: number } | undefined;

/** What a connect failed with. */
export interface ConnectFailure {
  /** `refused` ECONNREFUSED; `timeout` no answer within the bound; `reset` ECONNRESET while connecting;
   *  `unreachable` EHOSTUNREACH/ENETUNREACH; `unresolved` a name lookup failed; `error` anything else. */
  readonly kind: 'refused' | 'timeout' | 'reset' | 'unreachable' | 'unresolved' | 'error';
  /** The transcript form: `[connection refused]`, `[timeout after 5000 ms]`, ... */
  readonly event: string;
  /** The socket error code, when there was one. */
  readonly code?: string;
  readonly ms: number;
}

/** What a TLS handshake showed of the server; recorded for the tls checks. */
export interface TlsInfo {
  /** `TLSv1.3`, `TLSv1.2`...; null if unknown. */
  readonly protocol: string | null;
  /** Negotiated cipher name, e.g. `TLS_AES_256_GCM_SHA384`. */
  readonly cipher: string;
  /** The chain verified against the system's CAs (it was not required to: rejectUnauthorized is false). */
  readonly authorized: boolean;
  /** Why it did not verify (`DEPTH_ZERO_SELF_SIGNED_CERT`, `CERT_HAS_EXPIRED`...). */
  readonly authorizationError?: string;
  /** The certificate's names match the host we connected to (tls.checkServerIdentity). */
  readonly nameMatches: boolean;
  /** Subject and issuer common names, subjectAltName, validity dates as the certificate gives them. */
  readonly subject?: string;
  readonly issuer?: string;
  readonly altNames?: string;
  readonly validFrom?: string;
  readonly validTo?: string;
  /** Whole days until `validTo` (negative once expired). */
  readonly daysLeft?: number;
  readonly selfSigned: boolean;
  /** SHA-256 fingerprint, colon-separated hex. */
  readonly fingerprint256?: string;
}

/** The result of upgradeTls: the handshake's record, or how it failed. `leftover`: see upgradeTls. */
export type Upgrade =
  | { readonly ok: true; readonly tls: TlsInfo; readonly leftover: string; readonly ms: number }
  | { readonly ok: false; readonly end: Ending | 'timeout'; readonly event: string; readonly leftover: string; readonly ms: number; readonly code?: string };

export interface RawOptions {
  /** Host name or address to connect to. Required. */
  readonly host: string;
  /** TCP port. Required. */
  readonly port: number;
  /** Bound on the connect, and the default bound on every later wait, ms; default 5000. */
  readonly timeoutMs?: number;
  /** Local address to connect from (e.g. 127.0.0.2 for per-address limits); default: the system picks. */
  readonly localAddress?: string;
  /** Record sent and received lines in the transcript; default true (false for FTP data connections). */
  readonly record?: boolean;
  /**
   * Close the connection when a wait runs out (see RawConnection.closeOnTimeout): a server that stalled
   * once costs one bound, not one per later command; default false.
   */
  readonly closeOnTimeout?: boolean;
}

/** Transcript events, as they appear in `received`. */
export const EVENTS = Object.freeze({
  closed: '[closed by server]',
  /** The probe closed it (destroy, reset, or closeOnTimeout). */
  local: '[closed by probe]',
  rst: '[RST]',
  refused: '[connection refused]',
  timeout: (ms: number): string => `[timeout after ${ms} ms]`,
  error: (code: string): string => `[error ${code}]`,
});

/** Default bound on the connect and every wait, ms. */
export const RAW_TIMEOUT_MS = 5_000;
/** A transcript line longer than this is cut (its length noted). */
const MAX_SHOWN = 240;
/** At most this many lines per direction are kept per connection; later ones are counted. */
const MAX_LINES = 400;
/** Unread received octets beyond this end the connection (`[error EOVERFLOW]`): protects memory. */
const MAX_BUFFERED = 4 * 1024 * 1024;

/** Cuts a line for display. */
function shown(line: string): string {
  return line.length <= MAX_SHOWN ? line : `${line.slice(0, MAX_SHOWN)}... (${line.length} chars)`;
}

/** Control characters escaped (src/util/terminal.ts): a bare `\n` or `\r` stays visible on one line. */
export { visible };

/**
 * How written bytes appear in `sent`: split at CRLF, each line redacted (AUTH payloads, PASS), bare CR
 * and LF escaped (`\n.\n` stays visible).
 */
export function renderSent(text: string): string[] {
  const parts = text.split('\r\n');
  if (parts.at(-1) === '') parts.pop();
  // Lines written with an AUTH in one go (pipelined SASL responses) are credentials, all of them.
  let sasl = false;
  return parts.map((line) => {
    if (sasl) return '***';
    sasl = /^\s*AUTH\b/i.test(line);
    return shown(visible(redactLine(line)));
  });
}

/** Credentials out of one client line: `AUTH PLAIN ***`, `PASS ***`, `ACCT ***` (src/proxy/transcript.ts). */
export function redactLine(line: string): string {
  const verb = /^\s*([A-Za-z]+)/.exec(line)?.[1]?.toUpperCase() ?? '';
  return redact(line, verb);
}

/**
 * The generic reply parser: a single line `ddd text` (or bare `ddd`), or a multi-line reply opened by
 * `ddd-` and ended by a line starting `ddd ` (or exactly `ddd`) with the same code; lines between may
 * carry any text (RFC 959 §4.2, RFC 5321 §4.2.1). A first line without a code is one malformed reply.
 * Lines end at LF; a CR before it is dropped.
 */
export const replyParser: Parser<Reply> = (buffer) => {
  const raw: string[] = [];
  let bareLf = false;
  let at = 0;
  let code = -1;
  for (;;) {
    const lf = buffer.indexOf('\n', at);
    if (lf === -1) return undefined;
    const crlf = lf > at && buffer[lf - 1] === '\r';
    if (!crlf) bareLf = true;
    const line = buffer.slice(at, crlf ? lf - 1 : lf);
    at = lf + 1;
    raw.push(line);
    if (code === -1) {
      // Only a space or `-` follows the code (RFC 959 §4.2, RFC 5321 §4.2): `550\tno` is no reply line.
      const m = /^(\d{3})(-| |$)/.exec(line);
      if (!m) return { value: { code: 0, lines: [line], raw, malformed: true, bareLf }, consumed: at };
      code = Number(m[1]);
      if (m[2] !== '-') break;
      continue;
    }
    if (new RegExp(`^${String(code).padStart(3, '0')}( |$)`).test(line)) break;
  }
  const lines = raw.map((line, i) => (i === 0 || /^\d{3}(-| |$)/.test(line) ? line.slice(4) : line));
  return { value: { code, lines, raw, malformed: false, bareLf }, consumed: at };
};

/** A connected raw client. Made by connectRaw (or wrapSocket for a socket you accepted). */
export class RawConnection {
  #socket: Socket;
  #buffer = '';
  #ending: { kind: Ending; code?: string } | null = null;
  readonly #waiters = new Set<() => void>();
  readonly #sent: string[] = [];
  readonly #received: string[] = [];
  #partial = '';
  #dropped = { sent: 0, received: 0 };
  readonly #record: boolean;
  readonly #timeoutMs: number;
  readonly #host: string;
  readonly #started = performance.now();
  readonly #onData = (chunk: Buffer): void => this.#take(chunk);
  #tls: TlsInfo | null = null;
  /** While `drain` runs: where received chunks go (neither buffered nor recorded). */
  #sink: ((chunk: Buffer) => void) | undefined;
  /**
   * When a read's wait runs out, close the connection (after recording the timeout): later reads and
   * writes then return at once (`[closed by probe]`) instead of each waiting out its own bound. Switch
   * it off around a wait that is meant to run out (a silence that passes a check).
   */
  closeOnTimeout: boolean;

  /** Takes over a connected socket. `host`: the name to check certificates against. */
  constructor(socket: Socket, options: { readonly host: string; readonly timeoutMs?: number; readonly record?: boolean; readonly closeOnTimeout?: boolean }) {
    this.closeOnTimeout = options.closeOnTimeout ?? false;
    this.#socket = socket;
    this.#host = options.host;
    this.#timeoutMs = options.timeoutMs ?? RAW_TIMEOUT_MS;
    this.#record = options.record ?? true;
    this.#listen(socket);
  }

  /** The default bound on waits, ms. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /** The peer's address and port, our own (for FTP's PASV address check and PORT/EPRT). */
  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.#socket.remotePort;
  }
  get localAddress(): string | undefined {
    return this.#socket.localAddress;
  }
  get localPort(): number | undefined {
    return this.#socket.localPort;
  }

  /** How the connection ended, or null while it is open. */
  get ended(): Ending | null {
    return this.#ending?.kind ?? null;
  }

  /** The TLS handshake's record once upgradeTls succeeded, else null. */
  get tls(): TlsInfo | null {
    return this.#tls;
  }

  /** Unread received text (latin1), without consuming it. */
  get pending(): string {
    return this.#buffer;
  }

  /** Milliseconds since the connection was made. */
  elapsedMs(): number {
    return performance.now() - this.#started;
  }

  /**
   * Writes `data` exactly (a string is latin1: one char per octet). `split`: cut it into writes of this
   * many octets, or at these octet offsets, `gapMs` apart (partial writes). `show`: the lines to record
   * in `sent` instead of the bytes (still redacted); `secret`: record `***` (a SASL continuation).
   * Resolves true once handed to the kernel, false if the connection is gone.
   */
  async write(
    data: string | Buffer,
    options: { readonly split?: number | readonly number[]; readonly gapMs?: number; readonly show?: string | readonly string[]; readonly secret?: boolean } = {},
  ): Promise<boolean> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    if (options.secret) this.#log(this.#sent, '***', 'sent');
    else if (options.show !== undefined) for (const line of [options.show].flat()) this.#log(this.#sent, shown(redactLine(line)), 'sent');
    else for (const line of renderSent(bytes.toString('latin1'))) this.#log(this.#sent, line, 'sent');
    const pieces = cut(bytes, options.split);
    for (const [i, piece] of pieces.entries()) {
      if (i > 0 && options.gapMs) await new Promise((resolve) => setTimeout(resolve, options.gapMs));
      if (!(await this.#writeOnce(piece))) return false;
    }
    return true;
  }

  /** Writes one command line with CRLF appended (redacted in the transcript; `secret`: `***`). */
  send(line: string, options: { readonly secret?: boolean } = {}): Promise<boolean> {
    return this.write(`${line}\r\n`, options.secret ? { secret: true } : { show: line });
  }

  /** Reads one value with `parser`, waiting at most `timeoutMs` (default the connection's bound). */
  read<T>(parser: Parser<T>, timeoutMs = this.#timeoutMs): Promise<Read<T>> {
    const start = performance.now();
    const since = (): number => Math.round(performance.now() - start);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (result: Read<T>): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(result);
      };
      const check = (): void => {
        const parsed = parser(this.#buffer);
        if (parsed) {
          this.#buffer = this.#buffer.slice(parsed.consumed);
          return finish({ ok: true, value: parsed.value, ms: since() });
        }
        if (this.#ending) finish({ ok: false, end: this.#ending.kind, event: endEvent(this.#ending), ms: since(), ...(this.#ending.code ? { code: this.#ending.code } : {}) });
      };
      timer = setTimeout(() => {
        this.#event(EVENTS.timeout(timeoutMs));
        // A timeout took its bound, whatever a busy event loop added: reports say the bound.
        finish({ ok: false, end: 'timeout', event: EVENTS.timeout(timeoutMs), ms: timeoutMs });
        if (this.closeOnTimeout) this.destroy();
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** Reads one reply with the generic parser (replyParser), waiting at most `timeoutMs`. */
  readReply(timeoutMs = this.#timeoutMs): Promise<Read<Reply>> {
    return this.read(replyParser, timeoutMs);
  }

  /** Sends `line` and reads its reply: the everyday step of a check. */
  async command(line: string, options: { readonly timeoutMs?: number; readonly secret?: boolean } = {}): Promise<Read<Reply>> {
    await this.send(line, options.secret ? { secret: true } : {});
    return this.readReply(options.timeoutMs);
  }

  /**
   * Reads everything until the peer ends the connection (a data connection): at most `maxBytes`, at
   * most `timeoutMs`. `end` says how it ended (`timeout` when the bound ran out first).
   */
  async readToEnd(options: { readonly timeoutMs?: number; readonly maxBytes?: number } = {}): Promise<{ readonly data: Buffer; readonly end: Ending | 'timeout' | 'overflow'; readonly ms: number }> {
    const maxBytes = options.maxBytes ?? MAX_BUFFERED;
    const none: Parser<never> = (buffer) => (buffer.length > maxBytes ? { value: undefined as never, consumed: 0 } : undefined);
    const result = await this.read(none, options.timeoutMs);
    const data = Buffer.from(this.#buffer, 'latin1');
    this.#buffer = '';
    return { data, end: result.ok ? 'overflow' : result.end, ms: result.ms };
  }

  /**
   * Reads until the peer ends the connection, handing each chunk to `onData` instead of keeping it (a
   * download of any size). `idleMs` bounds each wait for the next chunk, not the whole: a slow transfer
   * that keeps moving is not cut short, a stalled one is (`end: 'timeout'`).
   */
  drain(onData: (chunk: Buffer) => void, idleMs = this.#timeoutMs): Promise<{ readonly octets: number; readonly end: Ending | 'timeout'; readonly ms: number }> {
    const start = performance.now();
    let octets = 0;
    const take = (chunk: Buffer): void => {
      octets += chunk.length;
      onData(chunk);
    };
    if (this.#buffer !== '') take(Buffer.from(this.#buffer, 'latin1'));
    this.#buffer = '';
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (end: Ending | 'timeout'): void => {
        clearTimeout(timer);
        this.#sink = undefined;
        this.#waiters.delete(check);
        resolve({ octets, end, ms: Math.round(performance.now() - start) });
      };
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          this.#event(EVENTS.timeout(idleMs));
          finish('timeout');
        }, idleMs);
      };
      const check = (): void => {
        if (this.#ending) finish(this.#ending.kind);
      };
      this.#sink = (chunk) => {
        take(chunk);
        arm();
      };
      arm();
      this.#waiters.add(check);
      check();
    });
  }

  /** Waits at most `timeoutMs` for the connection to end, ignoring (but recording) what arrives. */
  async waitForEnd(timeoutMs = this.#timeoutMs): Promise<{ readonly end: Ending | 'timeout'; readonly event: string; readonly ms: number }> {
    const never: Parser<never> = () => undefined;
    const result = await this.read(never, timeoutMs);
    return result.ok ? { end: 'timeout', event: EVENTS.timeout(timeoutMs), ms: result.ms } : { end: result.end, event: result.event, ms: result.ms };
  }

  /**
   * STARTTLS / AUTH TLS: wraps the socket in TLS (certificate not required to verify; what it showed
   * is recorded as `tls`). Call it after reading the 220/234. `leftover`: plaintext that had arrived
   * unread before the handshake (a server answering injected commands: CVE-2011-0411); it is discarded.
   */
  async upgradeTls(options: { readonly timeoutMs?: number; readonly servername?: string } = {}): Promise<Upgrade> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const leftover = this.#buffer;
    this.#buffer = '';
    this.#flushPartial();
    const start = performance.now();
    const since = (): number => Math.round(performance.now() - start);
    if (this.#ending) return { ok: false, end: this.#ending.kind, event: endEvent(this.#ending), leftover, ms: 0 };
    const plain = this.#socket;
    this.#unlisten(plain);
    const servername = options.servername ?? (isIP(this.#host) ? undefined : this.#host);
    const secure: TLSSocket = tls.connect({ socket: plain, rejectUnauthorized: false, ...(servername ? { servername } : {}) });
    secure.on('error', () => undefined); // reported through the handshake outcome, then through #onError
    const outcome = await new Promise<{ ok: true } | { ok: false; end: Ending | 'timeout'; code?: string }>((resolve) => {
      const timer = setTimeout(() => resolve({ ok: false, end: 'timeout' }), timeoutMs);
      const done = (value: { ok: true } | { ok: false; end: Ending | 'timeout'; code?: string }): void => {
        clearTimeout(timer);
        secure.off('secureConnect', onSecure);
        secure.off('error', onError);
        secure.off('close', onClose);
        resolve(value);
      };
      const onSecure = (): void => done({ ok: true });
      const onError = (error: NodeJS.ErrnoException): void =>
        done({ ok: false, end: error.code === 'ECONNRESET' ? 'rst' : 'error', code: error.code ?? 'ETLS' });
      const onClose = (): void => done({ ok: false, end: 'closed' });
      secure.once('secureConnect', onSecure);
      secure.once('error', onError);
      secure.once('close', onClose);
    });
    this.#socket = secure;
    this.#listen(secure);
    if (!outcome.ok) {
      const ending = { kind: outcome.end === 'timeout' ? ('error' as const) : outcome.end, ...(outcome.code ? { code: outcome.code } : {}) };
      const event = outcome.end === 'timeout' ? EVENTS.timeout(timeoutMs) : endEvent(ending);
      this.#event(`${event} (TLS handshake)`);
      this.#ending ??= outcome.end === 'timeout' ? { kind: 'error', code: 'ETIMEDOUT' } : ending;
      secure.destroy();
      return { ok: false, end: outcome.end, event, leftover, ms: since(), ...(outcome.code ? { code: outcome.code } : {}) };
    }
    this.#tls = tlsInfo(secure, this.#host);
    this.#event(`[TLS ${this.#tls.protocol ?? '?'} ${this.#tls.cipher}]`);
    return { ok: true, tls: this.#tls, leftover, ms: since() };
  }

  /**
   * The transcript since the last take (or the start), and starts a new one: `sent` client lines
   * (redacted), `received` server lines and events. Checks sharing a connection take one each.
   */
  takeTranscript(): { sent: string[]; received: string[] } {
    this.#flushPartial();
    const note = (n: number, what: string): string[] => (n > 0 ? [`[${n} more ${what} lines not kept]`] : []);
    const out = { sent: [...this.#sent, ...note(this.#dropped.sent, 'sent')], received: [...this.#received, ...note(this.#dropped.received, 'received')] };
    this.#sent.length = 0;
    this.#received.length = 0;
    this.#dropped = { sent: 0, received: 0 };
    return out;
  }

  /** Adds a note to `received` (e.g. `[waited 3 s, nothing]`). */
  note(text: string): void {
    this.#event(text);
  }

  /** Half-closes: sends FIN after what was written (a data connection's end of upload). */
  end(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#socket.destroyed || this.#socket.writableEnded) return resolve();
      this.#socket.end(() => resolve());
    });
  }

  /** Closes at once (FIN if the kernel can, no waiting); idempotent. Later reads: `[closed by probe]`. */
  destroy(): void {
    this.#ending ??= { kind: 'closed', code: 'ELOCAL' };
    this.#socket.destroy();
    this.#wake();
  }

  /** Aborts with an RST (SO_LINGER 0); idempotent. */
  reset(): void {
    this.#ending ??= { kind: 'closed', code: 'ELOCAL' };
    const raw = this.#socket instanceof tls.TLSSocket ? ((this.#socket as unknown as { _parent?: Socket })._parent ?? this.#socket) : this.#socket;
    if (!raw.destroyed && !raw.writableEnded && typeof raw.resetAndDestroy === 'function') raw.resetAndDestroy();
    this.#socket.destroy();
    this.#wake();
  }

  #writeOnce(piece: Buffer): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.#socket.destroyed || this.#socket.writableEnded) return resolve(false);
      this.#socket.write(piece, (error) => resolve(!error));
    });
  }

  #listen(socket: Socket): void {
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  #unlisten(socket: Socket): void {
    socket.off('data', this.#onData);
    socket.off('end', this.#onEnd);
    socket.off('error', this.#onError);
    socket.off('close', this.#onClose);
    socket.on('error', () => undefined); // a late error on the raw socket is the TLS socket's to report
  }

  readonly #onEnd = (): void => this.#finish({ kind: 'closed' });
  readonly #onError = (error: NodeJS.ErrnoException): void =>
    this.#finish(error.code === 'ECONNRESET' ? { kind: 'rst', code: 'ECONNRESET' } : { kind: 'error', code: error.code ?? 'EUNKNOWN' });
  readonly #onClose = (): void => this.#finish({ kind: 'closed' });

  #finish(ending: { kind: Ending; code?: string }): void {
    if (this.#ending) return this.#wake();
    this.#flushPartial();
    this.#ending = ending;
    this.#event(endEvent(ending));
    this.#socket.destroy();
    this.#wake();
  }

  #take(chunk: Buffer): void {
    if (this.#sink) return this.#sink(chunk);
    const text = chunk.toString('latin1');
    this.#buffer += text;
    if (this.#record) {
      const parts = (this.#partial + text).split('\n');
      this.#partial = parts.pop() ?? '';
      for (const line of parts) this.#log(this.#received, shown(visible(line.endsWith('\r') ? line.slice(0, -1) : `${line}\\n`)), 'received');
    }
    if (this.#buffer.length > MAX_BUFFERED) this.#finish({ kind: 'error', code: 'EOVERFLOW' });
    this.#wake();
  }

  #flushPartial(): void {
    if (this.#partial === '') return;
    this.#log(this.#received, `${shown(visible(this.#partial))} [no line end]`, 'received');
    this.#partial = '';
  }

  #event(text: string): void {
    this.#flushPartial();
    this.#log(this.#received, text, 'received', true);
  }

  #log(lines: string[], line: string, which: 'sent' | 'received', always = false): void {
    if (!this.#record && !always) return;
    if (lines.length >= MAX_LINES) this.#dropped[which]++;
    else lines.push(line);
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}

/** `[closed by server]`, `[RST]`, `[error CODE]`. */
function endEvent(ending: { kind: Ending; code?: string }): string {
  if (ending.code === 'ELOCAL') return EVENTS.local;
  return ending.kind === 'closed' ? EVENTS.closed : ending.kind === 'rst' ? EVENTS.rst : EVENTS.error(ending.code ?? 'EUNKNOWN');
}

/** Splits `bytes` into pieces of `split` octets, or at the given offsets. */
function cut(bytes: Buffer, split: number | readonly number[] | undefined): Buffer[] {
  if (split === undefined || bytes.length === 0) return [bytes];
  const offsets = typeof split === 'number'
    ? Array.from({ length: Math.ceil(bytes.length / Math.max(1, split)) - 1 }, (_, i) => (i + 1) * Math.max(1, split))
    : [...split].filter((n) => n > 0 && n < bytes.length).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let at = 0;
  for (const offset of offsets) {
    if (offset <= at) continue;
    pieces.push(bytes.subarray(at, offset));
    at = offset;
  }
  pieces.push(bytes.subarray(at));
  return pieces;
}

/** What a TLS socket showed, for the tls check. */
function tlsInfo(socket: TLSSocket, host: string): TlsInfo {
  const cert = socket.getPeerCertificate(false) as PeerCertificate | Record<string, never>;
  const has = Object.keys(cert).length > 0;
  const pc = cert as PeerCertificate;
  const error = socket.authorizationError ? String((socket.authorizationError as unknown as { code?: string }).code ?? socket.authorizationError) : undefined;
  const validTo = has ? pc.valid_to : undefined;
  const daysLeft = validTo ? Math.floor((Date.parse(validTo) - Date.now()) / 86_400_000) : undefined;
  const nameMatches = has ? tls.checkServerIdentity(host, pc) === undefined : false;
  const cn = (name: unknown): string | undefined => {
    const value = (name as { CN?: string | string[] } | undefined)?.CN;
    return Array.isArray(value) ? value.join(', ') : value;
  };
  return {
    protocol: socket.getProtocol(),
    cipher: socket.getCipher()?.name ?? '?',
    authorized: socket.authorized,
    ...(error ? { authorizationError: error } : {}),
    nameMatches,
    ...(has && cn(pc.subject) ? { subject: cn(pc.subject) } : {}),
    ...(has && cn(pc.issuer) ? { issuer: cn(pc.issuer) } : {}),
    ...(has && pc.subjectaltname ? { altNames: pc.subjectaltname } : {}),
    ...(has ? { validFrom: pc.valid_from, validTo: pc.valid_to } : {}),
    ...(daysLeft !== undefined && Number.isFinite(daysLeft) ? { daysLeft } : {}),
    selfSigned: error === 'DEPTH_ZERO_SELF_SIGNED_CERT' || error === 'SELF_SIGNED_CERT_IN_CHAIN',
    ...(has && pc.fingerprint256 ? { fingerprint256: pc.fingerprint256 } : {}),
  };
}

/**
 * Connects with a bound (`timeoutMs`, default 5000) and optionally from `localAddress`. Never throws for
 * the network: a refusal, a timeout or an unresolvable name is a ConnectFailure value.
 */
export function connectRaw(options: RawOptions): Promise<{ readonly ok: true; readonly conn: RawConnection } | { readonly ok: false; readonly failure: ConnectFailure }> {
  const timeoutMs = options.timeoutMs ?? RAW_TIMEOUT_MS;
  const start = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host: options.host, port: options.port, noDelay: true, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    const timer = setTimeout(() => fail({ kind: 'timeout', event: EVENTS.timeout(timeoutMs) }), timeoutMs);
    const onError = (error: NodeJS.ErrnoException): void => {
      const code = error.code ?? 'EUNKNOWN';
      const kind = code === 'ECONNREFUSED' ? 'refused' : code === 'ECONNRESET' ? 'reset'
        : code === 'EHOSTUNREACH' || code === 'ENETUNREACH' ? 'unreachable'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' ? 'unresolved' : 'error';
      fail({ kind, event: kind === 'refused' ? EVENTS.refused : kind === 'reset' ? EVENTS.rst : EVENTS.error(code), code });
    };
    function fail(failure: Omit<ConnectFailure, 'ms'>): void {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      socket.on('error', () => undefined);
      socket.destroy();
      const ms = failure.kind === 'timeout' ? timeoutMs : Math.round(performance.now() - start);
      resolve({ ok: false, failure: { ...failure, ms } });
    }
    function onConnect(): void {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve({ ok: true, conn: new RawConnection(socket, { host: options.host, timeoutMs, record: options.record ?? true, closeOnTimeout: options.closeOnTimeout ?? false }) });
    }
    socket.once('connect', onConnect);
    socket.once('error', onError);
  });
}

/** Wraps a socket you accepted (FTP active mode: the server connecting back) as a RawConnection. */
export function wrapSocket(socket: Socket, options: { readonly host?: string; readonly timeoutMs?: number; readonly record?: boolean } = {}): RawConnection {
  return new RawConnection(socket, { host: options.host ?? socket.remoteAddress ?? '', ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}), ...(options.record !== undefined ? { record: options.record } : {}) });
}
