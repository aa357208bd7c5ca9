/**
 * The FTP layer of the probe, over the raw line client (./raw.ts): a control session (greeting with its
 * optional 120, login, commands answered by a 1xx then a final reply), data connections (PASV, EPSV,
 * PORT, EPRT) and transfers, each wait bounded by limits.replyTimeoutMs. Nothing here judges: the
 * checks (./ftp-*.ts) turn what happened into findings.
 *
 *   FtpSession.open ─► connect ─► 120? ─► 220 ─► login (USER, PASS: redacted)
 *        │
 *        ├─ passive(PASV|EPSV, host) ─► connect to the advertised port ─┐
 *        ├─ active(PORT|EPRT) ─► listen on our control address ─────────┤─► DataPlan
 *        └─ transfer(plan, 'RETR f' | 'STOR f', upload?) ─► 1xx ─► data ─► 226
 */
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { formatEprt, formatPort, parse227, parse229, type HostPort } from '../protocol/ftp-address.js';
import { seconds } from './finding.js';
import { codeOf, isAnonymous, listsAuthTls, said } from './ftp-shared.js';
import { connectRaw, tlsOf, wrapSocket, type ConnectFailure } from './raw-connect.js';
import { EVENTS } from './raw-transcript.js';
import type { RawConnection, Read } from './raw.js';
import type { Reply } from '../protocol/reply.js';
import { listenOnce } from './ftp-listen.js';
import { ANONYMOUS } from './target.js';
import type { ProbeLimits, ProbeTarget } from './types.js';
import { unmapped } from '../util/address.js';

/** Most octets of a download kept (a listing, a small file); larger ones are only counted and hashed. */
const MAX_DOWNLOAD = 4 * 1024 * 1024;

/** How a session opened: the greeting (after an optional 120), or what came instead. */
export type Opened =
  | { readonly ok: true; readonly session: FtpSession; readonly greeting: Reply; readonly preliminary?: Reply; readonly ms: number }
  | { readonly ok: false; readonly stage: 'connect'; readonly failure: ConnectFailure; readonly transcript: { sent: string[]; received: string[] } }
  | {
      readonly ok: false;
      readonly stage: 'greeting';
      readonly read: Read<Reply>;
      readonly session: FtpSession;
      readonly preliminary?: Reply;
      readonly ms: number;
    };

/** How a login went: `code` is the final reply (230 in), or 0 when the connection failed first. */
export interface Login {
  readonly ok: boolean;
  readonly code: number;
  /** The reply that ended the login, or the event. */
  readonly last: Read<Reply>;
  /** The step that ended it: AUTH when TLS was due first and did not come (see `tls`). */
  readonly at: 'AUTH' | 'USER' | 'PASS';
  /**
   * Why the login is not inside TLS though TLS was due: not offered (FEAT lists no AUTH TLS, limits.starttls
   * `require`), AUTH TLS refused, or the handshake failed. At AUTH the login was not tried; `refused` with
   * USER or PASS: it went on in clear text (limits.starttls `auto`).
   */
  readonly tls?: 'not offered' | 'refused' | 'failed';
}

/** A data connection about to carry a transfer: connected already (passive) or listening (active). */
export interface DataPlan {
  readonly mode: 'PASV' | 'EPSV' | 'PORT' | 'EPRT';
  /** Where the data connection goes: the server's passive address, or our listener. */
  readonly address: HostPort;
  /** The connected data connection (passive), or the server's connection once accepted (active). */
  connection(timeoutMs: number): Promise<{ readonly ok: true; readonly conn: RawConnection } | { readonly ok: false; readonly event: string }>;
  /** Closes the data connection and any listener; idempotent. */
  close(): void;
}

/** Why a passive setup failed: the command's reply, a reply we could not parse, or the connect. */
export type PassiveResult =
  | { readonly ok: true; readonly plan: DataPlan; readonly reply: Reply; readonly advertised: HostPort }
  | { readonly ok: false; readonly stage: 'reply'; readonly read: Read<Reply> }
  | { readonly ok: false; readonly stage: 'parse'; readonly reply: Reply }
  | {
      readonly ok: false;
      readonly stage: 'connect';
      readonly reply: Reply;
      readonly advertised: HostPort;
      readonly tried: HostPort;
      readonly failure: ConnectFailure;
    };

/** What a transfer command got: its first reply (1xx or a refusal), the data, and the final reply. */
export interface Transfer {
  /** The first reply: 150/125, or the refusal (then nothing else happened). */
  readonly first: Read<Reply>;
  /** The completion reply (226, 250...), when the first was a 1xx. */
  readonly final?: Read<Reply>;
  /** Downloads: the octets received when they fit MAX_DOWNLOAD (a listing, a small file). */
  readonly data?: Buffer;
  /** Downloads: how many octets came, and their SHA-256 (hex), whatever the size. */
  readonly octets?: number;
  readonly sha256?: string;
  /** Downloads: how the data connection ended. */
  readonly dataEnd?: string;
  /** The data connection could not be made (active: the server never connected). */
  readonly dataFailed?: string;
  /** Uploads: octets handed to the data connection (all of them, unless it failed or stalled). */
  readonly sent?: number;
  /** Uploads: the server stopped taking octets for longer than the reply timeout. */
  readonly stalled?: boolean;
  /** Milliseconds from the first reply (1xx) to the final one: the transfer's duration as the server saw it. */
  readonly ms?: number;
}

/** One FTP control connection of the probe. */
export class FtpSession {
  #stale = false;
  /** The data connection of the transfer under way, if any (see `cut`). */
  #plan: DataPlan | undefined;
  #dataTls: { readonly resume: boolean } | undefined;
  constructor(
    readonly conn: RawConnection,
    readonly limits: ProbeLimits,
  ) {}

  /** Connects (from `localAddress` if given) and reads the greeting, a 120 first if the server sends one. */
  static async open(target: ProbeTarget, limits: ProbeLimits, localAddress?: string): Promise<Opened> {
    const connected = await connectRaw({
      host: target.host,
      port: target.port,
      ...tlsOf(target),
      timeoutMs: limits.replyTimeoutMs,
      ...(localAddress ? { localAddress } : {}),
    });
    if (!connected.ok) return { ok: false, stage: 'connect', failure: connected.failure, transcript: { sent: [], received: [connected.failure.event] } };
    const session = new FtpSession(connected.conn, limits);
    const start = performance.now();
    let read = await connected.conn.readReply();
    let preliminary: Reply | undefined;
    // RFC 959 §5.4: 120 "Service ready in nnn minutes" may come before the 220.
    if (read.ok && read.value.code === 120) {
      preliminary = read.value;
      read = await connected.conn.readReply();
    }
    const ms = Math.round(performance.now() - start);
    if (read.ok && read.value.code === 220) return { ok: true, session, greeting: read.value, ms, ...(preliminary ? { preliminary } : {}) };
    return { ok: false, stage: 'greeting', read, session, ms, ...(preliminary ? { preliminary } : {}) };
  }

  /** The control connection's peer (the server as we reach it), without an IPv4-mapped prefix. */
  get peer(): string {
    return unmapped(this.conn.remoteAddress) ?? '';
  }

  /** Our end of the control connection: where an active-mode server must connect back (one guarding against RFC 2577 §2's bounce attack connects nowhere else). */
  get local(): string {
    return unmapped(this.conn.localAddress) ?? '';
  }

  /**
   * A reply was waited for in vain, or the connection ended: a late reply may still come and be taken
   * for the next command's, so a check that follows should start a new session (see `fresh`).
   */
  get stale(): boolean {
    return this.#stale || this.conn.ended !== null;
  }

  /**
   * Sends one command and reads one reply (a 1xx stays unanswered: see `next`). The line goes as UTF-8,
   * as RFC 2640 §2.2 has pathnames sent and as FTP clients send user names and passwords.
   */
  async command(line: string, options: { readonly secret?: boolean; readonly timeoutMs?: number } = {}): Promise<Read<Reply>> {
    return this.#watch(await this.conn.command(line, { ...options, utf8: true }));
  }

  /** Reads the next reply (a final after a 1xx). */
  async next(timeoutMs?: number): Promise<Read<Reply>> {
    return this.#watch(await this.conn.readReply(timeoutMs));
  }

  #watch(read: Read<Reply>): Read<Reply> {
    if (!read.ok && read.end === 'timeout') this.#stale = true;
    return read;
  }

  /**
   * USER then PASS (when 331 asks for it); the password is never recorded (`PASS ***`). `passTimeoutMs`
   * bounds the wait for PASS's reply (default limits.replyTimeoutMs).
   */
  async login(user: string, password: string, passTimeoutMs?: number): Promise<Login> {
    const u = await this.command(`USER ${user}`);
    if (!u.ok || u.value.code !== 331) return { ok: codeOf(u) === 230, code: codeOf(u), last: u, at: 'USER' };
    const p = await this.command(`PASS ${password}`, passTimeoutMs === undefined ? {} : { timeoutMs: passTimeoutMs }); // recorded as `PASS ***` (raw.ts redactLine)
    return { ok: codeOf(p) === 230, code: codeOf(p), last: p, at: 'PASS' };
  }

  /**
   * The target's login, or anonymous. A named account logs in inside TLS when FEAT lists AUTH TLS: AUTH
   * TLS first (RFC 4217 §4). limits.starttls `auto` (default): as an opportunistic client, in clear
   * text when the server offers no TLS or refuses AUTH TLS with a reply (the Login says `tls:
   * 'refused'`), a failed handshake ends the login; `require`: anonymous too, and anything short of TLS
   * is a failed login, nothing sent in clear; `off`: in clear. On ftps://, or after that AUTH TLS, then
   * PBSZ 0, PROT P (RFC 4217 §9): data under TLS if 200.
   */
  async loginAs(target: ProbeTarget): Promise<Login> {
    const named = !isAnonymous(target.user);
    let secured = false;
    let refused: Login | undefined;
    if (!this.conn.tls && this.limits.starttls !== 'off' && (named || this.limits.starttls === 'require')) {
      const tls = await this.secureControl();
      // `auto` as opportunistic FTP clients (curl --ssl, lftp, FileZilla): an AUTH TLS refused by a
      // reply leaves the session in clear text, and the login goes on there, saying so.
      if (tls !== true && !(tls.tls === 'refused' && this.limits.starttls === 'auto')) return tls;
      if (tls !== true) refused = tls;
      secured = this.conn.tls !== null;
    }
    const login = await (target.user ? this.login(target.user, target.password ?? '') : this.login(ANONYMOUS.user, ANONYMOUS.password));
    if (refused) return { ...login, tls: 'refused' };
    if (login.ok && (target.implicitTls || secured) && this.conn.tls) {
      const pbsz = await this.command('PBSZ 0');
      if (codeOf(pbsz) === 200 && codeOf(await this.command('PROT P')) === 200) this.protectData({ resume: true });
    }
    return login;
  }

  /**
   * AUTH TLS and the handshake when FEAT lists AUTH TLS (RFC 4217 §6), before any login: true once the
   * control connection is TLS, or when TLS is not offered and limits.starttls is not `require`; else the
   * failed step, as a Login refused at AUTH (nothing was sent in clear text).
   */
  async secureControl(): Promise<true | Login> {
    const feat = await this.command('FEAT');
    if (!(feat.ok && feat.value.code === 211 && listsAuthTls(feat.value.lines))) {
      return this.limits.starttls === 'require' ? { ok: false, code: codeOf(feat), last: feat, at: 'AUTH', tls: 'not offered' } : true;
    }
    const auth = await this.command('AUTH TLS');
    if (codeOf(auth) !== 234) return { ok: false, code: codeOf(auth), last: auth, at: 'AUTH', tls: 'refused' };
    const upgraded = await this.conn.upgradeTls({ timeoutMs: this.limits.replyTimeoutMs });
    if (!upgraded.ok) return { ok: false, code: 0, last: { ok: false, end: 'error', event: upgraded.event, ms: 0 }, at: 'AUTH', tls: 'failed' };
    return true;
  }

  /** Data connections get TLS from now on (after PROT P 200), resuming the control connection's TLS session or not; `off` undoes it. */
  protectData(how: { readonly resume: boolean } | 'off'): void {
    this.#dataTls = how === 'off' ? undefined : how;
  }

  /** The data connection of `plan` within `timeoutMs`; after protectData with its TLS handshake (we are the TLS client). */
  async dataConnection(
    plan: DataPlan,
    timeoutMs: number,
  ): Promise<{ readonly ok: true; readonly conn: RawConnection } | { readonly ok: false; readonly event: string }> {
    const data = await plan.connection(timeoutMs);
    if (!data.ok || !this.#dataTls) return data;
    const session = this.#dataTls.resume ? this.conn.tlsSession : undefined;
    const upgraded = await data.conn.upgradeTls({ timeoutMs, ...(session ? { offer: { session } } : {}) });
    if (upgraded.ok) {
      this.conn.note(`[data connection TLS ${upgraded.tls.protocol ?? '?'}${session ? ', session offered for resumption' : ', fresh session'}]`);
      return data;
    }
    this.conn.note(`[data connection TLS handshake failed ${upgraded.event}]`);
    data.conn.destroy();
    return { ok: false, event: `${upgraded.event} (data connection TLS handshake)` };
  }

  /**
   * PASV or EPSV, then a connect to the advertised port at `host`: 'advertised' (PASV's own address),
   * 'control' (the control connection's peer: what curl and FileZilla do, and EPSV's rule, RFC 2428 §3).
   */
  async passive(verb: 'PASV' | 'EPSV', host: 'advertised' | 'control' = 'control'): Promise<PassiveResult> {
    const read = await this.command(verb);
    if (!read.ok || read.value.code !== (verb === 'PASV' ? 227 : 229)) return { ok: false, stage: 'reply', read };
    const text = read.value.lines.join(' ');
    const advertised = verb === 'PASV' ? parse227(`227 ${text}`) : ((p) => (p ? { host: this.peer, port: p.port } : null))(parse229(`229 ${text}`));
    if (!advertised) return { ok: false, stage: 'parse', reply: read.value };
    const tried = host === 'advertised' ? advertised : { host: this.peer, port: advertised.port };
    const connected = await this.connectData(tried);
    if (!connected.ok) return { ok: false, stage: 'connect', reply: read.value, advertised, tried, failure: connected.failure };
    const conn = connected.conn;
    return {
      ok: true,
      reply: read.value,
      advertised,
      plan: { mode: verb, address: tried, connection: async () => ({ ok: true, conn }), close: () => conn.destroy() },
    };
  }

  /** Connects a data connection (not recorded line by line; events noted on the control transcript). */
  async connectData(to: HostPort): Promise<{ ok: true; conn: RawConnection } | { ok: false; failure: ConnectFailure }> {
    const connected = await connectRaw({ host: to.host, port: to.port, timeoutMs: this.limits.replyTimeoutMs, record: false });
    this.conn.note(connected.ok ? `[data connection to ${to.host}:${to.port} open]` : `[data connection to ${to.host}:${to.port}: ${connected.failure.event}]`);
    return connected;
  }

  /**
   * PORT (IPv4) or EPRT (either family; RFC 2428 §2) naming `address`, by default a listener of ours on
   * the control connection's local address. Resolves with the reply and, on 200, a plan whose connection
   * is the server's connect-back, accepted within the wait given.
   */
  async active(verb: 'PORT' | 'EPRT', address?: HostPort): Promise<{ readonly read: Read<Reply>; readonly plan?: DataPlan }> {
    if (address) {
      const arg = verb === 'PORT' ? formatPort(address.host, address.port) : formatEprt(address.host, address.port);
      return { read: await this.command(`${verb} ${arg}`) };
    }
    const listener = await listenOnce(this.local);
    const here = { host: this.local, port: (listener.server.address() as AddressInfo).port };
    const arg = verb === 'PORT' ? formatPort(here.host, here.port) : formatEprt(here.host, here.port);
    const read = await this.command(`${verb} ${arg}`);
    let accepted: RawConnection | undefined;
    const plan: DataPlan = {
      mode: verb,
      address: here,
      connection: async (timeoutMs) => {
        const socket = await listener.accept(timeoutMs);
        if (!socket) {
          this.conn.note(`[no data connection to ${here.host}:${here.port} within ${seconds(timeoutMs, 1)} s]`);
          return { ok: false, event: EVENTS.timeout(timeoutMs) };
        }
        this.conn.note(`[data connection from ${unmapped(socket.remoteAddress) ?? ''}:${socket.remotePort} accepted]`);
        accepted = wrapSocket(socket, { timeoutMs, record: false });
        return { ok: true, conn: accepted };
      },
      close: () => {
        accepted?.destroy();
        listener.close();
      },
    };
    if (!read.ok || read.value.code !== 200) {
      plan.close();
      return { read };
    }
    return { read, plan };
  }

  /**
   * Runs a transfer command over `plan`: a download (RETR, LIST) reads the data connection to its end,
   * hashing what comes; an upload (STOR, APPE) writes `upload` piece by piece then a FIN (end of file in
   * stream mode, RFC 959 §3.4.1). Every wait (a piece to be taken, the next octets, a reply) is bounded
   * by limits.replyTimeoutMs, so a large transfer that moves is never cut short and a stalled one is.
   * The plan is closed afterwards, whatever happened.
   */
  async transfer(plan: DataPlan, line: string, upload?: Buffer | Iterable<Buffer>): Promise<Transfer> {
    this.#plan = plan;
    try {
      const first = await this.command(line);
      if (!first.ok || first.value.code >= 200) return { first };
      const wait = this.limits.replyTimeoutMs;
      const data = await this.dataConnection(plan, wait);
      if (!data.ok) return { first, final: await this.next(), dataFailed: data.event };
      const start = performance.now();
      const took = (): number => Math.round(performance.now() - start);
      if (upload) {
        const { sent, stalled, gone } = await this.#send(data.conn, Buffer.isBuffer(upload) ? [upload] : upload, wait);
        if (stalled) {
          this.conn.note(`[data: ${sent} octets sent, then no progress within ${seconds(wait, 1)} s: data connection reset]`);
          data.conn.reset(); // not a FIN: that would be end of file, and a partial upload stored as complete
        } else {
          await data.conn.end();
          this.conn.note(gone ? `[data connection closed by the server after ${sent} octets were sent]` : `[data: ${sent} octets sent, then FIN]`);
        }
        const final = await this.next();
        return { first, final, sent, ms: took(), ...(stalled ? { stalled } : {}) };
      }
      const hash = createHash('sha256');
      let kept: Buffer[] = [];
      let keptOctets = 0;
      let keep = true;
      const got = await data.conn.drain((chunk) => {
        hash.update(chunk);
        keptOctets += chunk.length;
        keep &&= keptOctets <= MAX_DOWNLOAD;
        if (keep) kept.push(chunk);
        else kept = [];
      }, wait);
      const how = got.end === 'closed' ? 'closed by server' : got.end === 'timeout' ? `nothing more within ${seconds(wait, 1)} s` : got.end;
      this.conn.note(`[data: ${got.octets} octets received, ${how}]`);
      const final = await this.next();
      return { first, final, octets: got.octets, sha256: hash.digest('hex'), dataEnd: got.end, ms: took(), ...(keep ? { data: Buffer.concat(kept) } : {}) };
    } finally {
      this.#plan = undefined;
      plan.close();
    }
  }

  /** Writes `pieces` in order, each within `waitMs`: how many octets went, whether it stalled or the connection went. */
  async #send(conn: RawConnection, pieces: Iterable<Buffer>, waitMs: number): Promise<{ sent: number; stalled: boolean; gone: boolean }> {
    let sent = 0;
    for (const piece of pieces) {
      let timer: NodeJS.Timeout | undefined;
      const stall = new Promise<'stalled'>((resolve) => (timer = setTimeout(() => resolve('stalled'), waitMs)));
      const written = await Promise.race([conn.write(piece, { show: [] }), stall]);
      clearTimeout(timer);
      if (written === 'stalled') return { sent, stalled: true, gone: false };
      if (!written) return { sent, stalled: false, gone: true };
      sent += piece.length;
    }
    return { sent, stalled: false, gone: false };
  }

  /**
   * Closes the data connection of the transfer under way (the user interrupted): the server sees the
   * file end there (stream mode, RFC 959 §3.4.1) and answers on the control connection, which stays
   * usable for a DELE.
   */
  cut(): void {
    this.#plan?.close();
  }

  /** QUIT, then waits (bounded) for the server to close; always destroys the connection. */
  async quit(): Promise<void> {
    if (this.conn.ended === null) {
      const bound = Math.min(this.limits.replyTimeoutMs, 2000);
      await this.command('QUIT', { timeoutMs: bound });
      if (this.conn.ended === null) await this.conn.waitForEnd(bound);
    }
    this.conn.destroy();
  }

  /** The transcript since the last take. */
  take(): { sent: string[]; received: string[] } {
    return this.conn.takeTranscript();
  }
}

/** A logged-in session, or why there is none (one sentence, for the findings that then cannot run). */
export async function openLoggedIn(
  target: ProbeTarget,
  limits: ProbeLimits,
  localAddress?: string,
): Promise<{ readonly ok: true; readonly session: FtpSession } | { readonly ok: false; readonly why: string }> {
  const opened = await FtpSession.open(target, limits, localAddress);
  if (!opened.ok) {
    if (opened.stage === 'greeting') opened.session.conn.destroy();
    const what = opened.stage === 'connect' ? opened.failure.event : said(opened.read);
    return { ok: false, why: `Not run: no FTP session (${what}; see ftp.greeting).` };
  }
  const login = await opened.session.loginAs(target);
  if (!login.ok) {
    await opened.session.quit();
    return { ok: false, why: `Not run: the login failed (${said(login.last)}; see ftp.login).` };
  }
  opened.session.take();
  return { ok: true, session: opened.session };
}

/**
 * The session to run the next check on: `s` itself, or, when it went stale (see FtpSession.stale), a new
 * logged-in one (the old one is closed). `undefined` when no new session could be opened.
 */
export async function fresh(s: FtpSession, target: ProbeTarget, limits: ProbeLimits): Promise<FtpSession | undefined> {
  if (!s.stale) return s;
  s.conn.destroy();
  const opened = await openLoggedIn(target, limits);
  return opened.ok ? opened.session : undefined;
}
