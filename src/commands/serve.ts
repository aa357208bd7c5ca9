/**
 * `wireprobe serve smtp|ftp`: a misbehaving server for the user's own application. The mock server
 * sits behind the fault proxy; the user's app connects to the proxy's URL. Every session's transcript
 * is logged (credentials redacted, peer text escaped), every accepted message or stored upload with its
 * SHA-256, every download with the octets sent, and each session ends with a summary line. With
 * `control`, an HTTP API (src/control) arms faults on it and lists what it received while it runs.
 */
import type { FtpServerOptions, ServedFile, StoredFile } from '../../servers/ftp.js';
import type { SinkMessage, SmtpServerOptions } from '../../servers/smtp.js';
import { type ControlServer, startControl } from '../control/control.js';
import { ReceivedMessages, ReceivedUploads } from '../lib/received.js';
import { formatFault } from '../faults/format.js';
import type { Fault } from '../faults/types.js';
import { isIP, type Socket } from 'node:net';
import { serveCaptures } from '../pcap/files.js';
import { checkOutput } from './output.js';
import { type ServeTls, startServeTls } from './serve-tls.js';
import { startProxy, type SessionEnd, type SessionInfo } from '../proxy/proxy.js';
import { printable } from '../proxy/transcript.js';
import { capped } from '../util/terminal.js';
import { openKeylog } from '../tls/keylog.js';
import { socketPair } from '../util/socket-pair.js';
import { unmapped } from '../util/address.js';

interface ServeCommon {
  readonly faults: readonly Fault[];
  readonly host: string;
  readonly port: number;
  readonly out: NodeJS.WritableStream;
  /**
   * Accepted messages or uploads the mock server keeps as values, and finished sessions the proxy keeps
   * (each is logged as it comes); default SERVE_KEEP.
   */
  readonly keep?: number;
  /** The command's Ctrl-C: aborting it removes the FTP server's spool folder at once; default none. */
  readonly signal?: AbortSignal;
  /** Where the control API listens (src/control); default none. */
  readonly control?: { readonly host: string; readonly port: number };
  /** A folder for a pcapng file per proxied session (src/pcap/files.ts); default none. */
  readonly pcap?: string;
  /** SMTP with TLS (STARTTLS or implicit, which the proxy terminates): a file the TLS session keys of both legs are appended to (src/tls/keylog.ts); default none. */
  readonly keylog?: string | undefined;
}

/** How many accepted messages or uploads, and finished sessions, `serve` keeps by default: enough to look back on, flat over a long run. */
export const SERVE_KEEP = 100;

export type ServeCommand =
  | (ServeCommon & { readonly protocol: 'smtp'; readonly server: SmtpServerOptions })
  | (ServeCommon & { readonly protocol: 'ftp'; readonly server: FtpServerOptions });

/** A running `serve`: its URL, and how to stop it. */
export interface Serving {
  readonly url: string;
  close(): Promise<void>;
}

/** How many of a session's messages, stored files or sent files its summary lists: the newest. */
export const SUMMARY_LISTED = 10;

/**
 * One kind of thing a session got (messages, stored files, sent files): all counted, the newest
 * SUMMARY_LISTED kept. A pooled client's session can live for thousands of messages; each is logged as
 * it comes, and the session holds a bounded record of them, as its transcript is bounded.
 */
export class Tally<T> {
  /** How many in all, and their octets (a message's content; an upload's octets received, a download's sent). */
  count = 0;
  octets = 0;
  /** The newest SUMMARY_LISTED, oldest first. */
  readonly newest: T[] = [];

  add(item: T, octets: number): void {
    this.count++;
    this.octets += octets;
    this.newest.push(item);
    if (this.newest.length > SUMMARY_LISTED) this.newest.shift();
  }
}

/** What the mock server recorded for one client port: the proxied session that came from it. */
export class SessionRecords {
  readonly messages = new Tally<SinkMessage>();
  readonly stored = new Tally<StoredFile>();
  readonly served = new Tally<ServedFile>();
}

const octets = (n: number): string => `${n} octet${n === 1 ? '' : 's'}`;

/**
 * The mock server's address: ::1 when the proxy listens on an IPv6 address, so the whole path is one
 * family; 127.0.0.1 otherwise, and behind `::` (every interface), which takes IPv4 clients too, and
 * an IPv4 client's PASV needs a mock that can answer 227.
 */
const mockHost = (listen: string): string => (isIP(listen) === 6 && !/^[0:]+$/.test(listen) ? '::1' : '127.0.0.1');

/** The mock behind `serve`'s proxy. */
interface Mock {
  readonly host: string;
  readonly port: number;
  /** FTP: a stored file's content. */
  read?(path: string): Buffer | undefined;
  /** SMTP without TLS: serves one in-process link's server side (see inProcessLink). */
  accept?(socket: Socket): boolean;
  close(): Promise<void>;
}

/**
 * The proxy's way to the SMTP mock: a socket pair in this process (src/util/socket-pair.ts), no TCP
 * connection. A second loopback connection per session, its handshake and teardown, and a send and a
 * receive for every command and reply were about a third of `serve smtp`'s CPU per message. Each link
 * has a port number of its own among those open, which the mock reports as the client's port: it ties
 * the mock's records to the proxied session, as the TCP connection's port does. (FTP keeps TCP: the
 * mock's passive replies and data connections need its real addresses; so does a mock with TLS, see
 * SmtpServerHandle.accept.)
 */
function inProcessLink(accept: (socket: Socket) => boolean, mock: { readonly host: string; readonly port: number }): (client: Socket) => Socket {
  const FIRST = 1024;
  const open = new Set<number>();
  let last = 65535;
  /** The next port number no open link has, as a TCP port is; 0 when every one is taken. */
  const nextPort = (): number => {
    if (open.size > 65535 - FIRST) return 0;
    do last = last === 65535 ? FIRST : last + 1;
    while (open.has(last));
    return last;
  };
  return (client) => {
    const port = nextPort();
    const pair = socketPair({ address: unmapped(client.remoteAddress) ?? mock.host, port }, { address: mock.host, port: mock.port });
    open.add(port);
    pair.client.once('close', () => open.delete(port));
    // Refused as a full port range or a closed listener would be: the client gets the proxy's RST.
    if (port === 0 || !accept(pair.server as unknown as Socket)) pair.client.refuse();
    // The parts of net.Socket the proxy uses (../util/socket-pair.ts), which is all a PairedSocket has.
    return pair.client as unknown as Socket;
  };
}

/**
 * The mock server, on loopback port 0 (::1 behind an IPv6 `host`), reporting what it accepted through `log`, into `records` and,
 * for the control API, into `served` (SMTP messages then go to a spool, for their raw content).
 */
async function startMock(
  cmd: ServeCommand,
  log: (line: string) => void,
  records: (port: number) => SessionRecords,
  served: ReceivedMessages | ReceivedUploads | undefined,
  tls: ServeTls | undefined,
): Promise<Mock> {
  if (cmd.protocol === 'ftp') {
    const onStored = (f: StoredFile, from: { port: number }): void => {
      if (served instanceof ReceivedUploads) served.onStored(f, from);
      records(from.port).stored.add(f, f.received);
      log(`stored ${printable(f.path)}: ${f.bytes} bytes, sha256 ${f.sha256}${f.complete ? '' : ' (incomplete: the upload was cut)'}`);
    };
    const onServed = (f: ServedFile, from: { port: number }): void => {
      records(from.port).served.add(f, f.sent);
      log(`RETR ${printable(f.path)}: sent ${f.sent} of ${octets(f.size)}${f.complete ? '' : ' (the transfer was aborted)'}`);
    };
    // One protocol's server library only: the other is never loaded (memory of a long `serve`).
    const { startFtpServer } = await import('../../servers/ftp.js');
    return startFtpServer({
      ...cmd.server,
      host: mockHost(cmd.host),
      port: 0,
      onStored,
      onServed,
      keep: cmd.keep ?? SERVE_KEEP,
      ...(cmd.signal ? { signal: cmd.signal } : {}),
      ...(tls ? { certificate: tls.certificate } : {}),
    });
  }
  const onMessage = (m: SinkMessage, from: { port: number }): void => {
    if (served instanceof ReceivedMessages) served.onMessage(m, from);
    records(from.port).messages.add(m, m.bytes);
    log(`accepted message: from <${printable(m.from)}> to ${m.to.map((t) => `<${printable(t)}>`).join(', ')}, ${m.bytes} bytes, sha256 ${m.sha256}`);
  };
  const spool = served ? { spool: 'on' as const, ...(cmd.signal ? { signal: cmd.signal } : {}) } : {};
  const { startSmtpServer } = await import('../../servers/smtp.js');
  const certificate = tls ? { certificate: tls.certificate } : {};
  return startSmtpServer({ ...cmd.server, host: mockHost(cmd.host), port: 0, onMessage, keep: cmd.keep ?? SERVE_KEEP, ...spool, ...certificate });
}

/**
 * The line ending a session's log: what the server accepted, stored or sent in it, how the connection
 * ended (QUIT, then each FIN and RST and who sent it) and after how long.
 */
export function sessionSummary(protocol: 'smtp' | 'ftp', records: SessionRecords, info: SessionInfo, end: SessionEnd): string {
  const what: string[] = [];
  if (protocol === 'smtp') {
    const message = (m: SinkMessage): string => `(${octets(m.bytes)}, sha256 ${m.sha256})`;
    const { count } = records.messages;
    what.push(count === 0 ? 'no message accepted' : `accepted ${count} message${count === 1 ? '' : 's'} ${listed(records.messages, message)}`);
  } else {
    const stored = (f: StoredFile): string => `${printable(f.path)} (${octets(f.bytes)}, sha256 ${f.sha256}${f.complete ? '' : ', incomplete'})`;
    const sent = (f: ServedFile): string => `${printable(f.path)} (${f.sent} of ${octets(f.size)})`;
    what.push(...transfers('stored', 'uploads', 'received', records.stored, stored), ...transfers('sent', 'downloads', 'sent', records.served, sent));
    if (what.length === 0) what.push('nothing stored or sent');
  }
  const how = [...(info.steps.includes('QUIT') ? ['client sent QUIT'] : []), ...end.endings].join(', then ') || 'still open';
  return `session ended after ${Math.round(end.durationMs)} ms: ${what.join(', ')}; ${how}`;
}

/**
 * A tally's items as `show` writes them, comma-separated; past SUMMARY_LISTED led by their octets in
 * all: `(N octets in all), the last 10: …` (`moved`: `(N octets received in all)`).
 */
function listed<T>(tally: Tally<T>, show: (item: T) => string, moved?: string): string {
  const items = tally.newest.map(show).join(', ');
  return tally.count > SUMMARY_LISTED ? `(${octets(tally.octets)}${moved ? ` ${moved}` : ''} in all), the last ${SUMMARY_LISTED}: ${items}` : items;
}

/**
 * A session's uploads or downloads for its summary: each as `stored /a (…)`, `sent /b (…)`; past
 * SUMMARY_LISTED one part, `stored 5000 uploads (N octets received in all), the last 10: /a (…), …`.
 */
function transfers<T>(verb: string, kind: string, moved: string, tally: Tally<T>, show: (item: T) => string): string[] {
  if (tally.count <= SUMMARY_LISTED) return tally.newest.map((item) => `${verb} ${show(item)}`);
  return [`${verb} ${tally.count} ${kind} ${listed(tally, show, moved)}`];
}

/** What serve says of its TLS: how it starts, and the CA file a client must trust. */
export function tlsLines(protocol: 'smtp' | 'ftp', mode: string, caFile: string): string[] {
  const how = mode === 'implicit' ? 'TLS from the first octet' : protocol === 'smtp' ? 'STARTTLS offered' : 'AUTH TLS offered';
  const lines = [`TLS: ${how}; clients must trust the CA certificate in ${caFile} (removed when serve stops)`];
  if (protocol === 'ftp') lines.push('FTPS: the proxy terminates TLS on the control and on each PROT P data connection: faults act inside it');
  return lines;
}

/** How long a logged line may wait to be written with the lines after it: too short for a reader to notice. */
const LOG_BATCH_MS = 20;
/** Lines that are written at once, however young: a burst's log stays a bounded amount of memory. */
const LOG_BATCH_LINES = 512;
/** Characters of a logged line; the rest is cut (`capped`). */
const LOG_LINE_CHARS = 2000;
/** A line `capped` would leave as it is (short enough, and printable ASCII). */
const PLAIN_LINE = /^[\x20-\x7e]*$/;

/**
 * A line logger that writes what was logged over LOG_BATCH_MS in one write: stdout to a pipe or a file
 * is written synchronously, a write is a system call, and to a pipe it also wakes the reader. A write
 * per transcript line cost a sixth of serve's CPU with a new connection per message; a write per turn
 * of the event loop still made two or three per message. `flush()` writes what is pending at once.
 */
export function batched(out: NodeJS.WritableStream): ((line: string) => void) & { flush(): void } {
  let pending: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    out.write(text);
  };
  const log = (line: string): void => {
    // Transcript lines are escaped already (printable ASCII): most need neither `visible` nor a cut.
    pending.push(line.length <= LOG_LINE_CHARS && PLAIN_LINE.test(line) ? `${line}\n` : `${capped([line], { maxLineChars: LOG_LINE_CHARS })[0]}\n`);
    if (pending.length >= LOG_BATCH_LINES) return flush();
    // Unref'd: a pending write never keeps the process alive; close() flushes what is left.
    timer ??= setTimeout(flush, LOG_BATCH_MS).unref();
  };
  return Object.assign(log, { flush });
}

/** Starts the server and proxy and logs every session's transcript and everything accepted. */
export async function serveCommand(cmd: ServeCommand): Promise<Serving> {
  // Transcript lines and addresses carry what peers sent: escaped and cut before the terminal sees them.
  const log = batched(cmd.out);
  // The mock sees the proxy's port toward it as the client's: that port ties its records to a session.
  const byPort = new Map<number, SessionRecords>();
  const records = (port: number): SessionRecords => {
    let r = byPort.get(port);
    if (!r) byPort.set(port, (r = new SessionRecords()));
    return r;
  };
  const keep = cmd.keep ?? SERVE_KEEP;
  const served = cmd.control ? (cmd.protocol === 'smtp' ? new ReceivedMessages(keep) : new ReceivedUploads(keep)) : undefined;
  if (cmd.pcap !== undefined) await checkOutput('pcap', cmd.pcap, 'dir');
  if (cmd.keylog !== undefined) await checkOutput('keylog', cmd.keylog, 'file');
  // One CA made for this serve: the mock presents its certificate, and the proxy terminates TLS (STARTTLS,
  // AUTH TLS or implicit) with the same one, so faults act inside TLS; the app trusts the CA file.
  const tlsMode = cmd.server.tls ?? 'off';
  const tls = tlsMode === 'off' ? undefined : await startServeTls(cmd.host);
  const keylog = cmd.keylog === undefined ? undefined : openKeylog(cmd.keylog, log);
  const server = await startMock(cmd, log, records, served, tls).catch(async (error: unknown) => {
    await tls?.close();
    await keylog?.close();
    throw error;
  });
  const proxyTls = tls
    ? { mode: tlsMode === 'implicit' ? ('implicit' as const) : ('starttls' as const), identity: tls.certificate, ...(keylog ? { keylog: keylog.write } : {}) }
    : undefined;
  const recorder = cmd.pcap === undefined ? undefined : serveCaptures(cmd.pcap, cmd.protocol, log);
  const proxy = await startProxy({
    upstream: { host: server.host, port: server.port },
    ...(server.accept ? { connectUpstream: inProcessLink(server.accept.bind(server), server) } : {}),
    faults: cmd.faults,
    host: cmd.host,
    port: cmd.port,
    onLine: log,
    keep: cmd.keep ?? SERVE_KEEP,
    closing: (info, end) => {
      const mine = end.upstreamPort === undefined ? new SessionRecords() : records(end.upstreamPort);
      if (end.upstreamPort !== undefined) byPort.delete(end.upstreamPort);
      return [sessionSummary(cmd.protocol, mine, info, end)];
    },
    ...(cmd.protocol === 'ftp' ? { protocol: 'ftp' as const } : {}),
    capture: recorder?.capture,
    ...(proxyTls ? { tls: proxyTls } : {}),
  }).catch(async (error: unknown) => {
    await keylog?.close();
    await server.close(); // else the mock server keeps the process alive after the error line
    await tls?.close();
    throw error;
  });
  // Implicit TLS from the first octet: smtps:// (RFC 8314 §3.3) or ftps://.
  const scheme = `${cmd.protocol}${tlsMode === 'implicit' ? 's' : ''}`;
  const url = `${scheme}://${isIP(proxy.host) === 6 ? `[${proxy.host}]` : proxy.host}:${proxy.port}`;
  log(`wireprobe: ${cmd.protocol.toUpperCase()} server listening on ${url}`);
  if (tls) for (const line of tlsLines(cmd.protocol, tlsMode, tls.caFile)) log(line);
  log(cmd.faults.length ? `faults: ${cmd.faults.map(formatFault).join('; ')}` : 'faults: none (a clean relay)');
  let control: ControlServer | undefined;
  if (cmd.control && served) {
    const stop = async (): Promise<void> => {
      await proxy.close();
      await recorder?.close();
      await server.close();
      await tls?.close();
    };
    const mock = served instanceof ReceivedMessages ? served.attach(proxy, stop) : served.attach(proxy, server.read ?? (() => undefined), stop);
    control = await startControl(mock, { host: cmd.control.host, port: cmd.control.port }).catch(async (error: unknown) => {
      await stop();
      throw error;
    });
    log(`control API on ${control.url}`);
  }
  log('Ctrl-C to stop.');
  return {
    url,
    async close() {
      await control?.close();
      await proxy.close();
      await recorder?.close();
      await server.close();
      await tls?.close();
      await keylog?.close();
      log.flush();
    },
  };
}
