/**
 * The FTP data connections of one control session: each accepted data socket is connected onward and
 * relayed as a DataLink; the session's view hears of each opening, octet and close.
 *
 *   accepted (client's, passive; server's, active) ──connect──► target ──► DataLink (faults: DataArming)
 */
import net, { type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { HostPort } from '../protocol/ftp-address.js';
import type { FtpPhase } from '../protocol/ftp.js';
import type { WatchData } from './capture.js';
import type { DataArming } from './data-arming.js';
import { type ControlCut, DataLink } from './data-link.js';
import { CLEAR_TEXT, type FtpsSession, type HandshakeFailure } from './ftps.js';
import { bounded } from '../util/bounded.js';
import { closed, onwardSource, resetSocket } from './sockets.js';
import type { ClientSaw } from './teardown.js';
import type { Transcript } from './transcript.js';
import { type BufferFreer, bufferFreer } from '../util/free-buffers.js';

export interface DataLinksOptions {
  readonly transcript: Transcript;
  /** The control session's view: which transfer a connection serves, and what it carried. */
  readonly view: FtpPhase;
  readonly arming: DataArming;
  /** Resolves once the server's final reply to the current transfer has reached the proxy. */
  readonly answered: () => Promise<void>;
  /** Resolves once the client has sent the transfer command a data connection serves (at once while one awaits its reply). */
  readonly asked: () => Promise<void>;
  /** How many transfer commands the client has sent (see DataHooks.transfer). */
  readonly transfer: () => number;
  /** A fault cut an upload's data connection: see DataHooks.cutUpload. */
  readonly cutUpload: () => void;
  /** See DataHooks.controlCut. */
  readonly controlCut: () => ControlCut | undefined;
  /** Watches each data connection for a capture (./capture.ts). */
  readonly watch?: WatchData | undefined;
  /** The FTPS session to secure a data connection opening now with, when it is protected (PROT P); default none. */
  readonly protect?: (() => FtpsSession | undefined) | undefined;
}

/**
 * After a failed data handshake: the longest the client's RST waits for the server's reply to the
 * transfer, or the reply for a client that sent clear text to act on its RST first.
 */
const HANDSHAKE_GRACE_MS = 500;

/**
 * The longest the server's reply to a transfer waits for a fault due on its data connection's connect
 * (see connectFaultActed): the link's own waits, for the transfer command (2 s) and for the client to
 * read what was relayed before its RST (1.5 s), and a little for the onward connect.
 */
const OPEN_GRACE_MS = 4_000;

/**
 * How long `settled` waits for an onward connection still connecting: its link (and how it ended) is
 * part of the session's record, made once the session is over. A connect on loopback takes well under
 * a millisecond; one the network drops would otherwise hold the record for the system's own timeout.
 */
const CONNECTING_WAIT_MS = 2_000;

/** Every data connection of one control session. */
export class DataLinks {
  readonly #o: DataLinksOptions;
  /** The open data connections (and closed ones whose RST to the client is still on its way). */
  readonly #links = new Set<DataLink>();
  #last: DataLink | undefined;
  #connections = 0;
  #bytes = 0;
  #stopped = false;
  #tls: { readonly clientResumed: boolean; readonly serverResumed: boolean } | undefined;
  /** Protected data connections whose TLS handshakes are under way: not yet links, ended with them. */
  readonly #securing = new Set<{ readonly client: Socket; readonly server: Socket }>();
  /** Onward connections not yet connected or failed: each is followed by a link or an RST. */
  readonly #connecting = new Set<Promise<void>>();
  /** RSTs on their way to clients whose data connection's handshake failed (see #handshakeFailed). */
  readonly #handshakeRsts = new Set<Promise<void>>();
  /** What the client of the last failed handshake was shown; a later relayed connection clears it. */
  #clientSaw: ClientSaw | undefined;
  /** The server ended a data connection before a fault's RST or FIN reached either end (DataInfo.overtaken). */
  #overtaken = false;
  /** Frees relayed chunks once written (a 1 GiB upload's chunks kept the proxy's RSS 30-40 MiB up); not with a capture, which holds them. */
  #freer: BufferFreer | undefined;

  /** Data connections accepted while a fault is due on connect, until that fault has acted on them (see connectFaultActed). */
  readonly #opening = new Set<Promise<void>>();
  /** Woken when the next of those has been acted on. */
  #openWaiters: (() => void)[] = [];

  constructor(options: DataLinksOptions) {
    this.#o = options;
  }

  /** Resolves once every RST on its way to the FTP client's end of a data connection has gone; undefined when none is. */
  clientRsts(): Promise<void> | undefined {
    const pending = [...[...this.#links].flatMap((link) => link.clientRst ?? []), ...this.#handshakeRsts];
    return pending.length ? Promise.all(pending).then(() => undefined) : undefined;
  }

  /**
   * While a fault is due on a data connection's connect: resolves once it has acted on the data
   * connections opening now (its RST reached the client's end), or on the next one to open when none
   * is (active mode: the server connects after the transfer command); at most OPEN_GRACE_MS. Undefined
   * when no such fault is due.
   */
  connectFaultActed(): Promise<void> | undefined {
    if (!this.#connectFaultDue()) return undefined;
    const acted = this.#opening.size ? Promise.all(this.#opening).then(() => undefined) : new Promise<void>((resolve) => this.#openWaiters.push(resolve));
    return bounded(acted, OPEN_GRACE_MS);
  }

  /** A data connection is open, or opening (its onward connect, its TLS handshakes), or its RST to the client still on its way. */
  get open(): boolean {
    return this.#links.size > 0 || this.#connecting.size > 0 || this.#securing.size > 0;
  }

  /** Data connections relayed so far. */
  get connections(): number {
    return this.#connections;
  }

  /** Octets relayed on them, both directions. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The data connection relayed last; undefined before the first. */
  get last(): DataLink | undefined {
    return this.#last;
  }

  /** How the proxy ended the FTP client's end of the last data connection; null if it did not. */
  get clientSaw(): ClientSaw | null {
    return this.#clientSaw ?? this.#last?.clientSaw ?? null;
  }

  /** The server ended one of them on its own before a fault's RST or FIN reached either end: see DataInfo.overtaken. */
  get overtaken(): boolean {
    return this.#overtaken;
  }

  /** Connects an accepted data socket on to `target` and relays between the two; `active`: `accepted` is the server's end. */
  connect(accepted: Socket, target: HostPort, active: boolean): void {
    const index = ++this.#connections;
    const who = active ? 'server' : 'client';
    const transcript = this.#o.transcript;
    transcript.add('--', `data ${index}: ${who} connected (${active ? 'active' : 'passive'}), proxy connects to ${target.host}:${target.port}`);
    const source = active ? {} : onwardSource(accepted, target.host);
    const opened = this.#opened();
    const onward = net.connect({ host: target.host, port: target.port, ...source, allowHalfOpen: true, noDelay: true });
    // Listening before the handlers below, it settles after them: by then the link (or the RST) is there.
    const connecting = new Promise<void>((resolve) => {
      onward.once('connect', () => resolve());
      onward.once('error', () => resolve());
    });
    this.#connecting.add(connecting);
    void connecting.then(() => this.#connecting.delete(connecting));
    // Only a connect that failed is answered here; once connected, the link relays errors (an RST as an RST).
    let connected = false;
    onward.on('error', () => undefined);
    onward.once('error', (error: NodeJS.ErrnoException) => {
      if (!connected) {
        transcript.add('--', `data ${index}: ${target.host}:${target.port} unreachable (${error.code}): RST to ${who}`);
        resetSocket(accepted);
        opened();
      }
    });
    onward.once('connect', () => {
      connected = true;
      const [client, server] = active ? [onward, accepted] : [accepted, onward];
      this.#o.watch?.(index, client, server, active ? 'server' : 'client');
      const ftps = this.#o.protect?.();
      if (!ftps) return void this.#relay(index, client, server).then(opened);
      const pair = { client, server };
      this.#securing.add(pair);
      void ftps.secureData(client, server).then((secured) => {
        this.#securing.delete(pair);
        if ('failed' in secured) {
          opened();
          return this.#handshakeFailed(index, secured, client);
        }
        const { clientResumed, serverResumed } = secured;
        const version = secured.client.getProtocol() ?? 'TLS';
        const toServer = clientResumed ? (serverResumed ? 'resumed' : 'offered its session, the server started a new one') : 'new session, as the client';
        transcript.add(
          '--',
          `data ${index}: TLS (${version}), client ${clientResumed ? 'resumed' : 'did not resume'} the control session; toward the server: ${toServer}`,
        );
        this.#tls = { clientResumed, serverResumed };
        void this.#relay(index, secured.client, secured.server, { client, server }).then(opened);
      });
    });
  }

  /**
   * A data connection opening while a fault is due on connect: counted in #opening until the returned
   * function is called (the fault acted, or the connection never opened), or OPEN_GRACE_MS passed.
   */
  #opened(): () => void {
    if (!this.#connectFaultDue()) return () => undefined;
    let done = (): void => undefined;
    const opening = bounded(new Promise<void>((resolve) => (done = resolve)), OPEN_GRACE_MS);
    this.#opening.add(opening);
    void opening.then(() => {
      this.#opening.delete(opening);
      for (const wake of this.#openWaiters.splice(0)) wake();
    });
    return done;
  }

  #connectFaultDue(): boolean {
    return this.#o.arming.forLinks().some((f) => f.at === 'connect');
  }

  /** Whether the FTP client resumed the control session on the last protected data connection, and the server the proxy's. */
  get tls(): { readonly clientResumed: boolean; readonly serverResumed: boolean } | undefined {
    return this.#tls;
  }

  /**
   * A protected data connection whose TLS handshake failed: the server's end was ended (a FIN) and the
   * client's gets an RST, in an order that leaves its report nothing to race. A client that sent clear
   * text (curl 7.88 in active mode) is still writing: the RST goes at once, and the server's reply to
   * the transfer (425) waits behind it for HANDSHAKE_GRACE_MS, the client's time to act on the RST; sent
   * right behind it, the reply reached curl in the same poll as the failed write, and which of the two it
   * reported (exit 55 or 18) was chance. Any other failure (a client that closed, a server that
   * refused): the RST once the server's reply has reached the proxy (within the grace), the reply right
   * behind it, as for a fault's cut (see DataLink).
   */
  #handshakeFailed(index: number, failure: HandshakeFailure, clientEnd: Socket): void {
    const { transcript } = this.#o;
    const who = failure.failed === 'client' ? 'the client' : 'the server';
    transcript.add('--', `data ${index}: TLS handshake with ${who} failed (${failure.error})${failure.failed === 'client' ? ': FIN to server' : ''}`);
    this.#clientSaw = 'rst';
    const rst = (): void => {
      transcript.add('--', `data ${index}: RST to client`);
      resetSocket(clientEnd, failure.tls);
    };
    const clearText = failure.error === CLEAR_TEXT;
    if (clearText) rst();
    const held = clearText ? delay(HANDSHAKE_GRACE_MS, undefined, { ref: false }) : bounded(this.#o.answered(), HANDSHAKE_GRACE_MS).then(rst);
    this.#handshakeRsts.add(held);
    void held.then(() => this.#handshakeRsts.delete(held));
  }

  /**
   * Relays a connected data connection (`raw`: the TCP sockets under TLS ones) as a DataLink; resolves
   * once the faults due on its connect have acted (DataLink.start).
   */
  #relay(index: number, client: Socket, server: Socket, raw?: { client: Socket; server: Socket }): Promise<void> {
    const { view, arming, transcript } = this.#o;
    const link = new DataLink(
      index,
      client,
      server,
      {
        transcript,
        armed: () => arming.forLinks(),
        fire: (fault) => arming.fire(fault),
        verb: () => view.lastTransfer,
        answered: this.#o.answered,
        overtaken: () => {
          this.#overtaken = true;
        },
        asked: this.#o.asked,
        transfer: this.#o.transfer,
        cutUpload: this.#o.cutUpload,
        controlCut: this.#o.controlCut,
        freer: this.#o.watch ? undefined : (this.#freer ??= bufferFreer()),
        bytes: (n) => {
          this.#bytes += n;
          view.dataBytes(n);
        },
      },
      raw,
    );
    this.#links.add(link);
    this.#last = link;
    this.#clientSaw = undefined;
    view.dataOpened();
    // A closed link is let go once its RST to the client has gone (a sync job's session carries
    // thousands of transfers); the last one stays, for clientSaw.
    void link.done
      .then(() => {
        view.dataClosed();
        return link.clientRst;
      })
      .then(() => this.#links.delete(link));
    if (this.#stopped) {
      link.abort();
      return Promise.resolve();
    }
    return link.start();
  }

  /** No more data connections: one still connecting onward is cut as it connects. Open ones finish on their own. */
  stop(): void {
    this.#stopped = true;
  }

  /**
   * Stops reading the FTP client's end of every open data connection until the returned function is
   * called: see Dialect.holdClient.
   */
  holdClients(): () => void {
    const releases = [...this.#links].map((link) => link.pauseClient());
    return () => {
      for (const release of releases) release();
    };
  }

  /** Drops every open data connection as a restarting server does: a FIN (`close`) or an RST to both ends. */
  drop(how: 'close' | 'reset'): void {
    for (const link of this.#links) {
      if (how === 'reset') link.reset('client');
      else link.close('client', 'discard');
    }
    this.#dropSecuring(how === 'reset');
  }

  /** Ends every data connection now (the proxy is closing). */
  abort(): void {
    for (const link of this.#links) link.abort();
    this.#dropSecuring(true);
  }

  /** Ends the data connections still in their TLS handshakes: an RST (`reset`), else a FIN. */
  #dropSecuring(reset: boolean): void {
    for (const pair of this.#securing) for (const socket of [pair.client, pair.server]) reset ? resetSocket(socket) : socket.destroy();
  }

  /** Resolves when every data connection has closed, one still connecting onward included (see CONNECTING_WAIT_MS). */
  async settled(): Promise<void> {
    await bounded(Promise.all(this.#connecting), CONNECTING_WAIT_MS);
    const securing = [...this.#securing].flatMap((p) => [closed(p.client), closed(p.server)]);
    await Promise.all([...[...this.#links].map((l) => l.done), ...securing, ...this.#handshakeRsts]);
  }
}
