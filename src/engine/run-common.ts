/** What the SMTP and FTP runners share: the deadline, default timeouts, and results that never ran. */
import type { ClientAdapter, FtpMode } from '../clients/types.js';
import type { ProxyHandle, SessionInfo } from '../proxy/proxy.js';
import { bounded } from '../util/bounded.js';
import type { Result, Scenario, Timeouts } from './types.js';

/** How long a client may go on (QUIT, closing) after it reported, before the proxy is closed. */
const QUIT_GRACE_MS = 1_000;

/** Client timeouts and the runner's deadline, unless a scenario sets its own. */
export const DEFAULT_TIMEOUTS: Timeouts = { connect: 5_000, greeting: 5_000, socket: 5_000, deadline: 20_000 };

/**
 * The column a run sits in: the client, for FTP its mode (`curl/active`), and against a real server
 * that server (`curl/active@vsftpd`).
 */
export function columnOf(client: string, mode?: FtpMode, server?: string): string {
  const column = mode ? `${client}/${mode}` : client;
  // Results against a mock (`mock-smtp`, `mock-ftp`) keep the plain column.
  return server && !server.startsWith('mock') ? `${column}@${server}` : column;
}

/** The fields of a result that say what ran; `server` defaults to the protocol's mock. */
export function identity(scenario: Scenario, client: ClientAdapter, mode?: FtpMode, server?: string) {
  const on = server ?? (scenario.protocol === 'ftp' ? 'mock-ftp' : 'mock-smtp');
  return {
    id: `${scenario.id}/${columnOf(client.name, mode, on)}`,
    suite: scenario.suite,
    protocol: scenario.protocol,
    client: client.name,
    ...(mode ? { mode } : {}),
    server: on,
    title: scenario.title,
    fault: scenario.fault ?? null,
    expected: (mode && scenario.ftp?.expect?.[mode]?.rule) || scenario.expect.rule,
  };
}

/** The result for a run that cannot happen here; it neither passes nor fails. */
export function notApplicable(scenario: Scenario, client: ClientAdapter, reason: string, mode?: FtpMode, server?: string): Result {
  return { ...identity(scenario, client, mode, server), faultFired: false, outcome: null, sink: null, verdict: 'n/a', reason, durationMs: 0, transcript: [] };
}

/** The result for a run wireprobe itself failed at. */
export function failed(scenario: Scenario, client: ClientAdapter, error: unknown, started: number, mode?: FtpMode, server?: string): Result {
  const reason = `wireprobe failed: ${(error as Error).message}`;
  return { ...identity(scenario, client, mode, server), faultFired: false, outcome: null, sink: null, verdict: 'error', reason, durationMs: Math.round(performance.now() - started), transcript: [] };
}

/**
 * Runs `task` until it settles or `ms` pass; at the deadline the signal aborts and the result is
 * `hung` whatever the task does later. When `stop` aborts (the user interrupted the run), the task's
 * signal aborts too and the result is `hung` at once: the runner discards it.
 */
export async function withDeadline<T>(task: (signal: AbortSignal) => Promise<T>, ms: number, stop?: AbortSignal): Promise<T | 'hung'> {
  if (stop?.aborted) return 'hung';
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onStop: (() => void) | undefined;
  const deadline = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms);
    // Synchronously: the client's process group is killed before a second signal can exit wireprobe.
    onStop = () => {
      controller.abort();
      resolve('hung');
    };
    stop?.addEventListener('abort', onStop, { once: true });
  });
  try {
    const result = await Promise.race([task(controller.signal), deadline]);
    if (result === 'hung') controller.abort();
    return result;
  } finally {
    clearTimeout(timer);
    if (onStop) stop?.removeEventListener('abort', onStop);
  }
}

/**
 * After the client reported (or hung): lets it finish briefly (QUIT, closing), takes what the proxy saw
 * of every session before the teardown ends the connections it left open, then closes the proxy and
 * waits for the server to settle.
 */
export async function sessionsAfter(
  reports: unknown,
  proxy: ProxyHandle,
  server: { idle(): Promise<void> },
): Promise<readonly SessionInfo[]> {
  if (reports !== 'hung') await bounded(proxy.idle(), QUIT_GRACE_MS);
  const sessions = proxy.sessions();
  await proxy.close();
  await server.idle();
  return sessions;
}
