/**
 * The bound on a silent upstream. A connect that never completes (its SYN dropped by a full backlog) or
 * a server that accepts and never speaks would leave the client waiting for a greeting forever; past
 * the bound the proxy answers in the server's place (see `silentUpstreamReply`).
 *
 *   relay starts ──► timer(ms) ──► runs out ──► upstream's first byte read? ──► nothing to do
 *                                      │
 *                                      ├─ a fault holds the relay (the upstream is paused, nothing
 *                                      │  can be read) ──► on release, the full bound again
 *                                      └─ else ──► onSilent('connect' | 'greeting')
 *
 * A fault's hold never makes the bound run out (while held the proxy reads nothing, so it cannot tell a
 * silent server): a `delay` at connect longer than the bound still shows the client the server's own
 * greeting, and a `stall` shows it nothing, as they ask.
 */

/** Where the upstream was when the bound ran out: still connecting, or connected and silent. */
export type SilentAt = 'connect' | 'greeting';

/** What the bound reads of the upstream socket (a `net.Socket`; a stand-in in socket-free tests). */
export interface Watched {
  /** The TCP handshake has not completed. */
  readonly connecting: boolean;
  /** Bytes read from it: the first one is the server speaking. */
  readonly bytesRead: number;
  /** A fault's hold paused it: nothing is read from it until the release (its `resume` event). */
  isPaused(): boolean;
  once(event: 'resume', listener: () => void): unknown;
  off(event: 'resume', listener: () => void): unknown;
}

/**
 * Watches `upstream` from now: `onSilent` is called once if its first byte has not been read within
 * `ms` of relaying time (0: no bound). Returns the cancel, to call when the session ends.
 */
export function boundUpstream(upstream: Watched, ms: number, onSilent: (at: SilentAt) => void): () => void {
  if (!(ms > 0 && Number.isFinite(ms))) return () => undefined;
  let timer: NodeJS.Timeout | undefined;
  let check: NodeJS.Immediate | undefined;
  const arm = (): void => {
    timer = setTimeout(() => {
      timer = undefined;
      // After this turn's poll phase: a first byte already waiting in the kernel is read, not timed out.
      check = setImmediate(expire);
    }, ms);
  };
  const expire = (): void => {
    check = undefined;
    if (upstream.bytesRead > 0) return;
    if (upstream.isPaused()) return void upstream.once('resume', arm);
    onSilent(upstream.connecting ? 'connect' : 'greeting');
  };
  arm();
  return () => {
    clearTimeout(timer);
    if (check) clearImmediate(check);
    timer = check = undefined;
    upstream.off('resume', arm);
  };
}

/**
 * What the client is shown in place of the greeting: `421` then a FIN, as a server that cannot serve
 * answers (RFC 5321 §3.8 and §4.2.3; RFC 959 §5.4 lists 421 among the replies to connection
 * establishment). No RST: that would read as a reset fault nobody asked for. No enhanced status code:
 * RFC 2034 §3 leaves the greeting without one.
 */
export function silentUpstreamReply(protocol: 'smtp' | 'ftp', at: SilentAt, ms: number): Buffer {
  const channel = protocol === 'smtp' ? 'transmission channel' : 'control connection';
  return Buffer.from(`421 Service not available, closing ${channel} (upstream ${at} timed out after ${ms} ms)\r\n`, 'latin1');
}
