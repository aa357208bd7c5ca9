/**
 * One proxied connection, and the `Link` that faults act on.
 *
 *   client ──data──► tracker.feed('up')  ──► RelayDirection up   ──pump──► cut at marks ──► outlet ──► server
 *   client ◄─outlet◄── cut at marks ◄──pump── RelayDirection down ◄── tracker.feed('down') ◄──data── server
 *                                  │
 *                     Arming.dueAt(mark) (./cut.ts) ─► fire ─► applyFault(fault, this)
 *
 * Bytes are relayed unchanged and in order; a fault only decides where the stream is cut and what
 * happens there. An outlet is the peer's socket, or a shaper (throttle, slice, coalesce) piped to it.
 * Every end the proxy causes (a fault's RST or FIN, `abort`, an RST passed on) goes through SessionEnds
 * (./session-end.ts), and the connection's one state lives in a Teardown (./teardown.ts). Where TLS is
 * terminated (at once, or at STARTTLS / AUTH TLS), a SessionTlsUpgrade (./session-tls.ts) starts it.
 */
import type { Socket } from 'node:net';
import type { Transform } from 'node:stream';
import { applyFault, isSessionFault } from '../faults/apply.js';
import type { Link } from '../faults/link.js';
import { holdsLines } from '../faults/trigger.js';
import type { Fault, Toward } from '../faults/types.js';
import { stepOf, Steps, type Direction, type Mark, type Tracker, type View } from '../protocol/conversation.js';
import { TRANSFER_VERBS } from '../protocol/ftp.js';
import type { Dialect } from './dialect.js';
import { Arming } from './arming.js';
import type { ArmingChange } from './armory.js';
import { BodyLedger } from './body-ledger.js';
import { RelayDirection, shift, type Pending } from './relay.js';
import { ReplyOrder } from './reply-order.js';
import { ReplyWait, type Waiting } from './reply-wait.js';
import { SessionEnds } from './session-end.js';
import type { SessionHooks, SessionOptions } from './session-options.js';
import { SessionTlsUpgrade } from './session-tls.js';
import { closed } from './sockets.js';
import { Teardown, type ClientSaw } from './teardown.js';
import type { TlsLegs } from './tls-legs.js';
import { printable, type Transcript, recordMark } from './transcript.js';

export type { SessionHooks, SessionOptions } from './session-options.js';
export type { SessionTls } from './session-tls.js';

const towardOf: Record<Direction, Toward> = { up: 'server', down: 'client' };

/** What `carry` holds when no line is held back. */
const EMPTY = Buffer.alloc(0);

/**
 * Steps whose reply a server may hold for a reason of the client's (ReplyWait): a transfer command
 * waits for the data connection, BDAT for the rest of its chunk.
 */
const UNTIMED: ReadonlySet<string> = new Set([...TRANSFER_VERBS, 'BDAT']);

/** A proxied connection between a client socket and an upstream socket. */
export class Session<D extends Dialect = Dialect> implements Link {
  readonly index: number;
  readonly transcript: Transcript;
  readonly dialect: D;
  readonly tracker: Tracker;
  /** Where the client is: commands as they arrive, replies as they are relayed. */
  readonly view: View;
  /** The steps the client sent: command verbs and `dot` (bounded, see Steps). */
  readonly steps = new Steps();
  /** Of those, the steps sent before TLS (all of them when TLS never started). */
  readonly clearSteps = new Steps();
  /** Resolves when both sockets are closed. */
  readonly done: Promise<void>;
  readonly #arming: Arming;
  readonly #hooks: SessionHooks;
  readonly #state = new Teardown();
  #relays: Record<Direction, RelayDirection>;
  /** Bumped when TLS replaces the relays: the old ones no longer flow. */
  #generation = 0;
  readonly #unwire: Partial<Record<Direction, () => void>> = {};
  readonly #tls: SessionTlsUpgrade;
  readonly #ends: SessionEnds;
  /** Per direction: unfinished lines wait for their end (a `before` trigger must catch them whole). */
  readonly #holdLines: Record<Direction, boolean>;
  readonly #body = new BodyLedger();
  readonly #order: ReplyOrder;
  /** Set by a fault firing at a `before` trigger: drop the line it caught. */
  #swallow = false;
  /** While a fault fires at a command or a server reply it caught: that mark. */
  #caught: Mark | undefined;
  #faultFired = false;
  /** The shaping faults that fired (Link.shape), built again for the conversation inside TLS when it starts. */
  readonly #shapes: { readonly toward: Toward; readonly make: () => Transform }[] = [];
  /** The verb of the client's last command observed: what a command after a FIN pipelines behind. */
  #lastVerb = '';
  /** performance.now() when the server's first octets (its greeting) arrived; undefined before. */
  #firstFromServer: number | undefined;
  /** What the server left the client waiting for (its greeting, a reply), and since when. */
  readonly #wait = new ReplyWait(performance.now());
  /** What the dialect said the server left the client waiting for (Dialect.waiting) at the first close (null: nothing); undefined while open. */
  #dialectWaitAtClose: Waiting | null | undefined;
  /** Ms in all the server had left the client's octets unread at the first close, and the longest stretch; undefined while open. */
  #unreadAtClose: { readonly all: number; readonly longest: number } | undefined;
  /** Octets the proxy held for the server ahead of the client's last end of data (see `dotBacklog`). */
  #dotBacklog: number | undefined;

  constructor(options: SessionOptions<D>) {
    const { client, server, faults } = options;
    this.index = options.index;
    this.transcript = options.transcript;
    const matched = options.transactions && { transactions: options.transactions, split: (c: ArmingChange) => this.dialect.armMatched?.(c) ?? c };
    this.#arming = new Arming(faults, (fault) => options.hooks.fire(fault), matched);
    this.#hooks = options.hooks;
    this.dialect = options.dialect(this);
    this.tracker = this.dialect.tracker;
    this.view = this.dialect.view;
    this.#order = new ReplyOrder(this.view, (text) => this.transcript.add('!!', text));
    const holds = faults.map((f) => holdsLines(f.at));
    const all = this.dialect.holdLines === true || matched !== undefined;
    this.#holdLines = { up: all || holds.includes('up'), down: all || holds.includes('down') };
    const raw = { client, server };
    this.#tls = new SessionTlsUpgrade(options.tls, {
      transcript: this.transcript,
      raw,
      armed: () => this.#arming.armed,
      fire: (fault) => this.#fire(fault),
      dialectTls: () => this.dialect.tls,
      held: () => this.#state.state === 'held',
      unwire: () => {
        for (const off of Object.values(this.#unwire)) off();
      },
      rewire: (legs) => this.#rewire(legs),
    });
    this.#ends = new SessionEnds({
      transcript: this.transcript,
      state: this.#state,
      order: this.#order,
      raw,
      relays: () => this.#relays,
      secured: () => this.#tls.legs !== undefined,
      view: this.view,
      dialect: this.dialect,
    });
    const implicit = options.tls?.mode === 'implicit';
    const legs = implicit ? this.#tls.secureOrCatch() : undefined;
    this.#relays = this.#relayPair(legs?.client ?? client, legs?.server ?? server);
    // The first close ends the wait: what was owed then is what the client (or the server) gave up on.
    void Promise.race([closed(client), closed(server)]).then(() => {
      const now = performance.now();
      this.#wait.closed(now);
      this.#dialectWaitAtClose = this.dialect.waiting?.(now) ?? null;
      this.#unreadAtClose = this.#unreadAt(now);
    });
    this.done = Promise.all([closed(client), closed(server)])
      .then(() => this.#tls.closed())
      .then(() => this.#state.closed());
    // A fault waiting for the ClientHello has the client's first octets to itself: nothing is relayed in clear.
    if (!implicit || legs) for (const dir of ['up', 'down'] as const) this.#wire(dir);
  }

  #relayPair(client: Socket, server: Socket): Record<Direction, RelayDirection> {
    const generation = this.#generation;
    const owner = (dir: Direction) => ({
      // Behind an end waiting for its reply (./reply-order.ts), the client's commands stop here.
      flowing: () => generation === this.#generation && this.#state.open && (dir === 'down' || !this.#order.ending),
      walk: (p: Pending) => this.#walk(dir, p),
      forwarded: () => this.#ends.wrote(towardOf[dir]),
      passedOn: () => {
        if (dir === 'down') this.#order.abandon();
        this.#ends.finTo(towardOf[dir]);
      },
      edit: (mark: Mark) => this.dialect.edit?.(dir, mark) ?? null,
      editFailed: (mark: Mark, error: Error) => {
        // No listener could be opened for the rewritten line: the session cannot go on truthfully.
        if (this.#state.ended) return;
        this.transcript.add('!!', `cannot rewrite ${mark.kind === 'reply' ? 'a reply' : 'a command'} (${error.message}): session reset`);
        this.abort('reset');
      },
    });
    return { up: new RelayDirection(client, server, owner('up')), down: new RelayDirection(server, client, owner('down')) };
  }

  /** True once any of this session's faults fired. */
  get faultFired(): boolean {
    return this.#faultFired;
  }

  /** Per leg, the TLS version and cipher negotiated (`TLSv1.3 TLS_AES_256_GCM_SHA384`); empty before TLS. */
  get secured(): Readonly<Partial<Record<Toward, string>>> {
    return this.#tls.secured;
  }

  /** Body octets of the current (or last) message relayed to the server: the client got them through. */
  get relayedBody(): number {
    return this.#body.current;
  }

  /** How each side's connection ended, in the order seen: `FIN from client`, `RST to server`... */
  get endings(): readonly string[] {
    return this.#ends.endings;
  }

  /** How the proxy ended the client's connection while the client still held it: see Teardown. */
  get clientSaw(): ClientSaw | null {
    return this.#state.clientSaw;
  }

  /** The client closed its side first, on its turn, nothing cut toward it: see Teardown.leftOnTurn. */
  get clientLeftOnTurn(): boolean {
    return this.#state.leftOnTurn;
  }

  /** Whether the client's body octets logged after the first fault reached the server: see BodyLedger. */
  bodyAfterFault(): string | undefined {
    return this.#body.afterFault();
  }

  /** Starts relaying; faults triggered `on connect` fire first. */
  start(): void {
    for (const fault of this.#arming.onConnect()) this.#fire(fault);
    if (this.#state.state !== 'held') this.#relays.up.source.resume();
  }

  /** Ends the session now: RST to the client, FIN to the server (so it keeps what it already got). */
  abort(how: 'close' | 'reset' = 'reset'): void {
    if (this.#state.ended) return;
    this.#ends.end('client', how === 'reset' ? 'rst' : 'abort');
  }

  // ── Link ──────────────────────────────────────────────────────────────────────────────────────

  inject(toward: Toward, data: Buffer, says?: string): void {
    const send = (): void => {
      // One transcript line per line sent (a stripped EHLO reply has several), escaped: its text is the server's.
      const lines = says === undefined ? data.toString('latin1').trimEnd().split('\r\n').map(printable) : [says];
      for (const line of lines) this.transcript.add('!!', `proxy sends to ${toward}: ${line}`);
      this.#ends.wrote(toward);
      this.#relayTo(toward).outlet.push(data);
    };
    // Toward the client, a reply keeps its place among the server's (./reply-order.ts).
    if (toward === 'client') this.#order.inject(data, this.#caught, send);
    else send();
  }

  reset(toward: Toward): void {
    this.#ends.endInOrder(toward, 'rst');
  }

  close(toward: Toward, then: 'discard' | 'abort', notify = true): void {
    this.#ends.endInOrder(toward, then === 'abort' ? 'abort' : notify ? 'fin' : 'truncate');
  }

  hold(ms?: number): void {
    this.#state.hold();
    for (const relay of Object.values(this.#relays)) relay.source.pause();
    if (ms === undefined) return;
    this.#state.after(ms, () => {
      if (!this.#state.release()) return;
      // Read first: a client that left during the hold (its FIN or RST waits unread) is seen before
      // what was held is relayed, so a reply it never got is said to be lost.
      for (const relay of Object.values(this.#relays)) relay.source.resume();
      setImmediate(() => {
        if (this.#state.clientLeft && !this.#state.ended) this.#ends.noteHeld('was relayed after the client had closed its side');
        for (const relay of Object.values(this.#relays)) relay.pump();
      });
    });
  }

  swallow(): void {
    this.#swallow = true;
  }

  /** performance.now() when the server's first octets arrived (its greeting, for SMTP and FTP); undefined before. */
  get firstFromServer(): number | undefined {
    return this.#firstFromServer;
  }

  /**
   * What the server left the client waiting for at the first close, or now, and how long (see ReplyWait,
   * and Dialect.waiting: FTP's data); the longer wait when both are; undefined: nothing.
   */
  get waiting(): Waiting | undefined {
    const now = performance.now();
    const control = this.#wait.waiting(now);
    const other = this.#dialectWaitAtClose === undefined ? this.dialect.waiting?.(now) : (this.#dialectWaitAtClose ?? undefined);
    return control === undefined || (other !== undefined && other.ms > control.ms) ? other : control;
  }

  /**
   * Octets the proxy still held for the server, ahead of the client's last end of data (`.`), as that came:
   * a throttle's queue, which it passes on at its rate before the server can answer; undefined before a dot.
   */
  get dotBacklog(): number | undefined {
    return this.#dotBacklog;
  }

  /**
   * Ms in all the server has left what the client sent unread (see Outlet.unread), until the first close
   * or now, and the longest single stretch of it.
   */
  get unread(): { readonly all: number; readonly longest: number } {
    return this.#unreadAtClose ?? this.#unreadAt(performance.now());
  }

  #unreadAt(now: number): { readonly all: number; readonly longest: number } {
    const outlet = this.#relays.up.outlet;
    return { all: outlet.unread(now), longest: outlet.longestUnread(now) };
  }

  get caught(): Mark | undefined {
    return this.#caught;
  }

  shape(toward: Toward, make: () => Transform): void {
    this.#shapes.push({ toward, make });
    this.#relayTo(toward).outlet.shape(make());
  }

  // ── relay ─────────────────────────────────────────────────────────────────────────────────────

  #wire(dir: Direction): void {
    const relay = this.#relays[dir];
    const onData = (chunk: Buffer): void => this.#onData(dir, chunk);
    const onEnd = (): void => this.#ends.peerEnded(dir, relay);
    const onError = (error: NodeJS.ErrnoException): void => this.#ends.peerFailed(dir, error);
    relay.source.on('data', onData).on('end', onEnd).on('error', onError);
    this.#unwire[dir] = () => {
      relay.source.off('data', onData).off('end', onEnd).off('error', onError);
      // Errors on a TCP socket under TLS are its TLS socket's to report.
      relay.source.on('error', () => undefined);
    };
  }

  /** The conversation goes on inside TLS: the relays over the TCP sockets are retired for new ones over the legs. */
  #rewire(legs: TlsLegs): void {
    this.#generation++;
    this.#relays = this.#relayPair(legs.client, legs.server);
    // The shaping goes on in the conversation inside TLS (the old shapers finish the clear text they hold).
    for (const { toward, make } of this.#shapes) this.#relayTo(toward).outlet.shape(make());
    this.#ends.heard('client');
    this.#ends.heard('server');
    for (const dir of ['up', 'down'] as const) this.#wire(dir);
    if (this.#state.state === 'held') for (const relay of Object.values(this.#relays)) relay.source.pause();
  }

  #onData(dir: Direction, chunk: Buffer): void {
    this.#ends.heard(dir === 'up' ? 'client' : 'server');
    // One clock read for a server's chunk: its first octets (the greeting), and the end of a silence (#timeReplies).
    const now = dir === 'down' ? performance.now() : 0;
    if (dir === 'down') this.#firstFromServer ??= now;
    if (this.#state.ended) {
      // What the client sends before the RST it is about to get shows where it had got to; it is
      // not relayed.
      if (dir === 'up' && this.#state.state === 'resetting') this.#observe(dir, this.tracker.feed(dir, chunk));
      else if (dir === 'up') this.#afterFin(this.tracker.feed(dir, chunk));
      return;
    }
    if (dir === 'up' && this.#order.ending) return; // dropped, as once the end comes
    const relay = this.#relays[dir];
    const carried = relay.carry.length;
    const data = carried ? Buffer.concat([relay.carry, chunk]) : chunk;
    const fed = this.tracker.feed(dir, chunk);
    const marks = carried ? fed.map((m) => shift(m, carried)) : fed;
    this.#observe(dir, marks);
    this.#timeReplies(dir, marks, now);
    // With a `before` trigger armed, an unfinished command (or reply) waits for its end before it is relayed.
    const keep = this.#holdLines[dir] ? Math.min(dir === 'up' ? this.tracker.partialCommandBytes : this.tracker.partialReplyBytes, data.length) : 0;
    // Most chunks hold nothing back: no views of them to make (one chunk, one relay, is the hot path).
    if (keep === 0) {
      if (carried) relay.carry = EMPTY;
      relay.enqueue(data, marks);
    } else {
      relay.carry = data.subarray(data.length - keep);
      relay.enqueue(data.subarray(0, data.length - keep), marks);
    }
    relay.pump();
    if (dir === 'up' && marks.some((m) => m.kind === 'dot'))
      this.#dotBacklog = relay.outlet.backlog() + relay.queue.reduce((n, p) => n + p.data.length - p.pos, 0);
  }

  /**
   * What the client sent after the proxy's FIN: the commands it pipelined count as steps (see
   * Teardown.pipelinedAfterFin); one it sent behind a reply is no step it reached, but it went on past
   * that reply (View.wentOn: JavaMail's HELO after a 502 to EHLO and a FIN), and the transcript says so.
   */
  #afterFin(marks: readonly Mark[]): void {
    const counted = this.#state.pipelinedAfterFin(marks, this.#lastVerb);
    this.#observe('up', counted);
    for (const mark of marks.slice(counted.length)) {
      if (mark.kind !== 'command') continue;
      this.transcript.add('--', `client sent ${mark.verb || 'a line'} after the proxy's FIN (not relayed)`);
      this.view.wentOn?.(mark);
    }
  }

  /** Records marks in the transcript, and what the client sent in its view. */
  #observe(dir: Direction, marks: readonly Mark[]): void {
    for (const mark of marks) {
      recordMark(this.transcript, mark);
      this.#body.observed(mark);
      if (dir === 'up') this.view.sent(mark);
      const step = mark.kind === 'command' ? mark.verb : mark.kind === 'dot' ? 'dot' : undefined;
      if (step !== undefined) this.steps.add(step);
      if (step !== undefined && this.#tls.legs === undefined) this.clearSteps.add(step);
      if (dir === 'up' && mark.kind === 'command') this.#lastVerb = mark.verb;
    }
  }

  /**
   * Times the server's silences (ReplyWait): the client's steps it owes replies to, its octets and the
   * replies they complete; `now`: when a server's chunk came (a client's steps read the clock themselves).
   */
  #timeReplies(dir: Direction, marks: readonly Mark[], now: number): void {
    if (dir === 'up') {
      // Most chunks a client sends are body octets: no clock to read for them.
      for (const mark of marks) {
        if (mark.kind === 'dot') this.#wait.asked(performance.now(), 'dot', true);
        else if (mark.kind === 'command') this.#wait.asked(performance.now(), mark.verb, !UNTIMED.has(mark.verb));
      }
      return;
    }
    let replies: { preliminary: boolean }[] | undefined;
    for (const m of marks) {
      if (m.kind === 'reply' && m.to !== 'greeting' && m.to !== 'unsolicited') (replies ??= []).push({ preliminary: 'preliminary' in m && m.preliminary });
    }
    this.#wait.heard(now, replies);
  }

  /** Walks the marks of a queued chunk, cutting where faults fall; false where relaying stopped. */
  #walk(dir: Direction, p: Pending): boolean {
    const relay = this.#relays[dir];
    if (dir === 'up' && this.#tls.asked) return this.#tls.dropClear(p);
    while (p.next < p.marks.length) {
      if (relay.offerEdit(p)) return false;
      const mark = p.marks[p.next]!;
      let kept = false;
      /** The proxy answered this line in the server's place (or kept the server's reply from the client). */
      let swallowed = false;
      for (const cut of this.#arming.dueAt(dir, mark, p.lineStart)) {
        relay.forward(p.data.subarray(p.pos, cut.forwardTo));
        p.pos = cut.forwardTo;
        this.#shown(dir, p, cut.forwardTo >= mark.end ? p.next + 1 : p.next);
        if (mark.kind === 'body') this.#body.relayed(mark, mark.before + cut.forwardTo - mark.start);
        this.#caught = cut.swallowTo !== undefined ? mark : undefined;
        this.#fire(cut.fault);
        this.#caught = undefined;
        if (cut.swallowTo !== undefined && this.#swallow) {
          p.pos = cut.swallowTo;
          kept = dir === 'up';
          swallowed = true;
          if (dir === 'up') this.tracker.forget(stepOf(mark));
          else p.shown = p.next + 1; // the server's reply never reaches the client
        }
        this.#swallow = false;
        if (!relay.flowing) return false;
      }
      this.#shown(dir, p, p.next + 1);
      if (mark.kind === 'body') this.#body.relayed(mark, mark.before + mark.end - mark.start);
      // A BDAT chunk ends exactly where the next command line starts; a DATA body may hold a split dot's first octets.
      if (mark.kind !== 'body' || mark.bdat) p.lineStart = mark.end;
      this.#arming.relayed(dir, mark);
      p.next++;
      if (dir === 'up') this.#order.walked(mark, kept);
      else if (this.#order.answered(mark)) {
        // Replies the proxy gives in place of later commands waited for this one: they follow it.
        relay.forward(p.data.subarray(p.pos, mark.end));
        p.pos = mark.end;
        this.#order.runDue();
        if (!this.#state.open) return false;
      }
      // A STARTTLS (AUTH TLS) the proxy refused in the server's place starts nothing: the client goes on in clear text.
      if (!swallowed && this.#tls.startTls(dir, p, mark, this.#relays[dir])) return dir === 'up';
    }
    return true;
  }

  /** The client has now been shown the replies among the first `upTo` marks of `p`. */
  #shown(dir: Direction, p: Pending, upTo: number): void {
    if (dir !== 'down') return;
    for (; p.shown < upTo; p.shown++) this.view.shown(p.marks[p.shown]!);
  }

  #fire(fault: Fault): void {
    const line = this.#arming.fire(fault);
    if (line === undefined) return;
    this.#faultFired = true;
    this.#body.faultFired();
    this.transcript.add('!!', line);
    if (isSessionFault(fault)) applyFault(fault, this);
    else this.#hooks.listenerFault(fault);
  }

  #relayTo(toward: Toward): RelayDirection {
    return toward === 'client' ? this.#relays.down : this.#relays.up;
  }
}
