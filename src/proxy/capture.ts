/**
 * What the proxy tells a capture (src/pcap): every octet, FIN and RST on each leg of each relayed
 * connection (client↔proxy and proxy↔server), on the client leg of a connection turned away unrelayed,
 * and the transcript's `!!` lines, each with its time.
 *
 *   socket 'data' / 'end' / ECONNRESET ─► in  (what the peer sent the proxy)
 *   socket _write / 'finish' / resetAndDestroy ─► out (what the proxy handed the kernel for the peer)
 *
 * The sockets are watched rather than the relay: what a shaper (throttle, slice) delays, what a fault
 * injects and every way a connection is ended then show at the time they reached the socket.
 */
import type { Socket } from 'node:net';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** client: the client↔proxy TCP connection; server: the proxy↔server one. */
export type Leg = 'client' | 'server';

/** in: the peer sent it to the proxy; out: the proxy sent it to the peer. */
export type CaptureDirection = 'in' | 'out';

/** A session's connection: 0 its control connection, n its n-th FTP data connection. */
export interface ConnectionId {
  readonly session: number;
  readonly connection: number;
}

interface OnLeg {
  readonly conn: ConnectionId;
  readonly leg: Leg;
  /** ms since the Unix epoch, µs precise. */
  readonly time: number;
}

export type CaptureEvent =
  /** The leg's TCP connection is up: `opener` sent the SYN. */
  | (OnLeg & { readonly kind: 'open'; readonly proxy: Endpoint; readonly peer: Endpoint; readonly opener: 'proxy' | 'peer' })
  | (OnLeg & { readonly kind: 'bytes'; readonly direction: CaptureDirection; readonly bytes: Buffer })
  | (OnLeg & { readonly kind: 'fin' | 'rst'; readonly direction: CaptureDirection })
  /** The proxy's socket closed (a destroy without FIN or RST of its own still sends the peer a FIN). */
  | (OnLeg & { readonly kind: 'close' })
  /** From here on the proxy speaks TLS on the leg (./tls-capture.ts): its octets are TLS records, never scanned for credentials. */
  | (OnLeg & { readonly kind: 'tls' })
  /**
   * Key log lines (NSS format, line ends included) of a TLS leg of the session: they go into the pcap
   * file so it decrypts, and nowhere else.
   */
  | { readonly kind: 'secrets'; readonly session: number; readonly time: number; readonly keylog: Buffer }
  /** A transcript `!!` line: a fault fired, or what it did. */
  | { readonly kind: 'note'; readonly session: number; readonly time: number; readonly text: string }
  /** Every connection of the session has closed. */
  | { readonly kind: 'done'; readonly session: number; readonly time: number };

export type Capture = (event: CaptureEvent) => void;

/** A capture with an owner's close: resolves once what it recorded is written (src/pcap/recorder.ts). */
export interface CaptureSink {
  readonly capture: Capture;
  close(): Promise<void>;
}

/** Watches an FTP data connection, the n-th of its session; `opener`: who connected first (the client when passive). */
export type WatchData = (connection: number, client: Socket, server: Socket, opener: Leg) => void;

/**
 * What a capture hands the TLS started on one of the sockets it watches (./tls-capture.ts): where to say
 * the leg turned TLS and where its key log lines go.
 */
export interface LegTap {
  /** The leg's octets are TLS records from now on. */
  tls(): void;
  /** A key log line of the leg's TLS session. */
  secrets(line: Buffer): void;
}

/** The socket property a watched socket's tap sits in: per socket, so a capture needs no registry of its own. */
const TAP = Symbol('wireprobe.captureTap');

/** The tap of a socket a capture watches, or none: TLS on it then runs where the capture sees its records. */
export function tapOf(socket: Socket): LegTap | undefined {
  return (socket as Socket & { [TAP]?: LegTap })[TAP];
}

/** Now, in ms since the epoch with sub-ms precision (Date.now() has only ms). */
export const captureTime = (): number => performance.timeOrigin + performance.now();

/** A transcript listener passing the session's `!!` lines to `capture` as notes; none without a capture. */
export function notesTo(capture: Capture | undefined, session: number): ((speaker: string, text: string) => void) | undefined {
  return capture && ((speaker, text) => speaker === '!!' && capture({ kind: 'note', session, time: captureTime(), text }));
}

/** The FtpData option that watches a session's data connections; none without a capture. */
export function watchingData(capture: Capture | undefined, session: number): { readonly watch?: WatchData } {
  return capture ? { watch: (connection, client, server, opener) => watchConnection(capture, { session, connection }, client, server, opener) } : {};
}

/**
 * Watches both sockets of a relayed connection. Call it before the relay starts, so nothing it does is missed.
 */
export function watchConnection(capture: Capture, conn: ConnectionId, client: Socket, server: Socket, opener: Leg = 'client'): void {
  watchLeg(capture, conn, 'client', client, opener === 'client' ? 'peer' : 'proxy');
  watchLeg(capture, conn, 'server', server, opener === 'client' ? 'proxy' : 'peer');
}

/**
 * Watches a session's control connection from the client's side, as soon as the proxy accepted it:
 * a connection turned away (a limit, a restart) or queued is never relayed, and has only this leg.
 */
export function watchClient(capture: Capture, session: number, client: Socket): void {
  watchLeg(capture, { session, connection: 0 }, 'client', client, 'peer');
}

/** Watches the proxy's connection to the server for a session whose client leg watchClient watches. */
export function watchServer(capture: Capture, session: number, server: Socket): void {
  watchLeg(capture, { session, connection: 0 }, 'server', server, 'proxy');
}

function watchLeg(capture: Capture, conn: ConnectionId, leg: Leg, socket: Socket, opener: 'proxy' | 'peer'): void {
  const at = { conn, leg };
  const emit = (event: DistributiveOmit<CaptureEvent & OnLeg, 'conn' | 'leg' | 'time'>): void =>
    capture({ ...event, ...at, time: captureTime() } as CaptureEvent);
  const proxy = { address: socket.localAddress ?? '127.0.0.1', port: socket.localPort ?? 0 };
  const peer = { address: socket.remoteAddress ?? '127.0.0.1', port: socket.remotePort ?? 0 };
  emit({ kind: 'open', proxy, peer, opener });
  const tap: LegTap = {
    tls: () => emit({ kind: 'tls' }),
    secrets: (keylog) => capture({ kind: 'secrets', session: conn.session, time: captureTime(), keylog }),
  };
  Object.defineProperty(socket, TAP, { value: tap, configurable: true });
  // First in line: what arrived is recorded before what the relay does with it. A prepended 'data'
  // listener does not start the flow either (only Readable's own on() does).
  socket.prependListener('data', (bytes: Buffer) => emit({ kind: 'bytes', direction: 'in', bytes }));
  socket.prependListener('end', () => emit({ kind: 'fin', direction: 'in' }));
  socket.prependListener('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'ECONNRESET' || error.code === 'EPIPE') emit({ kind: 'rst', direction: 'in' });
  });
  socket.on('finish', () => emit({ kind: 'fin', direction: 'out' }));
  socket.once('close', () => emit({ kind: 'close' }));
  // Every octet written, by write() or end(data), goes through _write/_writev when it is handed to the kernel.
  const write = socket._write;
  socket._write = function (chunk: unknown, encoding: BufferEncoding, callback: (error?: Error | null) => void) {
    sent(chunk, encoding);
    return write.call(this, chunk, encoding, callback);
  };
  const writev = socket._writev;
  if (writev) {
    socket._writev = function (chunks: { chunk: unknown; encoding: BufferEncoding }[], callback: (error?: Error | null) => void) {
      for (const { chunk, encoding } of chunks) sent(chunk, encoding);
      return writev.call(this, chunks, callback);
    };
  }
  const reset = socket.resetAndDestroy;
  socket.resetAndDestroy = function () {
    if (!this.destroyed) emit({ kind: 'rst', direction: 'out' });
    return reset.call(this);
  };
  function sent(chunk: unknown, encoding: BufferEncoding): void {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), encoding);
    if (bytes.length > 0) emit({ kind: 'bytes', direction: 'out', bytes });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
