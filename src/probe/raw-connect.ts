/**
 * Opening a raw connection: a bounded connect (a refusal, a timeout or an unresolvable name is a
 * ConnectFailure value, never a throw), or a socket the probe accepted (FTP active mode) taken over.
 */
import net, { type Socket } from 'node:net';
import { RAW_TIMEOUT_MS, RawConnection } from './raw.js';
import type { TlsOffer } from './raw-tls.js';
import type { ProbeTarget } from './types.js';
import { EVENTS } from './raw-transcript.js';

/** What a connect failed with. */
export interface ConnectFailure {
  /** `refused` ECONNREFUSED; `timeout` no answer within the bound; `reset` ECONNRESET while connecting;
   *  `unreachable` EHOSTUNREACH/ENETUNREACH; `unresolved` a name lookup failed; `handshake` the TLS
   *  handshake of an implicit-TLS connection failed (RawOptions.tls); `error` anything else. */
  readonly kind: 'refused' | 'timeout' | 'reset' | 'unreachable' | 'unresolved' | 'handshake' | 'error';
  /** The transcript form: `[connection refused]`, `[timeout after 5000 ms]`, ... */
  readonly event: string;
  /** The socket error code, when there was one. */
  readonly code?: string;
  readonly ms: number;
}

export interface RawOptions {
  /** Host name or address to connect to. Required. */
  readonly host: string;
  /** TCP port. Required. */
  readonly port: number;
  /** Bound on the connect, and the default bound on every later wait, ms; default 5000. */
  readonly timeoutMs?: number;
  /** Local address to connect from (e.g. 127.0.0.2 for per-address limits); default: the system picks. */
  readonly localAddress?: string;
  /** Record sent and received lines in the transcript; default true (false for FTP data connections). */
  readonly record?: boolean;
  /**
   * Close the connection when a wait runs out (see RawConnection.closeOnTimeout): a server that stalled
   * once costs one bound, not one per later command; default false.
   */
  readonly closeOnTimeout?: boolean;
  /**
   * Implicit TLS (smtps://, ftps://: RFC 8314 §3.3): the TLS handshake right after the TCP connect, before
   * any protocol octet; `true` offers Node's defaults, an object what it says. Default: plain TCP.
   */
  readonly tls?: true | TlsOffer;
}

/** The `tls` option for a connection to `target`: implicit TLS for smtps:// and ftps://, else nothing. */
export function tlsOf(target: ProbeTarget): { readonly tls?: true } {
  return target.implicitTls ? { tls: true } : {};
}

/**
 * connectRaw, then (RawOptions.tls) the TLS handshake before anything else: a handshake that fails is a
 * ConnectFailure of kind `handshake` (its event says how: `[closed by server] (TLS handshake)`...).
 */
export async function connectRaw(
  options: RawOptions,
): Promise<{ readonly ok: true; readonly conn: RawConnection } | { readonly ok: false; readonly failure: ConnectFailure }> {
  const connected = await connectTcp(options);
  if (!connected.ok || options.tls === undefined) return connected;
  const upgraded = await connected.conn.upgradeTls({
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.tls === true ? {} : { offer: options.tls }),
  });
  if (upgraded.ok) return connected;
  connected.conn.destroy();
  return {
    ok: false,
    failure: { kind: 'handshake', event: `${upgraded.event} (TLS handshake)`, ms: upgraded.ms, ...(upgraded.code ? { code: upgraded.code } : {}) },
  };
}

/**
 * Connects with a bound (`timeoutMs`, default 5000) and optionally from `localAddress`. Never throws for
 * the network: a refusal, a timeout or an unresolvable name is a ConnectFailure value.
 */
function connectTcp(
  options: RawOptions,
): Promise<{ readonly ok: true; readonly conn: RawConnection } | { readonly ok: false; readonly failure: ConnectFailure }> {
  const timeoutMs = options.timeoutMs ?? RAW_TIMEOUT_MS;
  const start = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect({
      host: options.host,
      port: options.port,
      noDelay: true,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    const timer = setTimeout(() => fail({ kind: 'timeout', event: EVENTS.timeout(timeoutMs) }), timeoutMs);
    const onError = (error: NodeJS.ErrnoException): void => {
      const code = error.code ?? 'EUNKNOWN';
      const kind =
        code === 'ECONNREFUSED'
          ? 'refused'
          : code === 'ECONNRESET'
            ? 'reset'
            : code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
              ? 'unreachable'
              : code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL'
                ? 'unresolved'
                : 'error';
      fail({ kind, event: kind === 'refused' ? EVENTS.refused : kind === 'reset' ? EVENTS.rst : EVENTS.error(code), code });
    };
    function fail(failure: Omit<ConnectFailure, 'ms'>): void {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      socket.on('error', () => undefined);
      socket.destroy();
      const ms = failure.kind === 'timeout' ? timeoutMs : Math.round(performance.now() - start);
      resolve({ ok: false, failure: { ...failure, ms } });
    }
    function onConnect(): void {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve({
        ok: true,
        conn: new RawConnection(socket, { host: options.host, timeoutMs, record: options.record ?? true, closeOnTimeout: options.closeOnTimeout ?? false }),
      });
    }
    socket.once('connect', onConnect);
    socket.once('error', onError);
  });
}

/** Wraps a socket you accepted (FTP active mode: the server connecting back) as a RawConnection. */
export function wrapSocket(socket: Socket, options: { readonly host?: string; readonly timeoutMs?: number; readonly record?: boolean } = {}): RawConnection {
  return new RawConnection(socket, {
    host: options.host ?? socket.remoteAddress ?? '',
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.record !== undefined ? { record: options.record } : {}),
  });
}
