/**
 * One proxied connection, and the `Link` that faults act on.
 *
 *   client ──data──► tracker.feed('up')  ──► queue ──pump──► cut at marks ──► outlet ──► server
 *   client ◄─outlet◄── cut at marks ◄──pump── queue ◄── tracker.feed('down') ◄──data── server
 *                                  │
 *                     armed faults: cutAt(at, mark) ─► applyFault(fault, this)
 *
 * Bytes are relayed unchanged and in order; a fault only decides where the stream is cut and what
 * happens there. An outlet is the peer's socket, or a shaper (throttle, slice, coalesce) piped to it.
 */
import type { Socket } from 'node:net';
import type { Transform } from 'node:stream';
import { applyFault, isSessionFault } from '../faults/apply.js';
import type { Link } from '../faults/link.js';
import { cutAt, holdsLines } from '../faults/trigger.js';
import type { Fault, Toward } from '../faults/types.js';
import { formatFault } from '../faults/format.js';
import type { Direction, Mark, Tracker, View } from '../protocol/conversation.js';
import { parseReplyLine } from '../protocol/smtp.js';
import { BodyLedger } from './body-ledger.js';
import { Outlet } from './outlet.js';
import { closed, readProof, resetSocket } from './sockets.js';
import { Transcript, recordMark } from './transcript.js';

/** A chunk waiting to be relayed, with its marks and how far it has been relayed. */
interface Pending {
  /** Changed only by an edit (see Dialect.edit), before any of it is relayed past the edited line. */
  data: Buffer;
  readonly marks: Mark[];
  next: number;
  /** Marks before this index were offered to Dialect.edit. */
  edited: number;
  pos: number;
  lineStart: number;
  /** Replies among `marks` already shown to the client (down direction). */
  shown: number;
}

/** One direction of the relay. */
interface Relay {
  readonly source: Socket;
  readonly outlet: Outlet;
  readonly queue: Pending[];
  carry: Buffer;
  /** The source sent its FIN. */
  ended: boolean;
  /** The FIN was passed on to the target. */
  passedOn: boolean;
}

/** The protocol spoken on the connection: how it is tracked, and what the proxy rewrites in it. */
export interface Dialect {
  readonly tracker: Tracker;
  readonly view: View;
  /** Every line waits for its end before it is relayed (so `edit` sees it whole). */
  readonly holdLines?: boolean;
  /**
   * A replacement for a complete line about to be relayed (FTP: data addresses the proxy interposes
   * on), or null to relay it as it is. Relaying in that direction waits for the promise.
   */
  edit?(direction: Direction, mark: Mark): Promise<Buffer> | null;
}

/** What the session tells its proxy. */
export interface SessionHooks {
  /** A fault's trigger fired here; return false to veto (a `refuse` that already fired elsewhere). */
  fire(fault: Fault): boolean;
  /** A listener fault (`refuse`) fired in this session. */
  listenerFault(fault: Fault): void;
}

const towardOf: Record<Direction, Toward> = { up: 'server', down: 'client' };

/** The longest an RST waits for the peer to read what was just written to it. */
const RST_GRACE_MS = 500;

/** A proxied connection between a client socket and an upstream socket. */
export class Session implements Link {
  readonly index: number;
  readonly transcript: Transcript;
  readonly tracker: Tracker;
  /** Where the client is: commands as they arrive, replies as they are relayed. */
  readonly view: View;
  /** Every step the client sent: command verbs and `dot`. */
  readonly sent = new Set<string>();
  /** Resolves when both sockets are closed. */
  readonly done: Promise<void>;
  #armed: Fault[];
  #hooks: SessionHooks;
  #relays: Record<Direction, Relay>;
  /** Per direction: unfinished lines wait for their end (a `before` trigger must catch them whole). */
  #holdLines: Record<Direction, boolean>;
  #held = false;
  /** Per direction: an edit is being prepared, relaying waits. */
  #editing: Record<Direction, boolean> = { up: false, down: false };
  #dialect: Dialect;
  #dead = false;
  #swallow = false;
  /** An RST to the client is on its way: until it goes, what the client sends is still observed. */
  #rstPending = false;
  /** While a fault fires at a command or a server reply it caught: that mark. */
  #caught: Mark | undefined;
  #timers = new Set<NodeJS.Timeout>();
  #faultFired = false;
  /** Per side: bytes were written to it since it last sent anything (it may not have read them). */
  #unread: Record<Toward, boolean> = { client: false, server: false };
  readonly #body = new BodyLedger();
  /** How the connection ended, in order: `FIN from client`, `RST to server`... */
  #endings: string[] = [];
  #clientSaw: 'rst' | 'fin' | null = null;
  /** The client closed or reset its side first: what the proxy does after that, it did not cause. */
  #clientGone = false;

  constructor(index: number, client: Socket, server: Socket, faults: readonly Fault[], hooks: SessionHooks, transcript: Transcript, dialect: Dialect) {
    this.index = index;
    this.transcript = transcript;
    this.#armed = [...faults];
    this.#hooks = hooks;
    this.#dialect = dialect;
    this.tracker = dialect.tracker;
    this.view = dialect.view;
    const holds = faults.map((f) => holdsLines(f.at));
    const all = dialect.holdLines === true;
    this.#holdLines = { up: all || holds.includes('up'), down: all || holds.includes('down') };
    this.#relays = {
      up: { source: client, outlet: new Outlet(server), queue: [], carry: Buffer.alloc(0), ended: false, passedOn: false },
      down: { source: server, outlet: new Outlet(client), queue: [], carry: Buffer.alloc(0), ended: false, passedOn: false },
    };
    this.done = Promise.all([closed(client), closed(server)]).then(() => this.#clearTimers());
    for (const dir of ['up', 'down'] as const) this.#wire(dir);
  }

  /** True once any of this session's faults fired. */
  get faultFired(): boolean {
    return this.#faultFired;
  }

  /** Body octets of the current (or last) message relayed to the server: the client got them through. */
  get relayedBody(): number {
    return this.#body.current;
  }

  /** How each side's connection ended, in the order seen: `FIN from client`, `RST to server`... */
  get endings(): readonly string[] {
    return this.#endings;
  }

  /** Whether the client's body octets logged after the first fault reached the server: see BodyLedger. */
  bodyAfterFault(): string | undefined {
    return this.#body.afterFault();
  }

  /** A connection event for the transcript and for `endings`. */
  #ending(text: string): void {
    this.#endings.push(text);
    this.transcript.add('--', text);
  }

  /**
   * Notes every server reply still held in the queue toward the client (a fault held it, and the
   * session ends before it is relayed, or it goes to a client that has left).
   */
  #noteHeld(what: string): void {
    for (const p of this.#relays.down.queue) {
      for (const mark of p.marks.slice(p.shown)) {
        if (mark.kind === 'reply') this.transcript.add('!!', `held ${mark.code} reply to ${mark.to.toLowerCase()} ${what}`);
      }
    }
  }

  /**
   * How the proxy ended the client's connection while the client still held it, first of RST or FIN;
   * null when it was still open, or when the client closed first (it gave up, or rejected the server).
   */
  get clientSaw(): 'rst' | 'fin' | null {
    return this.#clientSaw;
  }

  #sawEnd(how: 'rst' | 'fin'): void {
    if (!this.#clientGone) this.#clientSaw ??= how;
  }

  /** Starts relaying; faults triggered `on connect` fire first. */
  start(): void {
    for (const fault of this.#armed.filter((f) => f.at === 'connect')) this.#fire(fault);
    if (!this.#held) this.#relays.up.source.resume();
  }

  /** Ends the session now: RST to the client, FIN to the server (so it keeps what it already got). */
  abort(how: 'close' | 'reset' = 'reset'): void {
    if (this.#dead) return;
    if (how === 'reset') this.reset('client');
    else this.close('client', 'abort');
  }

  // ── Link ──────────────────────────────────────────────────────────────────────────────────────

  inject(toward: Toward, data: Buffer): void {
    this.transcript.add('!!', `proxy sends to ${toward}: ${data.toString('latin1').trimEnd()}`);
    this.#unread[toward] = true;
    const code = parseReplyLine(data.toString('latin1'))?.code;
    if (toward === 'client' && code !== undefined) {
      // In place of a server reply the fault caught: that step is answered, by the proxy.
      if (this.#caught) this.view.replaced(this.#caught);
      this.view.told(code);
    }
    this.#relayTo(toward).outlet.push(data);
  }

  reset(toward: Toward): void {
    const victim = this.#relayTo(toward).outlet.target;
    const unread = this.#unread[toward];
    this.#kill(`RST to ${toward}`);
    this.#rstPending = toward === 'client';
    void this.#flushed(toward)
      .then(() => (unread ? readProof(victim, RST_GRACE_MS) : undefined))
      .then(() =>
        setImmediate(() => {
          this.#rstPending = false;
          this.#ending(`RST to ${toward}`);
          if (toward === 'client') this.#sawEnd('rst');
          resetSocket(victim);
        }),
      );
    this.#finOther(toward);
  }

  close(toward: Toward, then: 'discard' | 'abort'): void {
    const victim = this.#relayTo(toward).outlet.target;
    this.#kill(`FIN to ${toward}`);
    void this.#flushed(toward).then(() => {
      this.#endings.push(`FIN to ${toward}`);
      this.transcript.add('--', `FIN to ${toward}${then === 'abort' ? ', then no more reading' : ''}`);
      if (toward === 'client') this.#sawEnd('fin');
      victim.end(() => {
        if (then === 'abort') victim.destroy();
      });
    });
    this.#finOther(toward);
  }

  hold(ms?: number): void {
    this.#held = true;
    for (const relay of Object.values(this.#relays)) relay.source.pause();
    if (ms === undefined) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#held = false;
      if (this.#dead) return;
      // Read first: a client that left during the hold (its FIN or RST waits unread) is seen before
      // what was held is relayed, so a reply it never got is said to be lost.
      for (const relay of Object.values(this.#relays)) relay.source.resume();
      setImmediate(() => {
        if (this.#clientGone && !this.#dead) this.#noteHeld('was relayed after the client had closed its side');
        for (const dir of ['up', 'down'] as const) this.#pump(dir);
      });
    }, ms);
    this.#timers.add(timer);
  }

  swallow(): void {
    this.#swallow = true;
  }

  shape(toward: Toward, shaper: Transform): void {
    this.#relayTo(toward).outlet.shape(shaper);
  }

  // ── relay ─────────────────────────────────────────────────────────────────────────────────────

  #wire(dir: Direction): void {
    const relay = this.#relays[dir];
    const name = dir === 'up' ? 'client' : 'server';
    relay.source.on('data', (chunk: Buffer) => this.#onData(dir, chunk));
    relay.source.on('end', () => {
      if (dir === 'up') this.#clientGone = true;
      this.#ending(`FIN from ${name}`);
      relay.ended = true;
      // An unfinished line held back for a `before` trigger will never finish: relay it as it is.
      if (relay.carry.length > 0 && !this.#dead) {
        relay.queue.push({ data: relay.carry, marks: [], next: 0, edited: 0, pos: 0, lineStart: 0, shown: 0 });
        relay.carry = Buffer.alloc(0);
      }
      this.#pump(dir);
    });
    relay.source.on('error', (error: NodeJS.ErrnoException) => {
      if (dir === 'up') this.#clientGone = true;
      this.#ending(error.code === 'ECONNRESET' ? `RST from ${name}` : `${name} socket error ${error.code ?? error.message}`);
      if (!this.#dead && error.code === 'ECONNRESET') this.reset(towardOf[dir]);
      else this.#finTo(towardOf[dir]);
    });
  }

  #onData(dir: Direction, chunk: Buffer): void {
    this.#unread[dir === 'up' ? 'client' : 'server'] = false;
    if (this.#dead) {
      // What the client sends before the RST it is about to get shows where it had got to; it is
      // not relayed.
      if (dir === 'up' && this.#rstPending) this.#observe(dir, this.tracker.feed(dir, chunk));
      return;
    }
    const relay = this.#relays[dir];
    const carried = relay.carry.length;
    const data = carried ? Buffer.concat([relay.carry, chunk]) : chunk;
    const marks = this.tracker.feed(dir, chunk).map((m) => shift(m, carried));
    this.#observe(dir, marks);
    // With a `before` trigger armed, an unfinished command (or reply) waits for its end before it is relayed.
    const partial = dir === 'up' ? this.tracker.partialCommandBytes : this.tracker.partialReplyBytes;
    const keep = this.#holdLines[dir] ? Math.min(partial, data.length) : 0;
    relay.carry = data.subarray(data.length - keep);
    relay.queue.push({ data: data.subarray(0, data.length - keep), marks, next: 0, edited: 0, pos: 0, lineStart: 0, shown: 0 });
    this.#pump(dir);
  }

  /** Records marks in the transcript, and what the client sent in its view. */
  #observe(dir: Direction, marks: readonly Mark[]): void {
    for (const mark of marks) {
      recordMark(this.transcript, mark);
      this.#body.observed(mark);
      if (dir === 'up') this.view.sent(mark);
      if (mark.kind === 'command') this.sent.add(mark.verb);
      else if (mark.kind === 'dot') this.sent.add('dot');
    }
  }

  /** Relays queued chunks of one direction, stopping where a fault holds or kills the session. */
  #pump(dir: Direction): void {
    const relay = this.#relays[dir];
    while (!this.#held && !this.#dead && !this.#editing[dir] && relay.queue.length > 0) {
      const p = relay.queue[0]!;
      while (p.next < p.marks.length) {
        if (p.edited === p.next && this.#edit(dir, p)) return;
        const mark = p.marks[p.next]!;
        this.#check(dir, p, mark);
        if (this.#held || this.#dead) return;
        this.#shown(dir, p, p.next + 1);
        if (mark.kind === 'body') this.#body.relayed(mark, mark.before + mark.end - mark.start);
        else p.lineStart = mark.end;
        p.next++;
      }
      this.#forward(dir, p.data.subarray(p.pos));
      relay.queue.shift();
    }
    if (relay.ended && relay.queue.length === 0 && !this.#held && !this.#dead && !this.#editing[dir]) this.#endTarget(relay);
  }

  /**
   * Offers the next mark of `p` to the dialect's edit; true while a replacement is being prepared
   * (relaying in `dir` waits, then resumes with the line replaced in `p`).
   */
  #edit(dir: Direction, p: Pending): boolean {
    p.edited++;
    const mark = p.marks[p.next]!;
    const replacement = this.#dialect.edit?.(dir, mark);
    if (!replacement) return false;
    this.#editing[dir] = true;
    void replacement.then((line) => {
      this.#editing[dir] = false;
      if (this.#dead) return;
      const start = p.lineStart;
      const by = line.length - (mark.end - start);
      p.data = Buffer.concat([p.data.subarray(0, start), line, p.data.subarray(mark.end)]);
      for (let i = p.next; i < p.marks.length; i++) p.marks[i] = shift(p.marks[i]!, by);
      this.#pump(dir);
    }, (error: unknown) => {
      // The line cannot be rewritten (no listener could be opened): the session cannot go on truthfully.
      this.#editing[dir] = false;
      if (this.#dead) return;
      this.transcript.add('!!', `cannot rewrite ${mark.kind === 'reply' ? 'a reply' : 'a command'} (${(error as Error).message}): session reset`);
      this.abort('reset');
    });
    return true;
  }

  /** Fires every armed fault whose trigger falls on this mark. */
  #check(dir: Direction, p: Pending, mark: Mark): void {
    for (const fault of [...this.#armed]) {
      const cut = cutAt(fault.at, dir, mark, p.lineStart);
      if (!cut) continue;
      this.#forward(dir, p.data.subarray(p.pos, cut.offset));
      p.pos = cut.offset;
      this.#shown(dir, p, cut.offset >= mark.end ? p.next + 1 : p.next);
      if (mark.kind === 'body') this.#body.relayed(mark, mark.before + cut.offset - mark.start);
      this.#caught = cut.pendingUntil !== undefined ? mark : undefined;
      this.#fire(fault);
      this.#caught = undefined;
      if (cut.pendingUntil !== undefined && this.#swallow) {
        p.pos = cut.pendingUntil;
        if (dir === 'up') this.tracker.forget(mark.kind === 'dot' ? 'dot' : mark.kind === 'command' ? mark.verb : '');
        else p.shown = p.next + 1; // the server's reply never reaches the client
      }
      this.#swallow = false;
      if (this.#held || this.#dead) return;
    }
  }

  /** The client has now been shown the replies among the first `upTo` marks of `p`. */
  #shown(dir: Direction, p: Pending, upTo: number): void {
    if (dir !== 'down') return;
    for (; p.shown < upTo; p.shown++) this.view.shown(p.marks[p.shown]!);
  }

  #fire(fault: Fault): void {
    this.#armed = this.#armed.filter((f) => f !== fault);
    if (!this.#hooks.fire(fault)) return;
    this.#faultFired = true;
    this.#body.faultFired();
    this.transcript.add('!!', `fault fired: ${formatFault(fault)}`);
    if (isSessionFault(fault)) applyFault(fault, this);
    else this.#hooks.listenerFault(fault);
  }

  #forward(dir: Direction, bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#unread[towardOf[dir]] = true;
    const relay = this.#relays[dir];
    relay.outlet.relay(bytes, relay.source, () => !this.#held && !this.#dead);
  }

  #endTarget(relay: Relay): void {
    if (relay.passedOn) return;
    relay.passedOn = true;
    const toward = relay === this.#relays.down ? 'client' : 'server';
    relay.outlet.end(() => this.#finTo(toward));
  }

  /** Stops relaying for good (`how`: the proxy's RST or FIN): what either side still sends is read and dropped. */
  #kill(how: string): void {
    if (!this.#dead) this.#noteHeld(`was never sent: ${this.#clientGone ? 'client left' : how}`);
    this.#dead = true;
    this.#held = false;
    this.#clearTimers();
    for (const relay of Object.values(this.#relays)) {
      relay.queue.length = 0;
      relay.source.resume();
    }
  }

  /** The side opposite `toward` gets a FIN once what was relayed to it has left. */
  #finOther(toward: Toward): void {
    const other: Toward = toward === 'client' ? 'server' : 'client';
    void this.#flushed(other).then(() => this.#finTo(other));
  }

  /** Sends a FIN to a side (after what was written to it). */
  #finTo(toward: Toward): void {
    if (toward === 'client') this.#sawEnd('fin');
    this.#relayTo(toward).outlet.target.end();
  }

  /** Resolves once everything relayed to `toward` has left; a shaper in the way is drained and removed. */
  #flushed(toward: Toward): Promise<void> {
    return this.#relayTo(toward).outlet.flushed();
  }

  #relayTo(toward: Toward): Relay {
    return toward === 'client' ? this.#relays.down : this.#relays.up;
  }

  #clearTimers(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}

/** A mark with its offsets moved by `by` bytes (a carried partial line was put in front). */
function shift(mark: Mark, by: number): Mark {
  if (by === 0) return mark;
  return mark.kind === 'body' ? { ...mark, start: mark.start + by, end: mark.end + by } : { ...mark, end: mark.end + by };
}
