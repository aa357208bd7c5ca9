/**
 * Runs scenarios: for each (scenario, client) a fresh mock server and fault proxy on port 0, the client
 * under a hard deadline, then classify, sink check and verdict, and everything closed.
 *
 *   startSmtpServer ─► startProxy(fault) ─► client.run ──race── deadline ─► proxy.close ─► server.idle
 *        └──────────────── sink ──────────────┐           │                      │
 *                                              ▼           ▼                      ▼
 *                                          judge ◄── classify(report, phase, bytes relayed)
 */
import { startSmtpServer, type SmtpServerHandle } from '../../servers/smtp.js';
import { installed } from '../clients/process.js';
import type { ClientAdapter, ClientReport } from '../clients/types.js';
import { startProxy, type ProxyHandle } from '../proxy/proxy.js';
import { classify } from './classify.js';
import { fingerprint, makeMessage } from './message.js';
import type { Result, Scenario, SinkReport, Timeouts } from './types.js';
import { judge } from './verdict.js';
import { bounded } from '../util/bounded.js';

/** How long a client may go on (QUIT, closing) after it reported, before the proxy is closed. */
const QUIT_GRACE_MS = 1_000;

/** Client timeouts and the runner's deadline, unless a scenario sets its own. */
export const DEFAULT_TIMEOUTS: Timeouts = { connect: 5_000, greeting: 5_000, socket: 5_000, deadline: 20_000 };

export interface RunOptions {
  /** Scenario runs in flight at once; default 4. */
  readonly concurrency?: number;
  /** Called once before the first run with the number of runs. */
  readonly onStart?: (total: number) => void;
  /** Called as each run finishes. */
  readonly onResult?: (result: Result) => void;
}

/** Runs every scenario with every client of its protocol; results in input order. */
export async function runScenarios(
  scenarios: readonly Scenario[],
  clients: readonly ClientAdapter[],
  options: RunOptions = {},
): Promise<Result[]> {
  const jobs = scenarios.flatMap((s) => clients.filter((c) => c.protocol === s.protocol).map((c) => [s, c] as const));
  options.onStart?.(jobs.length);
  const missing = new Map(await Promise.all(clients.map(async (c) => [c, await unavailable(c)] as const)));
  const results: Result[] = new Array<Result>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      const [scenario, client] = jobs[i]!;
      const why = missing.get(client);
      results[i] = why ? notApplicable(scenario, client, why) : await runScenario(scenario, client);
      options.onResult?.(results[i]!);
    }
  };
  const width = Math.max(1, Math.min(options.concurrency ?? 4, jobs.length));
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

/** Why a client cannot run on this machine (its program is not installed), or undefined. */
export async function unavailable(client: ClientAdapter): Promise<string | undefined> {
  const needs = client.requires;
  if (!needs || (await installed(needs.command))) return undefined;
  return `${needs.command} not found: ${needs.install}`;
}

function identity(scenario: Scenario, client: ClientAdapter) {
  return {
    id: `${scenario.id}/${client.name}`,
    suite: scenario.suite,
    protocol: scenario.protocol,
    client: client.name,
    server: 'mock-smtp',
    title: scenario.title,
    fault: scenario.fault ?? null,
    expected: scenario.expect.rule,
  };
}

/** The result for a run that cannot happen here; it neither passes nor fails. */
function notApplicable(scenario: Scenario, client: ClientAdapter, reason: string): Result {
  return { ...identity(scenario, client), faultFired: false, outcome: null, sink: null, verdict: 'n/a', reason, durationMs: 0, transcript: [] };
}

/** Runs one scenario with one client. Never throws: wireprobe's own failures become `error`. */
export async function runScenario(scenario: Scenario, client: ClientAdapter): Promise<Result> {
  const started = performance.now();
  const base = identity(scenario, client);
  let server: SmtpServerHandle | undefined;
  let proxy: ProxyHandle | undefined;
  try {
    const tls = scenario.tls ?? 'none';
    server = await startSmtpServer({ ...scenario.server, tls: tls === 'none' ? 'off' : 'starttls' });
    proxy = await startProxy({ upstream: { host: server.host, port: server.port }, faults: scenario.fault ? [scenario.fault] : [] });
    const timeouts = { ...DEFAULT_TIMEOUTS, ...scenario.timeouts };
    const message = makeMessage(scenario.id, scenario.messageBytes, scenario.message);
    const expected = client.transforms ? fingerprint(client.transforms(message.data)) : message;
    const job = { host: proxy.host, port: proxy.port, from: 'sender@wireprobe.test', to: ['sink@wireprobe.test'], message: message.data, timeouts, tls };
    const report = await withDeadline((signal) => client.run(job, signal), timeouts.deadline);
    // A client may still be saying QUIT after it reported; let it finish, briefly.
    if (report !== 'hung') await bounded(proxy.idle(), QUIT_GRACE_MS);
    await proxy.close();
    await server.idle();
    const last = proxy.sessions().at(-1);
    const wire = last && { clientSaw: last.clientSaw, lastReply: last.lastReply };
    const outcome = classify({ client: client.name, report, phase: last?.phase ?? 'connect', bytesSent: last?.bodyBytes ?? 0, wire });
    const sink: SinkReport = {
      copies: server.messages.length,
      intact: server.messages.every((m) => m.sha256 === expected.sha256 && m.bytes === expected.data.length),
    };
    const faultFired = proxy.fired().some(Boolean);
    const sessions = proxy.sessions();
    const sent = new Set(sessions.flatMap((s) => s.sent));
    const { verdict, reason } = judge({ expect: scenario.expect, unfired: !!scenario.fault && !faultFired, sent, outcome, sink });
    const transcript = sessions.flatMap((s) => s.transcript);
    return { ...base, faultFired, outcome, sink, verdict, reason, durationMs: Math.round(performance.now() - started), transcript };
  } catch (error) {
    const reason = `wireprobe failed: ${(error as Error).message}`;
    return { ...base, faultFired: false, outcome: null, sink: null, verdict: 'error', reason, durationMs: Math.round(performance.now() - started), transcript: [] };
  } finally {
    await proxy?.close();
    await server?.close();
  }
}

/**
 * Runs `task` until it settles or `ms` pass; at the deadline the signal aborts and the result is
 * `hung` whatever the task does later.
 */
export async function withDeadline(task: (signal: AbortSignal) => Promise<ClientReport>, ms: number): Promise<ClientReport | 'hung'> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms);
  });
  try {
    const result = await Promise.race([task(controller.signal), deadline]);
    if (result === 'hung') controller.abort();
    return result;
  } finally {
    clearTimeout(timer);
  }
}
