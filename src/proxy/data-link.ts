/**
 * One FTP data connection through the proxy, and the `Link` that data-channel faults act on.
 *
 *   FTP client's end ◄──► count octets, fire `after STOR +N` / `on connect` faults ◄──► FTP server's end
 *
 * Passive mode: the client connected to the proxy and the proxy to the server; active mode: the server
 * connected to the proxy and the proxy to the client. Either way `toward: 'client'` is the FTP client's
 * end. The data is opaque (RFC 959 §3.4.1 stream mode: the FIN is the end of file), so there are no
 * lines to catch: `before` triggers and injected replies do not apply here.
 *
 * An RST goes to both ends: a FIN to the other one would read as end of file, and the server would keep
 * a truncated upload as complete. The other end gets it DRAIN_GRACE_MS later: Linux shows an RST that
 * finds unread data in the receive queue as a plain end of file once the data is read, so a receiver
 * still busy with what was relayed would take the truncated upload as complete, at random. `close`
 * (FIN) goes to both ends: it is the fault that truncates (RFC 959 §3.4.1, stream mode).
 *
 * A server sending (RETR, LIST) is cut in the same tick as the fault fires, whatever its kind: an RST
 * for `reset`, its socket destroyed for `close` (a FIN, and an RST to its next write). Its writes fail
 * at once, as on a cut link, so it answers 426; were it left to write into the proxy for the grace, it
 * would finish the file and answer 226 for a download the client got only part of.
 */
import type { Socket } from 'node:net';
import type { Transform } from 'node:stream';
import { applyFault, isSessionFault } from '../faults/apply.js';
import { formatFault } from '../faults/format.js';
import type { Link } from '../faults/link.js';
import type { Fault, Toward } from '../faults/types.js';
import { Outlet } from './outlet.js';
import { closed, resetSocket } from './sockets.js';
import type { Transcript } from './transcript.js';

/** How long the far end of a data-connection RST has to read what was relayed to it first. */
const DRAIN_GRACE_MS = 250;

/** Transfers in which the FTP server sends on the data connection (RFC 959 §4.1.3). */
const SERVER_SENDS: ReadonlySet<string> = new Set(['RETR', 'LIST', 'NLST', 'MLSD']);

/** What a data connection needs from its control session. */
export interface DataHooks {
  readonly transcript: Transcript;
  /** Data-channel faults still armed in this control session. */
  armed(): readonly Fault[];
  /** A fault fired here: disarm it; false vetoes. */
  fire(fault: Fault): boolean;
  /** The transfer command the client sent last (STOR, RETR...), which this connection serves. */
  verb(): string | undefined;
  /** Octets relayed, either way. */
  bytes(n: number): void;
}

interface Side {
  readonly socket: Socket;
  /** Where what is relayed to this side goes (its socket, or a shaper in front of it). */
  readonly outlet: Outlet;
  /** Chunks from this side held while the link is held. */
  readonly held: Buffer[];
  ended: boolean;
}

/** A data connection between the FTP client's socket and the FTP server's. */
export class DataLink implements Link {
  readonly done: Promise<void>;
  #name: string;
  #hooks: DataHooks;
  #sides: Record<Toward, Side>;
  #bytes = 0;
  #held = false;
  #dead = false;
  #timers = new Set<NodeJS.Timeout>();
  #clientSaw: 'rst' | 'fin' | null = null;
  #clientGone = false;

  constructor(index: number, client: Socket, server: Socket, hooks: DataHooks) {
    this.#name = `data ${index}`;
    this.#hooks = hooks;
    const side = (socket: Socket): Side => ({ socket, outlet: new Outlet(socket), held: [], ended: false });
    this.#sides = { client: side(client), server: side(server) };
    this.done = Promise.all([closed(client), closed(server)]).then(() => {
      for (const timer of this.#timers) clearTimeout(timer);
      this.#note('--', `closed after ${this.#bytes} bytes`);
    });
  }

  /** Octets relayed so far, both directions. */
  get bytes(): number {
    return this.#bytes;
  }

  /** How the proxy ended the FTP client's end while the client still held it; null otherwise. */
  get clientSaw(): 'rst' | 'fin' | null {
    return this.#clientSaw;
  }

  /** Starts relaying; faults triggered `on connect` fire first. */
  start(): void {
    for (const toward of ['client', 'server'] as const) this.#wire(toward);
    for (const fault of this.#hooks.armed().filter((f) => f.at === 'connect')) this.#fire(fault);
    for (const side of Object.values(this.#sides)) if (!this.#held) side.socket.resume();
  }

  /** Ends it now (the proxy is closing): RST to both ends still open. */
  abort(): void {
    this.#dead = true;
    // Also after a fault ended it: a side sent a FIN and left paused with unread data would stay open
    // for good (and hold the process at exit).
    for (const side of Object.values(this.#sides)) resetSocket(side.socket);
  }

  // ── Link ──────────────────────────────────────────────────────────────────────────────────────

  inject(toward: Toward, data: Buffer): void {
    this.#note('!!', `proxy sends ${data.length} bytes to ${toward}`);
    this.#sides[toward].outlet.push(data);
  }

  reset(toward: Toward): void {
    this.#kill();
    const other: Toward = toward === 'client' ? 'server' : 'client';
    const rst = (to: Toward): void => {
      this.#note('--', `RST to ${to}`);
      if (to === 'client' && !this.#clientGone) this.#clientSaw ??= 'rst';
      const socket = this.#sides[to].socket;
      resetSocket(socket);
    };
    const cut = this.#cutSender();
    if (cut !== toward) void this.#flushed(toward).then(() => rst(toward));
    if (cut !== other) void this.#flushed(other).then(() => setTimeout(() => rst(other), DRAIN_GRACE_MS));
    if (cut) rst(cut);
  }

  close(toward: Toward, then: 'discard' | 'abort'): void {
    this.#kill();
    const other: Toward = toward === 'client' ? 'server' : 'client';
    const cut = this.#cutSender();
    if (cut) {
      this.#note('--', `${cut === toward ? 'FIN to' : 'cut toward'} ${cut}, socket destroyed: its next write gets an RST`);
      this.#sides[cut].socket.destroy();
    }
    for (const to of [toward, other].filter((t) => t !== cut)) {
      void this.#flushed(to).then(() => {
        this.#note('--', `FIN to ${to}${to === toward && then === 'abort' ? ', then no more reading' : ''}`);
        if (to === 'client' && !this.#clientGone) this.#clientSaw ??= 'fin';
        const socket = this.#sides[to].socket;
        socket.end(() => {
          if (to === toward && then === 'abort') socket.destroy();
        });
      });
    }
  }

  hold(ms?: number): void {
    this.#held = true;
    for (const side of Object.values(this.#sides)) side.socket.pause();
    if (ms === undefined) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#held = false;
      if (this.#dead) return;
      for (const toward of ['client', 'server'] as const) this.#release(toward);
    }, ms);
    this.#timers.add(timer);
  }

  swallow(): void {
    // Nothing is ever caught on a data connection.
  }

  shape(toward: Toward, shaper: Transform): void {
    this.#sides[toward].outlet.shape(shaper);
  }

  // ── relay ─────────────────────────────────────────────────────────────────────────────────────

  #wire(from: Toward): void {
    const to: Toward = from === 'client' ? 'server' : 'client';
    const side = this.#sides[from];
    side.socket.on('data', (chunk: Buffer) => {
      if (this.#dead) return;
      if (this.#held) side.held.push(chunk);
      else this.#relay(from, chunk);
    });
    side.socket.on('end', () => {
      if (from === 'client') this.#clientGone = true;
      side.ended = true;
      this.#note('--', `FIN from ${from}`);
      if (!this.#held && !this.#dead) this.#end(to);
    });
    side.socket.on('error', (error: NodeJS.ErrnoException) => {
      if (from === 'client') this.#clientGone = true;
      this.#note('--', error.code === 'ECONNRESET' ? `RST from ${from}` : `${from} socket error ${error.code ?? error.message}`);
      if (this.#dead) return;
      this.#dead = true;
      const other = this.#sides[to].socket;
      if (error.code === 'ECONNRESET' && !other.destroyed) {
        if (to === 'client' && !this.#clientGone) this.#clientSaw ??= 'rst';
        resetSocket(other);
      } else other.end();
    });
  }

  /** Relays a chunk from `from`, cutting it where a byte-count trigger falls. */
  #relay(from: Toward, chunk: Buffer): void {
    let rest = chunk;
    while (rest.length > 0 && !this.#dead && !this.#held) {
      const due = this.#nextTrigger();
      const room = due ? due.bytes - this.#bytes : Infinity;
      const part = rest.subarray(0, Math.min(rest.length, room));
      rest = rest.subarray(part.length);
      this.#forward(from, part);
      if (due && this.#bytes >= due.bytes) this.#fire(due.fault);
    }
    if (rest.length > 0 && this.#held && !this.#dead) this.#sides[from].held.push(rest);
  }

  /** The armed byte-count fault for the current transfer that fires first. */
  #nextTrigger(): { fault: Fault; bytes: number } | undefined {
    const verb = this.#hooks.verb();
    let best: { fault: Fault; bytes: number } | undefined;
    for (const fault of this.#hooks.armed()) {
      if (fault.at === 'connect' || !('bytes' in fault.at) || fault.at.bytes === undefined || fault.at.after !== verb) continue;
      if (!best || fault.at.bytes < best.bytes) best = { fault, bytes: fault.at.bytes };
    }
    return best;
  }

  #forward(from: Toward, bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#bytes += bytes.length;
    this.#hooks.bytes(bytes.length);
    const to = this.#sides[from === 'client' ? 'server' : 'client'];
    to.outlet.relay(bytes, this.#sides[from].socket, () => !this.#held && !this.#dead);
  }

  /** After a hold: relays what was held from `from`, then its FIN if it came. */
  #release(from: Toward): void {
    const side = this.#sides[from];
    for (const chunk of side.held.splice(0)) this.#relay(from, chunk);
    if (this.#held || this.#dead) return;
    if (side.ended) this.#end(from === 'client' ? 'server' : 'client');
    else side.socket.resume();
  }

  /** Passes a FIN on to `to` once what was relayed to it has left. */
  #end(to: Toward): void {
    const socket = this.#sides[to].socket;
    this.#sides[to].outlet.end(() => socket.end());
  }

  #fire(fault: Fault): void {
    if (!this.#hooks.fire(fault)) return;
    this.#note('!!', `fault fired: ${formatFault(fault)}`);
    if (isSessionFault(fault)) applyFault(fault, this);
  }

  /** The side to cut in the same tick as a fault: the server, while it sends (see the header). */
  #cutSender(): Toward | undefined {
    const verb = this.#hooks.verb();
    return verb !== undefined && SERVER_SENDS.has(verb) && !this.#sides.server.socket.destroyed ? 'server' : undefined;
  }

  #kill(): void {
    this.#dead = true;
    this.#held = false;
    for (const side of Object.values(this.#sides)) {
      side.held.length = 0;
      side.socket.resume();
    }
  }

  #flushed(toward: Toward): Promise<void> {
    return this.#sides[toward].outlet.flushed();
  }

  #note(speaker: '--' | '!!', text: string): void {
    this.#hooks.transcript.add(speaker, `${this.#name}: ${text}`);
  }
}
