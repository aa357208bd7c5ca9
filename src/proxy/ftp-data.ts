/**
 * FTP through the proxy: the control connection is tracked like SMTP (src/protocol/ftp.ts), and every
 * data connection is made to pass through the proxy too, by rewriting where it is told to go.
 *
 *   passive  server: 227 (h,p) / 229 (|||p|) ─► proxy listens on L ─► client: 227 (L) / 229 (|||L.port|)
 *            client ──connect──► L ──connect──► server's (h,p)          (229: the control host, RFC 2428 §3)
 *   active   client: PORT (h,p) / EPRT |1|h|p| ─► proxy listens on L ─► server: PORT (L) / EPRT (L)
 *            server ──connect──► L ──connect──► client's (h,p)          (L IPv6: EPRT |2|, even for a PORT)
 *   IPv6     a 227 cannot name the proxy's IPv6 listener: the client gets 425 (use EPSV, RFC 2428 §1);
 *            a server on IPv6 has no 227 to give: a client's PASV reaches it as EPSV, its 229 goes back as a 227
 *
 * FtpData is the dialect: it finds the lines to rewrite. The rest has one owner each, made here:
 *   DataAddresses (./data-addresses.ts)  the addresses said and the listeners behind them
 *   DataLinks     (./data-links.ts)      the data connections, each a DataLink
 *   DataArming    (./data-arming.ts)     the data side's faults, and where each acts
 */
import { isIPv4 } from 'node:net';
import type { Link } from '../faults/link.js';
import type { Fault } from '../faults/types.js';
import { scopeOf } from '../faults/registry.js';
import type { Direction, Mark } from '../protocol/conversation.js';
import { format227, format229, formatEprt, formatPort, parse227, parse229, parseEprt, parsePort, type HostPort } from '../protocol/ftp-address.js';
import { FtpPhase, FtpTracker, TRANSFER_VERBS, asksFtpTls, grantsFtpTls, type FtpMark } from '../protocol/ftp.js';
import { MAX_HELD_REPLY } from '../protocol/replies.js';
import { restoreSynch } from '../protocol/telnet.js';
import { DataAddresses, type DataMode, type DataTarget } from './data-addresses.js';
import type { ArmingChange } from './armory.js';
import { DataArming } from './data-arming.js';
import type { WatchData } from './capture.js';
import { DataLinks } from './data-links.js';
import type { Dialect, DialectTls } from './dialect.js';
import type { FtpsSession } from './ftps.js';
import type { Waiting } from './reply-wait.js';
import type { ClientSaw } from './teardown.js';
import type { Transcript } from './transcript.js';
import type { ControlCut } from './data-link.js';

/** The longest the server's reply to an upload a fault cut waits for the client to act on the cut (FtpData.#holdForClient). */
const CLIENT_ACT_GRACE_MS = 1_000;

/**
 * The longest the server's RST on a data connection waits for the client to act on the end of its
 * control connection (FtpData.clientCut). A client reading both connections acts within tens of
 * milliseconds even on a loaded machine (basic-ftp in-process: 11-60 ms beside stress-ng); a client
 * blocked in its write meanwhile (Python's ftplib) must meet the RST there before its own inactivity
 * timeout, 1 s at the least in the suites (with 3 s, ftplib reported `timeout` instead of `reset`).
 */
const CONTROL_CUT_GRACE_MS = 500;

/** A wait that ends when woken (the client acted) or `ms` after it is armed, whichever comes first. */
interface ActWait {
  readonly done: Promise<void>;
  /** Woken: the client acted, before the `ms` ran out or after. */
  readonly acted: () => boolean;
  readonly wake: () => void;
  /** Starts the `ms` (once; a wait made armed has started). */
  readonly arm: () => void;
}

function actWait(ms: number, armed = true): ActWait {
  let wake = (): void => undefined;
  let arm = (): void => undefined;
  let woken = false;
  const done = new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    arm = () => {
      if (timer) return;
      timer = setTimeout(resolve, ms);
      timer.unref();
    };
    wake = () => {
      woken = true;
      clearTimeout(timer);
      resolve();
    };
  });
  if (armed) arm();
  return { done, wake, arm, acted: () => woken };
}

/** What the data side of one control session knows, for reports. */
export interface DataInfo {
  /** Data connections relayed (opened through the proxy). */
  readonly connections: number;
  /** Octets relayed on them, both directions. */
  readonly bytes: number;
  /** How the proxy ended the FTP client's end of the last data connection; null if it did not. */
  readonly clientSaw: ClientSaw | null;
  /**
   * The client met the RST on its last data connection before it acted on the end of its control
   * connection: it had not acted on the proxy's FIN there when the server's RST was relayed (the grace
   * of FtpData.clientCut had run out), busy with its data connection (an upload it was still writing,
   * a download it read), so that RST is what it saw.
   */
  readonly rstFirst?: true;
  /**
   * A data-channel fault fired, but the server ended that data connection on its own before the
   * fault's RST or FIN reached either end (vsftpd refusing a protected data connection that was not
   * resumed, right after its handshake, while the client's octets reached the fault's offset): what the
   * client reports is the server's doing, as when the fault never fires.
   */
  readonly overtaken?: true;
  /** The mode of the last data address the client asked for. */
  readonly mode?: DataMode;
  /**
   * The last protected data connection (PROT P, the proxy terminating TLS): whether the FTP client
   * resumed the control connection's TLS session on it, and whether the server took the proxy's.
   */
  readonly tls?: { readonly clientResumed: boolean; readonly serverResumed: boolean };
}

export interface FtpDataOptions {
  /** The proxy's listening host: passive data listeners bind here (the client reached the proxy there). */
  readonly host: string;
  /**
   * The proxy's own address on the control connection to the server: active data listeners bind here,
   * as a server connects back only to the address its control connection comes from (RFC 2577); default `host`.
   */
  readonly serverFacingHost?: string;
  /** The server's control address: where a 229's port is. */
  readonly upstreamHost: string;
  /** The control connection reached the server over IPv6: it has no 227 for a PASV (see #pasvAsEpsv). */
  readonly upstreamIpv6?: boolean;
  readonly transcript: Transcript;
  /** This session's data-channel and dataport faults, and its control faults timed by data octets. */
  readonly faults: readonly Fault[];
  /** A fault fired: false vetoes. */
  fire(fault: Fault): boolean;
  /** A listener fault (`refuse`: a server restart) timed by data octets fired here. */
  listenerFault?(fault: Fault): void;
  /** The control connection: where control faults timed by data octets act. */
  readonly control: Link;
  /** Watches each data connection for a capture (./capture.ts); default none. */
  readonly watch?: WatchData;
  /**
   * The proxy terminates TLS (./ftps.ts): at the 234 to AUTH TLS, or from the first octet (`implicit`,
   * where data connections are protected until a PROT C, as the mock server and the clients assume);
   * default none: after the 234 the control connection is relayed untouched.
   */
  readonly tls?: { readonly session: FtpsSession; readonly implicit: boolean };
}

/** Whether a fault belongs to the data side: data-channel faults, dataport, and control faults timed by data octets. */
export function onDataSide(fault: Fault): boolean {
  const byData = fault.at !== 'connect' && 'bytes' in fault.at && fault.at.after !== 'DATA';
  return fault.channel === 'data' || scopeOf(fault) === 'address' || byData;
}

/** The FTP dialect of one control session: tracker, view, and the data connections it interposes. */
export class FtpData implements Dialect {
  readonly tracker: FtpTracker;
  readonly view = new FtpPhase();
  readonly holdLines = true;
  readonly tls?: DialectTls;
  readonly #upstreamHost: string;
  /**
   * A 227 names an IPv4 address only (RFC 959 §4.1.2): a server on IPv6 answers PASV 425 or 500 (vsftpd,
   * the mock). When the client is on IPv4, so that the proxy's listener fits in a 227, its PASV is asked
   * as EPSV (RFC 2428 §3) and the 229's port, reached at the server's control address, goes back in a 227.
   */
  readonly #pasvAsEpsv: boolean;
  readonly #transcript: Transcript;
  readonly #addresses: DataAddresses;
  readonly #links: DataLinks;
  readonly #arming: DataArming;
  /** Data connections waiting for the server's final reply to the transfer. */
  #answerWaiters: (() => void)[] = [];
  /** Data connections waiting for the client's transfer command. */
  #askWaiters: (() => void)[] = [];
  /**
   * Where the current transfer is: `asked` once the client sent its command, `answered` once the server's
   * final reply to it reached the proxy (until the next command); `idle` before the first.
   */
  #transfer: 'idle' | 'asked' | 'answered' = 'idle';
  /** Transfer commands the client has sent: the current transfer's number. */
  #transfers = 0;
  /** After a fault cut an upload's data connection: resolves once the client acted on the cut (see #holdForClient). */
  #clientActed: ActWait | undefined;
  /** After the proxy ended the client's control connection: resolves once the client acted on that (see clientCut). */
  #controlCut: ActWait | undefined;
  /** The client closed or reset its control connection. */
  #clientGone = false;
  /**
   * From the client's transfer command while a fault is due on its data connection's connect: resolves
   * once that fault has acted (DataLinks.connectFaultActed). The server's replies wait for it: vsftpd
   * sends its 150 as it accepts the data connection, and the proxy may read that before it has seen the
   * connection, so the fault's RST and the 150 reached the client in either order, and it reported a
   * reset or the server's 426 by chance; the client now always meets the RST first, as on the mock.
   */
  #connectFault: Promise<void> | undefined;

  constructor(options: FtpDataOptions) {
    const ftps = options.tls;
    this.tracker = new FtpTracker({ terminatesTls: ftps !== undefined });
    if (ftps && !ftps.implicit) {
      const tracker = this.tracker;
      this.tls = {
        asks: (m) => asksFtpTls(m as FtpMark),
        answers: (m) => m.kind === 'reply' && m.to === 'AUTH',
        grants: (m) => grantsFtpTls(m as FtpMark),
        restart: () => tracker.restart(),
      };
    }
    this.#upstreamHost = options.upstreamHost;
    this.#pasvAsEpsv = options.upstreamIpv6 === true && isIPv4(options.host);
    this.#transcript = options.transcript;
    const { transcript, control } = options;
    const listenerFault = (fault: Fault): void => options.listenerFault?.(fault);
    const arming = new DataArming({ faults: options.faults, fire: (f) => options.fire(f), transcript, control, listenerFault });
    this.#arming = arming;
    const answered = (): Promise<void> => (this.#transfer === 'answered' ? Promise.resolve() : new Promise((resolve) => this.#answerWaiters.push(resolve)));
    const protect = ftps && (() => ((this.view.protection ?? (ftps.implicit ? 'private' : 'clear')) === 'private' ? ftps.session : undefined));
    const asked = (): Promise<void> => (this.#transfer === 'asked' ? Promise.resolve() : new Promise((resolve) => this.#askWaiters.push(resolve)));
    const cutUpload = (): void => this.#holdForClient();
    const controlCut = (): ControlCut | undefined => this.#controlCut;
    const transfer = (): number => this.#transfers;
    this.#links = new DataLinks({ transcript, view: this.view, arming, answered, asked, transfer, cutUpload, controlCut, watch: options.watch, protect });
    this.#addresses = new DataAddresses({
      host: options.host,
      ...(options.serverFacingHost === undefined ? {} : { serverFacingHost: options.serverFacingHost }),
      transcript,
      arming,
      accept: (socket, target, mode) => this.#links.connect(socket, target, mode === 'active'),
    });
  }

  get info(): DataInfo {
    const mode = this.#addresses.mode;
    const tls = this.#links.tls;
    return {
      connections: this.#links.connections,
      bytes: this.#links.bytes,
      clientSaw: this.#links.clientSaw,
      ...(this.#links.last?.rstFirst ? { rstFirst: true as const } : {}),
      ...(this.#links.overtaken ? { overtaken: true as const } : {}),
      ...(mode ? { mode } : {}),
      ...(tls ? { tls } : {}),
    };
  }

  /**
   * What the server leaves the client waiting for in the current transfer (see DataWait): a download's
   * octets on its data connection, or to read an upload's (the stretch it has been leaving them unread), or,
   * once the transfer's data is complete, its final reply (226), which the control session's own timing
   * leaves alone (ReplyWait: a transfer command is not timed).
   */
  waiting(now: number): Waiting | undefined {
    const link = this.#links.last;
    // Only the current transfer's connection: none of an earlier transfer's. Its silence stops when the
    // server answers the transfer failed (DataLink.failed), or is kept from its first close, when the
    // client gave up. A 226 does not stop it: the client still waits for octets the server says it sent.
    if (link === undefined || link.transfer !== this.#transfers) return undefined;
    const silence = link.silence(now);
    if (silence !== undefined) return { for: 'data', ms: silence };
    const ended = link.dataEndedAt;
    const unread = link.unread(now);
    if (unread > 0 && ended === undefined) return { for: 'read', ms: unread };
    return ended === undefined || this.#transfer !== 'asked' ? undefined : { for: 'reply', ms: now - ended };
  }

  armMatched(change: ArmingChange): ArmingChange {
    this.#arming.change(change.add.filter(onDataSide), change.remove.filter(onDataSide));
    const control = (f: Fault): boolean => !onDataSide(f);
    return { add: change.add.filter(control), remove: change.remove.filter(control) };
  }

  /**
   * Rewrites 227 and 229 replies, PORT and EPRT commands, and puts back a Synch octet lost as urgent data
   * (src/protocol/telnet.ts); relays every other line as it is.
   */
  edit(direction: Direction, mark: Mark): Promise<Buffer | null> | null {
    const final = direction === 'down' && mark.kind === 'reply' && mark.code >= 200 && mark.to === this.view.lastTransfer;
    // The replies to a transfer command, its final one included, wait for a fault due on its data connection's connect.
    const connect = direction === 'down' && this.#transfer === 'asked' ? this.#connectFault : undefined;
    if (final) {
      this.#transfer = 'answered';
      if (this.#links.last?.transfer === this.#transfers && mark.code >= 400) this.#links.last.failed();
      for (const wake of this.#answerWaiters.splice(0)) wake();
    }
    if (direction === 'up' && mark.kind === 'command') {
      if (TRANSFER_VERBS.has(mark.verb)) {
        this.#transfer = 'asked';
        this.#transfers++;
        this.#connectFault = this.#links.connectFaultActed();
        for (const wake of this.#askWaiters.splice(0)) wake();
      }
      this.#clientActed?.wake();
      this.#controlCut?.wake();
    }
    const rewrite = this.#rewrite(direction, mark);
    // A server reply (the 426 of a transfer a data fault cut) waits for the data RST to reach the client
    // first, so the client meets the cut before the reply about it, whichever it reads first.
    const rsts = direction === 'down' ? this.#links.clientRsts() : undefined;
    // Its grace runs from when the client can have met the cut: once the data RST toward it has gone.
    const hold = final ? this.#clientActed : undefined;
    const acted = hold && (rsts ?? Promise.resolve()).then(() => (hold.arm(), hold.done));
    const waits = [rsts, acted, connect].filter((w) => w !== undefined);
    const before = waits.length ? Promise.all(waits) : undefined;
    return before ? before.then(() => rewrite ?? null) : rewrite;
  }

  clientRsts(): Promise<void> | undefined {
    return this.#links.clientRsts();
  }

  holdClient(): () => void {
    return this.#links.holdClients();
  }

  busy(): boolean {
    return this.#links.open || this.#addresses.awaitsClient;
  }

  clientLeft(): void {
    this.#clientGone = true;
    this.#clientActed?.wake();
    this.#controlCut?.wake();
  }

  /**
   * The proxy ended the client's control connection (a fault's FIN or RST): an RST the server then sends
   * on a data connection (a server aborting its transfer when its own control connection ends: pure-ftpd,
   * proftpd, the mock) reaches the client once the client has acted on that end (a command, its FIN or
   * RST), or after CONTROL_CUT_GRACE_MS. The server's RST is its answer to the cut, so on a network it
   * comes at least a round trip after the FIN the client got; relayed as it came over loopback, a client
   * reading both connections met one or the other first by scheduling (basic-ftp: `closed` or `reset`
   * at the transfer, run to run, on pure-ftpd and proftpd). A client that reads its control connection
   * only after the transfer (Python's ftplib) is not read from meanwhile, and meets the RST in its write.
   */
  clientCut(): void {
    if (this.#controlCut || this.#clientGone) return;
    this.#controlCut = actWait(CONTROL_CUT_GRACE_MS);
  }

  /**
   * A fault cut the data connection of an upload: the server's reply to the transfer (a 226 for the
   * truncated file, a 426) waits until the client has acted on the cut, by a command or by closing the
   * control connection, or for CLIENT_ACT_GRACE_MS after the data connection's RST reached it (a client
   * that waits for that reply; counted from the cut, a busy machine that took a second to relay the RST
   * left the client no time to act, and it was shown the 426 first: `reset@stor`, not `@transfer`). The server
   * answers a FIN on its data connection within milliseconds, and a client that gives up on its failed
   * write (Python's ftplib, closing the session) was shown that 226 first or not, by scheduling: it was
   * at the transfer or at STOR by chance.
   */
  #holdForClient(): void {
    if (this.#clientActed) return;
    const wait = actWait(CLIENT_ACT_GRACE_MS, false);
    const done = wait.done.then(() => {
      if (this.#clientActed?.done === done) this.#clientActed = undefined;
    });
    this.#clientActed = { ...wait, done };
  }

  #rewrite(direction: Direction, mark: Mark): Promise<Buffer> | null {
    if (this.#addresses.stopped) return null;
    const addresses = this.#addresses;
    if (direction === 'down' && mark.kind === 'reply') {
      // A reply past MAX_HELD_REPLY (src/protocol/replies.ts) reached the client as it came: only its
      // last line can still be rewritten, and an address in a line left out is not seen.
      if (mark.omitted && (mark.code === 227 || mark.code === 229)) {
        this.#transcript.add('--', `data address: a ${mark.code} reply over ${MAX_HELD_REPLY / 1024} KiB, relayed as it came: only its last line is rewritten`);
      }
      const text = mark.lines.join(' ');
      if (mark.to === 'PASV' && mark.code === 227) {
        const said = parse227(text);
        return said && addresses.interpose('passive', this.#passiveTarget(said), format227);
      }
      // A PASV asked as EPSV (#pasvAsEpsv): the client is told the proxy's listener in a 227.
      if (mark.to === 'PASV' && mark.code === 229 && this.#pasvAsEpsv) {
        const port = parse229(text)?.port;
        return port === undefined ? null : addresses.interpose('passive', { host: this.#upstreamHost, port }, format227);
      }
      if (mark.to === 'EPSV' && mark.code === 229) {
        const port = parse229(text)?.port;
        return port === undefined ? null : addresses.interpose('passive', { host: this.#upstreamHost, port }, (_, p) => format229(p), false);
      }
      return null;
    }
    if (direction === 'up' && mark.kind === 'command') {
      const synch = restoreSynch(Buffer.from(mark.line, 'latin1'));
      if (synch) {
        this.#transcript.add('--', 'the Synch octet the client sent as urgent data goes on in band (the proxy cannot read or send urgent data)');
        return Promise.resolve(Buffer.concat([synch, Buffer.from(mark.bareLf ? '\n' : '\r\n')]));
      }
      if (mark.verb === 'PASV' && this.#pasvAsEpsv) {
        this.#transcript.add('--', 'PASV cannot be answered by a server on IPv6: the server is asked EPSV instead');
        return Promise.resolve(Buffer.from('EPSV\r\n', 'latin1'));
      }
      const arg = mark.line.replace(/^\s*\S+\s?/, '');
      if (mark.verb === 'PORT') {
        const target = parsePort(arg);
        return target && addresses.interpose('active', target, (host, port) => this.#portOrEprt(host, port));
      }
      if (mark.verb === 'EPRT') {
        const target = parseEprt(arg);
        return target && addresses.interpose('active', target, (host, port) => `EPRT ${formatEprt(host, port)}`);
      }
    }
    return null;
  }

  /**
   * Where the proxy connects for a 227: the port it names, at the address the control connection
   * reached, as curl (since 7.74) and Python's ftplib (since 3.9.3) do and as wireprobe's probe does. A
   * server behind NAT, or with vsftpd's pasv_address set, names an address the proxy's side may not
   * reach; a client following it would fail where those clients work.
   */
  #passiveTarget(said: HostPort): DataTarget {
    return said.host === this.#upstreamHost ? said : { host: this.#upstreamHost, port: said.port, named: said.host };
  }

  /**
   * The command naming the proxy's active listener for a client's PORT: PORT names an IPv4 address only
   * (RFC 959 §4.1.2), so a listener on IPv6 (the proxy reaches the server over IPv6) is named in an EPRT
   * (RFC 2428 §2), which the server answers as it would the PORT (200).
   */
  #portOrEprt(host: string, port: number): string {
    if (isIPv4(host)) return `PORT ${formatPort(host, port)}`;
    this.#transcript.add('--', 'PORT cannot name an IPv6 address: the server is told EPRT instead');
    return `EPRT ${formatEprt(host, port)}`;
  }

  /** No more data connections: the control connection is gone. Open ones finish on their own. */
  stopListening(): void {
    this.#addresses.stop();
    this.#links.stop();
  }

  /** Drops every open data connection as a restarting server does: a FIN (`close`) or an RST to both ends. */
  drop(how: 'close' | 'reset'): void {
    this.stopListening();
    this.#links.drop(how);
  }

  /** Ends every data connection and listener now (the proxy is closing). */
  close(): void {
    this.stopListening();
    this.#links.abort();
  }

  /** Resolves when every data connection has closed. */
  async settled(): Promise<void> {
    await Promise.all([this.#links.settled(), this.#addresses.settled()]);
  }
}
