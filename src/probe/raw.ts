/**
 * The probe's own raw line client, shared by the SMTP and FTP checks: exact bytes out (one write, or
 * split), replies in through a parser with a bounded wait, close / RST / timeout seen as values, and a
 * transcript of what went each way with credentials redacted (./raw-transcript.ts). Protocol-neutral:
 * it reads replies with src/protocol/reply.ts ("3-digit code plus `-` or space", SMTP and FTP alike).
 * Connecting is ./raw-connect.ts; what a TLS handshake showed is ./raw-tls.ts.
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
import { isIP, type Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { replyReader, type Parser, type Reply } from '../protocol/reply.js';
import { EVENTS, endEvent, MAX_UNREAD, redactLine, renderSent, shown, Transcript } from './raw-transcript.js';
import { tlsInfo, type TlsInfo, type TlsOffer } from './raw-tls.js';
import { cut } from './raw-cut.js';

/** How a connection ended, or a wait gave up: `closed` a FIN, `rst` a reset, `error` any other socket error. */
export type Ending = 'closed' | 'rst' | 'error';

/** How a command line is written: `secret` records `***` for it; `utf8` writes it as UTF-8 (else latin1). */
export interface SendOptions {
  readonly secret?: boolean;
  readonly utf8?: boolean;
}

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

/** The result of upgradeTls: the handshake's record, or how it failed. `leftover`: see upgradeTls. */
export type Upgrade =
  | { readonly ok: true; readonly tls: TlsInfo; readonly leftover: string; readonly ms: number }
  | { readonly ok: false; readonly end: Ending | 'timeout'; readonly event: string; readonly leftover: string; readonly ms: number; readonly code?: string };

/** Default bound on the connect and every wait, ms. */
export const RAW_TIMEOUT_MS = 5_000;

/** A connected raw client. Made by connectRaw (or wrapSocket for a socket you accepted). */
export class RawConnection {
  #socket: Socket;
  /** The peer's address and port, our own (PASV check, PORT/EPRT), as at connect: TLS takes the handle over. */
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  #buffer = '';
  #ending: { kind: Ending; code?: string } | null = null;
  readonly #waiters = new Set<() => void>();
  readonly #transcript: Transcript;
  readonly #timeoutMs: number;
  readonly #host: string;
  readonly #started = performance.now();
  readonly #onData = (chunk: Buffer): void => this.#take(chunk);
  #tls: TlsInfo | null = null;
  #tlsSession: Buffer | undefined;
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
    ({ remoteAddress: this.remoteAddress, remotePort: this.remotePort, localAddress: this.localAddress, localPort: this.localPort } = socket);
    this.#host = options.host;
    this.#timeoutMs = options.timeoutMs ?? RAW_TIMEOUT_MS;
    this.#transcript = new Transcript(options.record ?? true);
    this.#listen(socket);
  }

  /** The default bound on waits, ms. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /** How the connection ended, or null while it is open. */
  get ended(): Ending | null {
    return this.#ending?.kind ?? null;
  }

  /** The TLS handshake's record once upgradeTls succeeded, else null. */
  get tls(): TlsInfo | null {
    return this.#tls;
  }

  /** The TLS session a data connection may resume (RFC 4217): the latest the server gave (TLS 1.3: a later ticket). */
  get tlsSession(): Buffer | undefined {
    return this.#tlsSession ?? (this.#socket instanceof tls.TLSSocket ? this.#socket.getSession() : undefined);
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
    options: {
      readonly split?: number | readonly number[];
      readonly gapMs?: number;
      readonly show?: string | readonly string[];
      readonly secret?: boolean;
    } = {},
  ): Promise<boolean> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    if (options.secret) this.#transcript.sent('***');
    else if (options.show !== undefined) for (const line of [options.show].flat()) this.#transcript.sent(shown(redactLine(line)));
    else for (const line of renderSent(bytes.toString('latin1'))) this.#transcript.sent(line);
    const pieces = cut(bytes, options.split);
    for (const [i, piece] of pieces.entries()) {
      if (i > 0 && options.gapMs) await new Promise((resolve) => setTimeout(resolve, options.gapMs));
      if (!(await this.#writeOnce(piece))) return false;
    }
    return true;
  }

  /**
   * Writes one command line with CRLF appended (redacted in the transcript; `secret`: `***`), as latin1
   * (one octet a char) or, `utf8`, as UTF-8.
   */
  send(line: string, options: SendOptions = {}): Promise<boolean> {
    const data = options.utf8 ? Buffer.from(`${line}\r\n`, 'utf8') : `${line}\r\n`;
    return this.write(data, options.secret ? { secret: true } : { show: line });
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
        if (this.#ending)
          finish({ ok: false, end: this.#ending.kind, event: endEvent(this.#ending), ms: since(), ...(this.#ending.code ? { code: this.#ending.code } : {}) });
      };
      timer = setTimeout(() => {
        this.#transcript.event(EVENTS.timeout(timeoutMs));
        // A timeout took its bound, whatever a busy event loop added: reports say the bound.
        finish({ ok: false, end: 'timeout', event: EVENTS.timeout(timeoutMs), ms: timeoutMs });
        if (this.closeOnTimeout) this.destroy();
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** Reads one reply with the generic parser (replyParser, as replyReader), waiting at most `timeoutMs`. */
  readReply(timeoutMs = this.#timeoutMs): Promise<Read<Reply>> {
    return this.read(replyReader(), timeoutMs);
  }

  /** Sends `line` and reads its reply: the everyday step of a check. */
  async command(line: string, options: SendOptions & { readonly timeoutMs?: number } = {}): Promise<Read<Reply>> {
    await this.send(line, options);
    return this.readReply(options.timeoutMs);
  }

  /**
   * Reads everything until the peer ends the connection (a data connection): at most `maxBytes`, at
   * most `timeoutMs`. `end` says how it ended (`timeout` when the bound ran out first).
   */
  async readToEnd(
    options: { readonly timeoutMs?: number; readonly maxBytes?: number } = {},
  ): Promise<{ readonly data: Buffer; readonly end: Ending | 'timeout' | 'overflow'; readonly ms: number }> {
    const maxBytes = options.maxBytes ?? MAX_UNREAD;
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
  drain(
    onData: (chunk: Buffer) => void,
    idleMs = this.#timeoutMs,
  ): Promise<{ readonly octets: number; readonly end: Ending | 'timeout'; readonly ms: number }> {
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
          this.#transcript.event(EVENTS.timeout(idleMs));
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
   * `offer`: one version and ciphers (tls-versions), a session to resume (FTP data); default Node's.
   */
  async upgradeTls(options: { readonly timeoutMs?: number; readonly servername?: string; readonly offer?: TlsOffer } = {}): Promise<Upgrade> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const leftover = this.#buffer;
    this.#buffer = '';
    this.#transcript.flush();
    const start = performance.now();
    const since = (): number => Math.round(performance.now() - start);
    if (this.#ending) return { ok: false, end: this.#ending.kind, event: endEvent(this.#ending), leftover, ms: 0 };
    const plain = this.#socket;
    this.#unlisten(plain);
    const servername = options.servername ?? (isIP(this.#host) ? undefined : this.#host);
    const secure: TLSSocket = tls.connect({ socket: plain, rejectUnauthorized: false, ...(servername ? { servername } : {}), ...options.offer });
    secure.on('session', (session: Buffer) => void (this.#tlsSession = session));
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
      this.#transcript.event(`${event} (TLS handshake)`);
      this.#ending ??= outcome.end === 'timeout' ? { kind: 'error', code: 'ETIMEDOUT' } : ending;
      secure.destroy();
      return { ok: false, end: outcome.end, event, leftover, ms: since(), ...(outcome.code ? { code: outcome.code } : {}) };
    }
    this.#tls = tlsInfo(secure, this.#host);
    this.#transcript.event(`[TLS ${this.#tls.protocol ?? '?'} ${this.#tls.cipher}]`);
    return { ok: true, tls: this.#tls, leftover, ms: since() };
  }

  /**
   * The transcript since the last take (or the start), and starts a new one: `sent` client lines
   * (redacted), `received` server lines and events. Checks sharing a connection take one each.
   */
  takeTranscript(): { sent: string[]; received: string[] } {
    return this.#transcript.take();
  }

  /** Adds a note to `received` (e.g. `[waited 3 s, nothing]`). */
  note(text: string): void {
    this.#transcript.event(text);
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
    this.#ending = ending;
    this.#transcript.event(endEvent(ending));
    this.#socket.destroy();
    this.#wake();
  }

  #take(chunk: Buffer): void {
    if (this.#sink) return this.#sink(chunk);
    const text = chunk.toString('latin1');
    this.#buffer += text;
    this.#transcript.received(text);
    if (this.#buffer.length > MAX_UNREAD) this.#finish({ kind: 'error', code: 'EOVERFLOW' });
    this.#wake();
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
