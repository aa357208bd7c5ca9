/**
 * One FTP data connection through the proxy, and the `Link` that data-channel faults act on.
 *
 *   FTP client's end ◄──► RelayDirection ×2: count octets, cut (./cut.ts), fire `after STOR +N` ◄──► FTP server's end
 *
 * Passive mode: the client connected to the proxy and the proxy to the server; active mode: the server
 * connected to the proxy and the proxy to the client. Either way `toward: 'client'` is the FTP client's
 * end. The data is opaque (RFC 959 §3.4.1 stream mode: the FIN is the end of file), so there are no
 * lines to catch: `before` triggers and injected replies do not apply here.
 *
 * An RST goes to both ends: a FIN to the other one would read as end of file, and the server would keep
 * a truncated upload as complete. The other end gets it DRAIN_GRACE_MS later: Linux shows an RST that
 * finds unread data in the receive queue as a plain end of file once the data is read, so a receiver
 * still busy with what was relayed would take the truncated upload as complete, at random. For the same
 * reason the fault's own end gets it once it has read what was relayed (./drained.ts), within
 * READ_GRACE_MS. An upload reset at the client's end once octets went through goes the other way
 * round: the server's end first (after its grace), the client's once the server has answered the
 * transfer (within READ_GRACE_MS), the client not read from meanwhile. A client that resumes at once
 * in a new session (SIZE, then APPE or REST) otherwise asked while the server was still taking in the
 * cut upload's last octets, and appended at the wrong offset, depending on load. `close` (FIN) goes to
 * both ends: it is the fault that truncates (RFC 959 §3.4.1, stream mode).
 *
 * A server sending (RETR, LIST) is cut in the same tick as the fault fires, whatever its kind: an RST
 * for `reset`, its socket destroyed for `close` (a FIN, and an RST to its next write). Its writes fail
 * at once, as on a cut link, so it answers 426; were it left to write into the proxy for the grace, it
 * would finish the file and answer 226 for a download the client got only part of. The client's RST then
 * waits for that 426 to reach the proxy too, and the 426 waits for the RST (FtpData.edit): the client
 * meets the cut first and the reply right behind it, so every client reports the same (a reset, at RETR).
 * The client's FIN waits for the 426 as well, which then reaches it first: a client that exits on the
 * short file without reading the reply (curl) was still shown it, however the two raced.
 *
 * The server's own RST is shown the client as it came, except after the proxy ended the client's control
 * connection: then it waits for the client to act on that end first (FtpData.clientCut).
 */
import type { Socket } from 'node:net';
import type { Transform } from 'node:stream';
import { applyFault, isSessionFault } from '../faults/apply.js';
import { bounded } from '../util/bounded.js';
import type { BufferFreer } from '../util/free-buffers.js';
import type { Link } from '../faults/link.js';
import type { Fault, Toward } from '../faults/types.js';
import { cutByOctets } from './cut.js';
import { drained } from './drained.js';
import { DataWait } from './reply-wait.js';
import { RelayDirection, type Pending } from './relay.js';
import { closed, resetSocket } from './sockets.js';
import { Teardown, type ClientSaw } from './teardown.js';
import type { Transcript } from './transcript.js';

/** How long the far end of a data-connection RST has to read what was relayed to it first. */
const DRAIN_GRACE_MS = 250;

/**
 * The longest the RST to a fault's own end waits for that end to read what was relayed to it, and for
 * the server's reply to the cut transfer to reach the proxy. Seen past 500 ms on a loaded 2-core machine
 * (the mock answering 426 540 ms after its RST; an in-process client reading late), where the client
 * then met the RST on unread data and the reply together, and reported one or the other.
 */
const READ_GRACE_MS = 1_500;

/** The longest a data connection with faults due on connect waits, unread, for the client's transfer command. */
const ASK_GRACE_MS = 2_000;

/** Transfers in which the FTP server sends on the data connection (RFC 959 §4.1.3). */
const SERVER_SENDS: ReadonlySet<string> = new Set(['RETR', 'LIST', 'NLST', 'MLSD']);

/** What a data connection needs from its control session. */
export interface DataHooks {
  readonly transcript: Transcript;
  /** Data-channel faults still armed in this control session, due on connect or by octets. */
  armed(): readonly Fault[];
  /** A fault is due here: the transcript line when it fires on this connection, else undefined (vetoed, or it acts elsewhere). */
  fire(fault: Fault): string | undefined;
  /** The transfer command the client sent last (STOR, RETR...), which this connection serves. */
  verb(): string | undefined;
  /** How many transfer commands the client has sent: the number of the one this connection serves, once asked() resolved. */
  transfer(): number;
  /** Octets relayed, either way. */
  bytes(n: number): void;
  /** Resolves once the server's final reply to the transfer (226, 426...) has reached the proxy. */
  answered(): Promise<void>;
  /** The server ended this connection before a fault's RST or FIN that ended it reached either end (DataInfo.overtaken). */
  overtaken(): void;
  /** Resolves once the client has sent the transfer command (STOR, RETR...) this connection serves. */
  asked(): Promise<void>;
  /** A fault ended this connection while the client was sending: its server's reply waits for the client (FtpData). */
  cutUpload(): void;
  /** Once the proxy has ended the client's control connection: the wait for the client to act on that (FtpData.clientCut); otherwise undefined. */
  controlCut(): ControlCut | undefined;
  /** Frees relayed chunks once written, when nothing else holds them (no capture watches); default none. */
  readonly freer?: BufferFreer | undefined;
}

const otherOf = (toward: Toward): Toward => (toward === 'client' ? 'server' : 'client');

/**
 * The wait for the FTP client to act on the end of its control connection: `done` once it has, or its
 * grace ran out; `acted`, whether it has by now.
 */
export interface ControlCut {
  readonly done: Promise<void>;
  readonly acted: () => boolean;
}

/** A data connection between the FTP client's socket and the FTP server's. */
export class DataLink implements Link {
  readonly done: Promise<void>;
  readonly #name: string;
  readonly #hooks: DataHooks;
  readonly #state = new Teardown();
  /** Keyed by the side they relay to. */
  readonly #relays: Record<Toward, RelayDirection>;
  #bytes = 0;
  /** Resolves once the RST a fault sends the FTP client's end has gone. */
  #clientRst: Promise<void> | undefined;
  /** The server's RST, relayed after the control connection's end, reached the client before it acted on that end. */
  #rstFirst = false;
  /** A fault ended this connection, and its RST or FIN has reached neither end yet (see #serverEnded). */
  #faultUnseen = false;
  /** The server's FIN or RST came. */
  #serverGone = false;
  /** A fault of this connection's own (its channel data) is acting, in #fire. */
  #firing = false;
  /** The TCP sockets, under the TLS ones on a protected connection (PROT P): an RST goes out on them. */
  readonly #raw: Record<Toward, Socket>;
  /** TLS on both ends (PROT P): see #resetBeforeReply. */
  readonly #protected: boolean;
  /** What the server left the client waiting for on it (a download's octets), and when its data was complete. */
  readonly #wait = new DataWait();
  /** Which of the control session's transfer commands this connection serves (DataHooks.transfer); 0 before its command came. */
  #transfer = 0;
  /** `unread` as it was at the connection's first close (the client gave up), or 0 once the server answered the transfer failed; undefined before. */
  #unreadKept: number | undefined;

  /** `raw`: the TCP sockets under `client` and `server` when those are TLS sockets (./ftps.ts). */
  constructor(index: number, client: Socket, server: Socket, hooks: DataHooks, raw?: Record<Toward, Socket>) {
    this.#name = `data ${index}`;
    this.#hooks = hooks;
    const owner = (to: Toward) => ({
      flowing: () => this.#state.open,
      walk: (p: Pending) => this.#walk(to, p),
      forwarded: (n: number) => {
        this.#bytes += n;
        this.#hooks.bytes(n);
        if (to === 'client' && this.#wait.timing) this.#wait.passedOn(performance.now());
      },
      passedOn: () => {
        const target = this.#relays[to].outlet.target;
        // Once everything before the FIN has left Node for the kernel: the transfer is complete then.
        target.once('finish', () => this.#wait.ended(performance.now(), to));
        target.end();
      },
    });
    const { freer } = hooks;
    this.#relays = {
      client: new RelayDirection(server, client, owner('client'), freer),
      server: new RelayDirection(client, server, owner('server'), freer),
    };
    this.#raw = raw ?? { client, server };
    this.#protected = raw !== undefined;
    const all = raw ? [client, server, raw.client, raw.server] : [client, server];
    void Promise.race(all.map(closed)).then(() => {
      const now = performance.now();
      this.#wait.closed(now, this.#clientBehind());
      this.#unreadKept = this.unread(now);
    });
    this.done = Promise.all(all.map(closed)).then(() => {
      this.#state.closed();
      this.#note('--', `closed after ${this.#bytes} bytes`);
    });
  }

  /** Octets relayed so far, both directions. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Ms the server has left the client without a download's octets (until the first close); undefined: none owed. */
  silence(now: number): number | undefined {
    return this.#wait.silence(now, this.#clientBehind());
  }

  /**
   * Ms the server has been leaving an upload's octets unread, in the stretch going on (at the first
   * close, when the client gave up): its socket holds more than the kernel's buffers took
   * (Outlet.unreadNow). The client's writes stop once its own and the proxy's buffers are full too: a
   * moment later for a client writing at full speed. 0 when it reads as they come, and once it answered
   * that the transfer failed (it owes no reading then).
   */
  unread(now: number): number {
    return this.#unreadKept ?? this.#relays.server.outlet.unreadNow(now);
  }

  /** The proxy holds octets for the FTP client's end that it has not taken yet: queued, or not yet written to the socket. */
  #clientBehind(): boolean {
    const relay = this.#relays.client;
    return relay.queue.length > 0 || relay.outlet.target.writableLength > 0;
  }

  /** When the sender's end of file left for the receiver (the transfer's data complete); undefined before. */
  get dataEndedAt(): number | undefined {
    return this.#wait.endedAt;
  }

  /** The server answered the transfer failed (a 426, a 550): it owes no more octets here, and no more reading. */
  failed(): void {
    this.#unreadKept ??= 0;
    this.#wait.senderDone();
  }

  /** Which of the control session's transfer commands this connection serves (DataHooks.transfer); 0 before its command came. */
  get transfer(): number {
    return this.#transfer;
  }

  /** How the proxy ended the FTP client's end while the client still held it; null otherwise. */
  get clientSaw(): ClientSaw | null {
    return this.#state.clientSaw;
  }

  /** The server's RST reached the client before it acted on the end of its control connection: see DataInfo.rstFirst. */
  get rstFirst(): boolean {
    return this.#rstFirst;
  }

  /**
   * While a `reset ... toward client` fault's RST is on its way to the FTP client's end: resolves once
   * it has gone. The control session holds the server's replies until then (see FtpData.edit).
   */
  get clientRst(): Promise<void> | undefined {
    return this.#clientRst;
  }

  /**
   * Starts relaying; faults triggered `on connect` fire first, once the client has sent the transfer
   * command this connection serves (within ASK_GRACE_MS): at once in active mode, where the server
   * connects after it, and after the connect in passive mode, where clients connect first. Fired as
   * the connect completes, an RST raced the client's own check of its connect (Python's connect()
   * reads the socket's error after the handshake; curl, finding its EPSV connection failed, falls back
   * to PASV on a new one the fault leaves alone): failed at PASV, or delivered, or reset in the
   * transfer, by timing. Resolves once those faults have acted (a fault's RST has reached the client's
   * end), at once when none is due.
   */
  start(): Promise<void> {
    for (const toward of ['client', 'server'] as const) this.#wire(toward);
    void this.#hooks.asked().then(() => {
      this.#transfer = this.#hooks.transfer();
      this.#wait.asked(performance.now(), SERVER_SENDS.has(this.#hooks.verb() ?? '') ? 'server' : 'client');
    });
    const resume = (): void => {
      for (const toward of ['client', 'server'] as const) if (this.#state.state !== 'held') this.#socket(toward).resume();
    };
    if (!this.#hooks.armed().some((f) => f.at === 'connect')) {
      resume();
      return Promise.resolve();
    }
    return bounded(this.#hooks.asked(), ASK_GRACE_MS).then(async () => {
      if (!this.#state.ended) for (const fault of this.#hooks.armed().filter((f) => f.at === 'connect')) this.#fire(fault);
      resume();
      await this.#clientRst;
    });
  }

  /** Stops reading the FTP client's end until the returned function is called (see DataLinks.holdClients). */
  pauseClient(): () => void {
    const socket = this.#socket('client');
    if (!this.#state.open || socket.isPaused()) return () => undefined;
    socket.pause();
    return () => {
      if (this.#state.open) socket.resume();
    };
  }

  /** Ends it now (the proxy is closing): RST to both ends still open. */
  abort(): void {
    this.#state.end(false);
    // Also after a fault ended it: a side sent a FIN and left paused with unread data would stay open
    // for good (and hold the process at exit).
    for (const toward of ['client', 'server'] as const) this.#reset(toward);
  }

  // ── Link ──────────────────────────────────────────────────────────────────────────────────────

  inject(toward: Toward, data: Buffer): void {
    this.#note('!!', `proxy sends ${data.length} bytes to ${toward}`);
    this.#relays[toward].outlet.push(data);
  }

  reset(toward: Toward): void {
    this.#end(toward, 'rst');
  }

  close(toward: Toward, then: 'discard' | 'abort'): void {
    this.#end(toward, then === 'abort' ? 'abort' : 'fin');
  }

  hold(ms?: number): void {
    this.#state.hold();
    for (const toward of ['client', 'server'] as const) this.#socket(toward).pause();
    if (ms === undefined) return;
    this.#state.after(ms, () => {
      if (!this.#state.release()) return;
      for (const relay of Object.values(this.#relays)) {
        relay.pump();
        if (!relay.ended && this.#state.open) relay.source.resume();
      }
    });
  }

  swallow(): void {
    // Nothing is ever caught on a data connection.
  }

  shape(toward: Toward, make: () => Transform): void {
    // A data connection's TLS (PROT P) is in place before relaying starts: its outlets never change.
    this.#relays[toward].outlet.shape(make());
  }

  // ── relay ─────────────────────────────────────────────────────────────────────────────────────

  #wire(from: Toward): void {
    const to = otherOf(from);
    const relay = this.#relays[to];
    relay.source.on('data', (chunk: Buffer) => {
      if (this.#state.ended) return;
      relay.enqueue(chunk);
      relay.pump();
    });
    relay.source.on('end', () => {
      if (from === 'client') this.#state.clientGone();
      else this.#wait.senderDone();
      this.#note('--', `FIN from ${from}`);
      if (from === 'server') this.#serverEnded();
      relay.end(false);
      if (!this.#state.ended) relay.pump();
    });
    relay.source.on('error', (error: NodeJS.ErrnoException) => {
      if (from === 'client') this.#state.clientGone();
      else this.#wait.senderDone();
      // Both are the peer's RST: Linux reports one that came after the peer's FIN as EPIPE (a server that
      // closes its data socket with our octets unread sends FIN, then RST). The other end is shown that
      // RST, as it would have been without the proxy, in either mode.
      const reset = error.code === 'ECONNRESET' || error.code === 'EPIPE';
      const after = error.code === 'EPIPE' ? ' (after its FIN: EPIPE)' : '';
      this.#note('--', reset ? `RST from ${from}${after}` : `${from} socket error ${error.code ?? error.message}`);
      if (from === 'server') this.#serverEnded();
      if (this.#state.ended) return;
      this.#state.end(false);
      const other = this.#socket(to);
      const controlCut = reset && !other.destroyed && to === 'client' ? this.#hooks.controlCut() : undefined;
      if (controlCut) return this.#resetAfter(controlCut);
      if (reset && !other.destroyed && to === 'client' && this.#protected) return this.#resetBeforeReply();
      if (reset && !other.destroyed) {
        if (to === 'client') this.#state.toClient('rst');
        this.#reset(to);
      } else other.end();
    });
  }

  /** Relays a queued chunk toward `to`, cutting it where a byte-count trigger falls; false where relaying stopped. */
  #walk(to: Toward, p: Pending): boolean {
    const relay = this.#relays[to];
    while (p.pos < p.data.length) {
      const cut = cutByOctets(this.#hooks.armed(), this.#hooks.verb(), this.#bytes, p.data.length - p.pos);
      relay.forward(p.data.subarray(p.pos, p.pos + cut.forward));
      p.pos += cut.forward;
      if (!cut.fault) break;
      this.#fire(cut.fault);
      if (!this.#state.open) return false;
    }
    return true;
  }

  #fire(fault: Fault): void {
    const line = this.#hooks.fire(fault);
    if (line === undefined) return;
    this.#note('!!', line);
    if (!isSessionFault(fault)) return;
    this.#firing = true;
    try {
      applyFault(fault, this);
    } finally {
      this.#firing = false;
    }
  }

  // ── teardown ──────────────────────────────────────────────────────────────────────────────────

  /**
   * The one way a fault ends the data connection (see the header): relaying stops for good; a server
   * sending is cut at once; `toward` and the other end get the RST (the other end after the grace) or
   * the FIN once what was relayed to them has left.
   */
  #end(toward: Toward, how: 'rst' | 'fin' | 'abort'): void {
    this.#state.end(false);
    for (const relay of Object.values(this.#relays)) relay.drop();
    const other = otherOf(toward);
    const cut = this.#cutSender();
    const verb = this.#hooks.verb();
    // Only a fault of this connection's own: a server restart (DataLinks.drop) has already ended the
    // server's control connection, and the server closing this one is then the restart's doing.
    this.#faultUnseen = this.#firing;
    // An upload's octets relayed after the server's FIN: it had ended the transfer before the fault.
    if (this.#firing && this.#serverGone && verb !== undefined && !SERVER_SENDS.has(verb)) this.#serverEnded();
    if (verb !== undefined && !SERVER_SENDS.has(verb)) this.#hooks.cutUpload();
    // A server cut while sending answers at once (426): the client's end waits for that reply to reach
    // the proxy, so the client is shown it before it can act on the cut (RST or FIN alike).
    const answered = cut === 'server' ? this.#hooks.answered() : undefined;
    if (how === 'rst') {
      // An upload cut at the client's end after octets went through: the server's end is reset first,
      // and the client's once the server has answered the transfer, so a client that resumes at once
      // asks a server whose file is final (SIZE, then APPE). Meanwhile the client is not read from,
      // and meets the RST in its write.
      const serverFirst = toward === 'client' && cut === undefined && verb !== undefined && !SERVER_SENDS.has(verb) && this.#bytes > 0;
      if (this.#protected || serverFirst) this.#stopReadingClient();
      // The fault's own end reads what was relayed first, then the RST; the other end gets its grace.
      // The 426 goes right behind the RST (FtpData.edit).
      const rst = (to: Toward, first: Promise<unknown> = Promise.resolve()): Promise<void> =>
        Promise.all([this.#flushed(to), first])
          .then(async () => {
            if (to !== toward) return void (await new Promise((resolve) => setTimeout(resolve, DRAIN_GRACE_MS)));
            if (answered) await bounded(answered, READ_GRACE_MS);
            await drained(this.#raw[to], READ_GRACE_MS);
          })
          .then(() => this.#rstTo(to));
      const ends = [toward, other].filter((t) => t !== cut);
      const serverRst = serverFirst ? rst('server') : undefined;
      for (const to of ends) {
        if (to === 'server' && serverRst) continue;
        const first = serverRst && to === 'client' ? serverRst.then(() => bounded(this.#hooks.answered(), READ_GRACE_MS)) : undefined;
        const sent = rst(to, first);
        // Only the fault's own end: a client that is the other end gets its RST after the grace, the reply meanwhile.
        if (to === 'client' && to === toward) this.#clientRst = sent.then(() => void (this.#clientRst = undefined));
      }
      if (cut) this.#rstTo(cut);
      return;
    }
    if (cut) {
      this.#note('--', `${cut === toward ? 'FIN to' : 'cut toward'} ${cut}, socket destroyed: its next write gets an RST`);
      this.#faultUnseen = false;
      this.#socket(cut).destroy();
    }
    for (const to of [toward, other].filter((t) => t !== cut)) {
      const first = to === 'client' && answered ? bounded(answered, READ_GRACE_MS) : undefined;
      void Promise.all([this.#flushed(to), first]).then(() => {
        const abort = to === toward && how === 'abort';
        // A client still sending an upload (no FIN of its own yet) meets the RST in its next write, as
        // curl's "Send failure: Broken pipe" says: that is what it saw, whatever it makes of the FIN.
        const uploading = abort && to === 'client' && !this.#state.clientLeft && verb !== undefined && !SERVER_SENDS.has(verb);
        this.#note('--', `FIN to ${to}${abort ? ', then no more reading' : ''}${uploading ? ': the rest of its upload meets an RST' : ''}`);
        this.#faultUnseen = false;
        if (to === 'client') this.#state.toClient(uploading ? 'rst' : 'fin');
        const socket = this.#socket(to);
        socket.end(() => {
          if (abort) socket.destroy();
        });
      });
    }
  }

  /** The side to cut in the same tick as a fault: the server, while it sends (see the header). */
  #cutSender(): Toward | undefined {
    const verb = this.#hooks.verb();
    return verb !== undefined && SERVER_SENDS.has(verb) && !this.#socket('server').destroyed ? 'server' : undefined;
  }

  #socket(toward: Toward): Socket {
    return this.#relays[toward].outlet.target;
  }

  /**
   * The server ended its end (a FIN or an RST), or a fault fired on an upload's octets relayed after the
   * server's FIN. Where a fault had ended the connection but its RST or FIN was still on its way to
   * both ends (the server's end waits DRAIN_GRACE_MS for an upload cut at the client's), or where the
   * server had ended the upload before the fault fired, the server ended it on its own before either
   * end met the fault: what the client reports is then the server's doing, not the fault's
   * (DataInfo.overtaken). vsftpd refusing a protected data connection whose TLS session was not
   * resumed closes it right after its handshake, whether or not the client's octets reached the
   * fault's offset before or after that.
   */
  #serverEnded(): void {
    this.#serverGone = true;
    if (!this.#faultUnseen) return;
    this.#faultUnseen = false;
    this.#note('--', "the server ended it before the fault's RST or FIN reached either end: the fault was overtaken");
    this.#hooks.overtaken();
  }

  /**
   * A protected data connection the server reset (a server refusing the transfer after the handshake,
   * vsftpd's 522 when the session was not resumed, closes it with the client's octets unread): the
   * client gets the RST once the server's reply to the transfer has reached the proxy (within
   * READ_GRACE_MS), and that reply right behind it (FtpData.edit), as for a fault's cut. Relayed as they
   * came, the two would race, and the client's report with them.
   */
  #resetBeforeReply(): void {
    this.#stopReadingClient();
    const sent = bounded(this.#hooks.answered(), READ_GRACE_MS).then(() => this.#rstTo('client'));
    this.#clientRst = sent.then(() => void (this.#clientRst = undefined));
  }

  /**
   * The server reset this data connection after the proxy had ended the client's control connection:
   * the client gets the RST once it has acted on that end (FtpData.clientCut), and is not read from
   * meanwhile, so a client still sending meets the RST in its write. One that had not acted when the
   * grace ran out saw the RST, not the FIN (rstFirst).
   */
  #resetAfter(controlCut: ControlCut): void {
    this.#stopReadingClient();
    const sent = controlCut.done.then(() => {
      this.#rstTo('client');
      // Counted only where the client still held this connection (Teardown.toClient).
      this.#rstFirst = !controlCut.acted() && this.#state.clientSaw === 'rst';
    });
    this.#clientRst = sent.then(() => void (this.#clientRst = undefined));
  }

  /**
   * A protected data connection about to reset the FTP client's end reads nothing more from it, so a
   * client still sending meets the RST in its write, as on a link that went down, however late the RST
   * comes (it may wait for the server's reply). Read on and discarded, a fast client's whole upload fit
   * into the wait: it had finished writing and was closing its TLS session (Python's ftplib: unwrap) when
   * the RST came, and reported that instead, now and then. (A clear data connection is paused only while
   * its RST waits for the client to act on its cut control connection (#resetAfter); a fault's RST waits
   * only for what was relayed to the client to be read, which a client sending an upload has none of.)
   */
  #stopReadingClient(): void {
    this.#socket('client').pause();
  }

  /** An RST a fault or the proxy sends `toward`, noted, and counted as what the client saw. */
  #rstTo(toward: Toward): void {
    this.#note('--', `RST to ${toward}`);
    this.#faultUnseen = false;
    if (toward === 'client') this.#state.toClient('rst');
    this.#reset(toward);
  }

  /** An RST to `toward`, on its TCP socket (a TLS socket has none of its own to send). */
  #reset(toward: Toward): void {
    resetSocket(this.#raw[toward], this.#socket(toward));
  }

  #flushed(toward: Toward): Promise<void> {
    return this.#relays[toward].outlet.flushed();
  }

  #note(speaker: '--' | '!!', text: string): void {
    this.#hooks.transcript.add(speaker, `${this.#name}: ${text}`);
  }
}
