/**
 * Runs scenarios: for each (scenario, client) a fresh mock server and fault proxy on port 0, the client
 * under a hard deadline, then classify, sink check and verdict, and everything closed.
 *
 *   startSmtpServer ─► startProxy(fault) ─► client.run ──race── deadline ─► proxy.close ─► server.idle
 *        └──────────────── sink ──────────────┐           │                      │
 *                                              ▼           ▼                      ▼
 *                                          judge ◄── classify(report, phase, bytes relayed)
 */
import { installed } from '../clients/process.js';
import type { ClientAdapter, ClientReport, FtpMode, SmtpClientAdapter } from '../clients/types.js';
import type { Fault } from '../faults/types.js';
import { startProxy, type ProxyHandle, type SessionInfo } from '../proxy/proxy.js';
import { classify } from './classify.js';
import { fingerprint, makeMessage } from './message.js';
import { sendAll } from './sends.js';
import type { Accounting, Outcome, Result, Scenario, SinkReport } from './types.js';
import { judge } from './verdict.js';
import { DEFAULT_TIMEOUTS, failed, identity, notApplicable, sessionsAfter, withDeadline } from './run-common.js';
import { runFtpScenario } from './run-ftp.js';
import { MOCK_SERVERS, protocolOfServer, startSmtpTarget, type SmtpTarget } from './targets.js';

export { DEFAULT_TIMEOUTS, withDeadline };

export interface RunOptions {
  /** Scenario runs in flight at once; default 4. */
  readonly concurrency?: number;
  /** Called once before the first run with the number of runs. */
  readonly onStart?: (total: number) => void;
  /** Called as each run finishes. */
  readonly onResult?: (result: Result) => void;
  /**
   * Servers to run each scenario against (`mock-smtp`, `postfix`, `mock-ftp`, `vsftpd`...): each scenario
   * runs on those of its protocol; a protocol with none named here runs on its mock. Default: the mocks.
   */
  readonly servers?: readonly string[];
  /**
   * Aborted when the user interrupts (Ctrl-C): no further run starts, runs in flight are cut (their
   * clients killed, servers and proxies closed) and left out of the results. Default: none.
   */
  readonly signal?: AbortSignal;
}

/**
 * Runs every scenario with every client of its protocol; results in input order. After `signal`
 * aborted: only the runs that finished before it, in input order.
 */
export async function runScenarios(
  scenarios: readonly Scenario[],
  clients: readonly ClientAdapter[],
  options: RunOptions = {},
): Promise<Result[]> {
  const serversFor = (s: Scenario): readonly string[] => {
    const named = (options.servers ?? []).filter((name) => protocolOfServer(name) === s.protocol);
    return named.length ? named : [MOCK_SERVERS[s.protocol]];
  };
  const jobs = scenarios.flatMap((s) =>
    serversFor(s).flatMap((server) =>
      clients.filter((c) => c.protocol === s.protocol).flatMap((c) => modesOf(s).map((mode) => [s, c, mode, server] as const)),
    ),
  );
  options.onStart?.(jobs.length);
  const missing = new Map(await Promise.all(clients.map(async (c) => [c, await unavailable(c)] as const)));
  const results: (Result | undefined)[] = new Array<Result | undefined>(jobs.length);
  const stop = options.signal;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length && !stop?.aborted) {
      const i = next++;
      const [scenario, client, mode, server] = jobs[i]!;
      const why = missing.get(client);
      const result = why ? notApplicable(scenario, client, why, mode, server) : await runScenario(scenario, client, mode, server, stop);
      // A run the interrupt cut short says nothing about the client: left out.
      if (stop?.aborted) return;
      results[i] = result;
      options.onResult?.(result);
    }
  };
  const width = Math.max(1, Math.min(options.concurrency ?? 4, jobs.length));
  await Promise.all(Array.from({ length: width }, worker));
  return results.filter((r): r is Result => r !== undefined);
}

/** Why a client cannot run on this machine (its program is not installed), or undefined. */
export async function unavailable(client: ClientAdapter): Promise<string | undefined> {
  const needs = client.requires;
  if (!needs || (await installed(needs.command))) return undefined;
  return `${needs.command} not found: ${needs.install}`;
}

/** The FTP modes a scenario runs in (one run per mode); SMTP has none. */
function modesOf(scenario: Scenario): readonly (FtpMode | undefined)[] {
  return scenario.protocol === 'ftp' ? (scenario.ftp?.modes ?? ['passive', 'active']) : [undefined];
}

/** Why a client cannot express a scenario, or undefined. */
function cannotExpress(scenario: Scenario, client: SmtpClientAdapter): string | undefined {
  if (scenario.needs === 'pool' && !client.pools) return `${client.name} keeps no connection pool, which this scenario needs`;
  if (scenario.needs === 'connection-per-message' && client.pools) {
    return `${client.name} sends over its pooled connections, not one per message, which this scenario needs`;
  }
  return undefined;
}

/**
 * Runs one scenario with one client (FTP: in one mode). Never throws: wireprobe's own failures
 * become `error`. `stop` cuts the client short (see RunOptions.signal).
 */
export async function runScenario(scenario: Scenario, client: ClientAdapter, mode?: FtpMode, server?: string, stop?: AbortSignal): Promise<Result> {
  if (client.protocol === 'ftp') return runFtpScenario(scenario, client, mode ?? 'passive', server, stop);
  return runSmtpScenario(scenario, client, server, stop);
}

async function runSmtpScenario(scenario: Scenario, client: SmtpClientAdapter, serverName: string = MOCK_SERVERS.smtp, stop?: AbortSignal): Promise<Result> {
  const started = performance.now();
  const base = identity(scenario, client, undefined, serverName);
  const cannot = cannotExpress(scenario, client);
  if (cannot) return notApplicable(scenario, client, cannot, undefined, serverName);
  let server: SmtpTarget | undefined;
  let proxy: ProxyHandle | undefined;
  try {
    const tls = scenario.tls ?? 'none';
    const target = await startSmtpTarget(serverName, scenario);
    if ('na' in target) return notApplicable(scenario, client, target.na, undefined, serverName);
    server = target.target;
    proxy = await startProxy({ upstream: { host: server.host, port: server.port }, faults: proxyFaults(scenario, serverName) });
    const timeouts = { ...DEFAULT_TIMEOUTS, ...scenario.timeouts };
    const sends = scenario.sends ?? { count: 1, mode: 'sequential' };
    const messages = Array.from({ length: sends.count }, (_, i) =>
      makeMessage(sends.count > 1 ? `${scenario.id}#${i + 1}` : scenario.id, scenario.messageBytes, scenario.message),
    );
    const expected = messages.map((m) => (client.transforms ? fingerprint(client.transforms(m.data)) : m));
    const job = { host: proxy.host, port: proxy.port, from: 'sender@wireprobe.test', to: ['sink@wireprobe.test'], timeouts, tls };
    const jobs = messages.map((m) => ({ ...job, message: m.data }));
    const reports = await withDeadline((signal) => sendAll(client, jobs, sends, signal), timeouts.deadline, stop);
    const sessions = await sessionsAfter(reports, proxy, server);
    // Interrupted: the result is left out, so no need to wait for a real MTA's queue to drain.
    if (stop?.aborted) return failed(scenario, client, stop.reason, started, undefined, serverName);
    const inOrder = !client.runMany && sends.mode === 'sequential';
    const outcome = outcomeOf(client.name, reports, sessions, inOrder);
    const { copies, stored } = await server.copies(expected.map((e) => e.data));
    const sink: SinkReport = { copies: stored, intact: copies.reduce((a, b) => a + b, 0) === stored };
    const messagesReport = sends.count > 1 ? account(reports, copies, sessions) : undefined;
    const faultFired = scenario.fault !== undefined && proxy.fired()[0] === true; // the scenario's fault comes first (see proxyFaults)
    const sent = new Set(sessions.flatMap((s) => s.sent));
    const violations = sessions.flatMap((s) => s.violations);
    const evidence = { expect: scenario.expect, unfired: !!scenario.fault && !faultFired, sent, outcome, sink, violations };
    const { verdict, reason } = judge({ ...evidence, ...(messagesReport ? { messages: messagesReport } : {}) });
    const transcript = proxy.sessions().flatMap((s) => s.transcript);
    return {
      ...base,
      faultFired,
      outcome,
      sink,
      ...(messagesReport ? { messages: messagesReport } : {}),
      verdict,
      reason,
      durationMs: Math.round(performance.now() - started),
      transcript,
    };
  } catch (error) {
    return failed(scenario, client, error, started, undefined, serverName);
  } finally {
    await proxy?.close();
    await server?.close();
  }
}

/**
 * The proxy's faults: the scenario's, and for a real server the banner delay the mock would add itself
 * (a burst must overlap at the server), as a delay on connect.
 */
function proxyFaults(scenario: Scenario, serverName: string): Fault[] {
  const faults: Fault[] = scenario.fault ? [scenario.fault] : [];
  const delay = scenario.server?.bannerDelayMs;
  return serverName !== MOCK_SERVERS.smtp && delay ? [...faults, { kind: 'delay', ms: delay, at: 'connect' }] : faults;
}

/**
 * The run's outcome: hung, else the first failure the client reported, else delivered. It is seen
 * through a session: the last one for a single message or a success; for a failure among several
 * messages, the failing message's own session when messages went one connection each in order,
 * else the first session in which nothing was accepted (none: the connection never got through).
 */
function outcomeOf(client: string, reports: readonly ClientReport[] | 'hung', sessions: readonly SessionInfo[], inOrder: boolean): Outcome {
  const failedAt = reports === 'hung' ? -1 : reports.findIndex((r) => !r.ok);
  const failed = reports !== 'hung' && failedAt !== -1 ? reports[failedAt] : undefined;
  const single = reports === 'hung' || reports.length === 1;
  const session = single || !failed ? sessions.at(-1) : inOrder ? sessions[failedAt] : sessions.find((s) => s.accepted === 0);
  const wire = session && { clientSaw: session.clientSaw, lastReply: session.lastReply };
  const report = reports === 'hung' ? 'hung' : (failed ?? reports[0]!);
  return classify({ client, report, phase: session?.phase ?? 'connect', bytesSent: session?.bodyBytes ?? 0, wire });
}

/** Per message: what the client said against the copies the server holds. */
function account(reports: readonly ClientReport[] | 'hung', copies: readonly number[], sessions: readonly SessionInfo[]): Accounting {
  const ok = copies.map((_, i) => reports !== 'hung' && reports[i]?.ok === true);
  const sum = (pick: (s: SessionInfo) => number): number => sessions.reduce((n, s) => n + pick(s), 0);
  const transactions = sum((s) => s.transactions);
  return {
    sent: copies.length,
    transactions,
    retried: Math.max(0, transactions - copies.length),
    acknowledged: sum((s) => s.accepted),
    reportedDelivered: ok.filter(Boolean).length,
    reportedFailed: reports === 'hung' ? 0 : ok.filter((x) => !x).length,
    lost: copies.filter((n, i) => ok[i] && n === 0).length,
    duplicated: copies.filter((n) => n > 1).length,
  };
}
