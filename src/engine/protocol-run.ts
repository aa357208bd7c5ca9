/**
 * One run of one scenario with one client, whatever the protocol: each protocol implements
 * `ProtocolRun` (prepare, observe, judge) and `runOne` owns the order, the deadline and the teardown,
 * in one try/finally, so a failure anywhere closes what was started and becomes an `error` result.
 *
 *   refuse? ─► n/a
 *   prepare(own) ─► target + proxy started (own: closed in reverse order in the finally)
 *     └► observe(signal) ──race── deadline ─► grace, sessions taken, proxy closed, server idle
 *          └► no connection reached the proxy? ─► error (the client never connected)
 *          └► judge(reports, sessions, unfired) ─► Result
 */
import type { ClientAdapter, ClientReport, Timeouts } from '../clients/types.js';
import { cutsClientControl } from '../faults/apply.js';
import type { Fault } from '../faults/types.js';
import { UPSTREAM_TIMEOUT_MS, type ProxyHandle, type SessionInfo } from '../proxy/proxy.js';
import { hostPort } from '../util/address.js';
import { bounded } from '../util/bounded.js';
import { describe } from './classify.js';
import { withDeadline } from './deadline.js';
import { failed, identity, notApplicable, type RunOf } from './identity.js';
import type { Accounting, Family, FtpReport, Outcome, Result, Scenario, ServerConfig, SinkReport, Verdict } from './types.js';

/** How long a client may go on (QUIT, closing) after it reported, before the proxy is closed. */
const QUIT_GRACE_MS = 1_000;

/** Client timeouts and the runner's deadline, unless a scenario sets its own. */
export const DEFAULT_TIMEOUTS: Timeouts = { connect: 5_000, greeting: 5_000, socket: 5_000, deadline: 20_000 };

/**
 * The shortest client timeout a greeting may meet in `scenario`, ms: which of its connect, greeting and
 * socket timeouts bounds the wait depends on the client (nodemailer: greeting; curl: connect; swaks,
 * msmtp, smtplib, basic-ftp, lftp, ftplib: socket), so the shortest.
 */
export function greetingTimeout(scenario: Scenario): number {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...scenario.timeouts };
  return Math.min(timeouts.connect, timeouts.greeting, timeouts.socket);
}

/** Something `runOne` closes after the run, whatever happened. */
export interface Closable {
  close(): Promise<void>;
}

/** What `prepare` started: the proxy the client talks through and the server behind it. */
export interface Stage {
  readonly proxy: ProxyHandle;
  readonly server: { idle(): Promise<void>; readonly config?: ServerConfig };
  /** The runner's hard deadline for the client, ms. */
  readonly deadline: number;
}

/** What the runner saw of the client's run. */
export interface Seen {
  /** One report per job, or `hung` when the deadline had to stop the client. */
  readonly reports: readonly ClientReport[] | 'hung';
  /** The proxy's view of every session, taken before the teardown ended those left open. */
  readonly sessions: readonly SessionInfo[];
  /** The scenario's fault was armed and never fired. */
  readonly unfired: boolean;
  /** The proxy's view as the client's reports came (or the deadline stopped it): what each session was waiting for then. */
  readonly atReport: readonly SessionInfo[];
}

/** What a protocol concludes about one run. */
export interface Judgement {
  readonly outcome: Outcome;
  readonly sink: SinkReport;
  readonly messages?: Accounting;
  readonly ftp?: FtpReport;
  readonly verdict: Verdict;
  readonly reason: string;
}

/** One protocol's part of a run; `runOne` calls it in order and closes what it started. */
export interface ProtocolRun<Plan extends Stage> {
  /** Why the client cannot express the scenario (`n/a`), decided before anything starts; else undefined. */
  refuse(): string | undefined;
  /** Starts the server and the proxy, handing each to `own` as soon as it exists; or says why it cannot run there. */
  prepare(own: <T extends Closable>(started: T) => T): Promise<Plan | { readonly na: string }>;
  /** Runs the client through the proxy; `signal` aborts at the deadline or on an interrupt. */
  observe(plan: Plan, signal: AbortSignal): Promise<readonly ClientReport[]>;
  /** Classify, integrity, verdict. */
  judge(plan: Plan, seen: Seen): Promise<Judgement>;
  /**
   * After the verdict, or instead of it when nothing connected: removes what the run left on a user's
   * server; what it could not remove, in words for the reason. Default: nothing to remove.
   */
  tidy?(plan: Plan): Promise<string | undefined>;
}

/**
 * Runs one scenario through `protocol`. Never throws: wireprobe's own failures become `error`. `stop`
 * (an interrupt) cuts the client short; what was started is closed as always.
 */
export async function runOne<Plan extends Stage>(run: RunOf, protocol: ProtocolRun<Plan>, stop?: AbortSignal): Promise<Result> {
  const started = performance.now();
  const refusal = protocol.refuse();
  if (refusal) return notApplicable(run, refusal);
  const owned: Closable[] = [];
  try {
    const plan = await protocol.prepare((thing) => (owned.push(thing), thing));
    if ('na' in plan) return notApplicable(run, plan.na);
    const { proxy, server } = plan;
    const reports = await withDeadline((signal) => protocol.observe(plan, signal), plan.deadline, stop);
    const atReport = proxy.sessions();
    if (reports !== 'hung') await bounded(proxy.idle(), QUIT_GRACE_MS);
    const sessions = proxy.sessions();
    await proxy.close();
    await server.idle();
    // Interrupted: the result is left out, so no need to wait for what the server holds.
    if (stop?.aborted) return failed(run, stop.reason, started);
    // The scenario's fault comes first among the proxy's (see proxyFaults).
    const faultFired = run.scenario.fault !== undefined && proxy.fired()[0] === true;
    const absent = sessions.length === 0 ? neverConnected(run.client.name, reports, proxy) : undefined;
    const judged: Judgement | { readonly outcome: null; readonly sink: null; readonly verdict: 'error'; readonly reason: string } = absent
      ? { outcome: null, sink: null, verdict: 'error', reason: absent }
      : await protocol.judge(plan, { reports, sessions, unfired: !!run.scenario.fault && !faultFired, atReport });
    const left = await protocol.tidy?.(plan);
    return {
      ...identity(run),
      ...(server.config ? { serverConfig: server.config } : {}),
      faultFired,
      ...judged,
      ...(left ? { reason: `${judged.reason}; ${left}` } : {}),
      durationMs: Math.round(performance.now() - started),
      transcript: proxy.sessions().flatMap((s) => s.transcript),
    };
  } catch (error) {
    return failed(run, error, started);
  } finally {
    for (const thing of owned.reverse()) await thing.close();
  }
}

/**
 * Why a run says nothing, when no connection at all reached the proxy: its port accepted connections
 * throughout (a fault that closes it, `refuse`, acts only from inside a session), so whatever the
 * client reported, it never connected there (a command that failed before it connected, connected
 * elsewhere, or lied). A result built on that would blame the server ("refused") or the client ("never
 * sent QUIT", RFC 5321 §3.8) for a run that never happened: it is an error, with the client's own words.
 */
export function neverConnected(client: string, reports: readonly ClientReport[] | 'hung', at: { readonly host: string; readonly port: number }): string {
  const said = (): string => {
    if (reports === 'hung') return 'it was still running at the deadline';
    const failure = reports.find((r) => !r.ok);
    if (failure && !failure.ok) return `it reported a failure: ${describe(failure.error) || 'no words'}`;
    const first = reports[0];
    return `yet it reported success${first?.ok && first.detail ? `: ${first.detail}` : ''}`;
  };
  return `${client} never connected: nothing reached ${hostPort(at.host, at.port)}, which accepted connections throughout the run; ${said()}`;
}

/** How each protocol names its in-band and its implicit TLS (RFC 3207, RFC 8314; RFC 4217). */
const TLS_NAMES = { smtp: ['STARTTLS', 'implicit TLS'], ftp: ['AUTH TLS (RFC 4217)', 'implicit FTPS (RFC 4217)'] } as const;

/**
 * Why `client`, which cannot be told to use TLS (a command template: plaintextOnly), cannot run a
 * scenario that needs it; undefined when the scenario needs none, or the client can be told.
 */
export function plaintextRefusal(client: ClientAdapter, scenario: Scenario): string | undefined {
  const tls = scenario.tls ?? 'none';
  if (tls === 'none' || !client.plaintextOnly) return undefined;
  const [inBand, implicit] = TLS_NAMES[scenario.protocol];
  return `${client.name} cannot be told to use ${tls.startsWith('implicit') ? implicit : inBand}, which this scenario needs`;
}

/**
 * Evidence.leftFirst: the scenario's fault, one that only ends the client's connection, fired, and in
 * every session it fired in, the client had closed that connection itself first, on its turn, nothing
 * cut toward it (as the outcome says: Outcome.byClient): the cut never reached it.
 */
export function leftFirst(scenario: Scenario, outcome: Outcome, sessions: readonly SessionInfo[]): boolean {
  if (outcome.byClient !== true || scenario.fault === undefined || !cutsClientControl(scenario.fault)) return false;
  const struck = sessions.filter((s) => s.faultsFired?.some(cutsClientControl));
  return struck.length > 0 && struck.every((s) => s.leftOnTurn === true && s.clientSaw === null);
}

/**
 * The proxy's faults: the scenario's first, and for a server that does not hold greetings itself the
 * greeting delay as a delay on connect (a burst must overlap at the server). `login`: the command at
 * which a server may count the session instead (FTP's PASS: proftpd's MaxClients answers 530 there),
 * whose reply is held as long, so the burst overlaps there too; one that counts at connect only takes
 * longer.
 */
export function proxyFaults(fault: Fault | undefined, greetingDelayMs: number | undefined, delaysGreeting: boolean, login?: string): Fault[] {
  const faults: Fault[] = fault ? [fault] : [];
  if (delaysGreeting || !greetingDelayMs) return faults;
  const atLogin: Fault[] = login ? [{ kind: 'delay', ms: greetingDelayMs, at: { before: 'reply', to: login } }] : [];
  return [...faults, { kind: 'delay', ms: greetingDelayMs, at: 'connect' }, ...atLogin];
}

/** Where the proxy listens for a run's client: loopback of the run's address family. */
export function proxyHost(family: Family): string {
  return family === 6 ? '::1' : '127.0.0.1';
}

/**
 * The proxy's bound on a silent upstream: a server that holds each greeting itself (the mocks' greeting
 * delay) is silent that long on purpose, so it gets that long on top.
 */
export function upstreamTimeout(greetingDelayMs: number | undefined, delaysGreeting: boolean): number {
  return UPSTREAM_TIMEOUT_MS + (delaysGreeting ? (greetingDelayMs ?? 0) : 0);
}
