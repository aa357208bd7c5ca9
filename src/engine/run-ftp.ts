/**
 * Runs an FTP scenario with one client in one mode: a fresh mock FTP server and fault proxy (FTP mode:
 * data connections pass through it too) on port 0, the transfer under a hard deadline, then classify,
 * integrity by size and SHA-256 at the receiving end (the server's file for an upload, the file the
 * client wrote out for a download, against the one served), and the verdict.
 *
 *   startFtpServer ─► startProxy(ftp, fault) ─► client.run(upload|download, mode) ──race── deadline
 *        │ files: size + SHA-256 as stored                │ control + data sessions
 *        └────────────► integrity ◄── report ──► classify ◄┘ ──► judgeFtp
 */
import { randomBytes } from 'node:crypto';
import type { ClientReport, FtpClientAdapter, FtpJob, FtpMode } from '../clients/types.js';
import type { Fault } from '../faults/types.js';
import { startProxy, type ProxyHandle, type SessionInfo } from '../proxy/proxy.js';
import { classify } from './classify.js';
import { DEFAULT_TIMEOUTS, failed, identity, notApplicable, sessionsAfter, withDeadline } from './run-common.js';
import { MOCK_SERVERS, remotePath, startFtpTarget, type FtpTarget } from './targets.js';
import type { FtpReport, Outcome, Result, Scenario, SinkReport } from './types.js';
import { judgeFtp, type Transferred } from './verdict.js';
import { digestOf } from '../util/digest.js';

/**
 * Runs one FTP scenario with one client in one mode, against `serverName` (default the mock). Never
 * throws. `stop` (an interrupt) cuts the transfer at once; the server and proxy are closed as always.
 */
export async function runFtpScenario(
  scenario: Scenario,
  client: FtpClientAdapter,
  mode: FtpMode,
  serverName: string = MOCK_SERVERS.ftp,
  stop?: AbortSignal,
): Promise<Result> {
  const started = performance.now();
  const transfer = scenario.ftp ?? { direction: 'upload' as const };
  const na = (reason: string): Result => notApplicable(scenario, client, reason, mode, serverName);
  if (!client.modes.includes(mode)) return na(`${client.name} has no ${mode} mode`);
  if (transfer.resume && !client.resumes) return na(`${client.name} cannot resume an upload`);
  if (transfer.sources && !client.binds) return na(`${client.name} cannot choose the address it connects from`);
  let server: FtpTarget | undefined;
  let proxy: ProxyHandle | undefined;
  try {
    const count = transfer.parallel ?? 1;
    const name = scenario.id.replace(/[^\w.-]+/g, '-');
    const names = Array.from({ length: count }, (_, i) => `${name}${count > 1 ? `-${i + 1}` : ''}.bin`);
    const contents = names.map(() => randomBytes(scenario.messageBytes));
    const download = transfer.direction === 'download';
    const preload = download ? Object.fromEntries(names.map((n, i) => [n, contents[i]!])) : {};
    const started_ = await startFtpTarget(serverName, scenario, preload);
    if ('na' in started_) return na(started_.na);
    server = started_.target;
    const { login } = server;
    const files = names.map((n, i) => ({ path: remotePath(login, n), data: contents[i]! }));
    proxy = await startProxy({ upstream: { host: server.host, port: server.port }, faults: proxyFaults(scenario, serverName), protocol: 'ftp' });
    const timeouts = { ...DEFAULT_TIMEOUTS, ...scenario.timeouts };
    const job = { host: proxy.host, port: proxy.port, user: login.user, password: login.password, mode, direction: transfer.direction, timeouts };
    const jobs: FtpJob[] = files.map((f, i) => ({
      ...job,
      path: f.path,
      data: download ? Buffer.alloc(0) : f.data,
      ...(transfer.resume ? { resume: true } : {}),
      ...(transfer.sources?.length ? { source: transfer.sources[i % transfer.sources.length]! } : {}),
    }));
    const reports = await withDeadline((signal) => Promise.all(jobs.map((j) => client.run(j, signal))), timeouts.deadline, stop);
    const sessions = await sessionsAfter(reports, proxy, server);
    // Interrupted: the result is left out, so no need to wait for what the server holds.
    if (stop?.aborted) return failed(scenario, client, stop.reason, started, mode, serverName);
    const transferred = await Promise.all(files.map(async (f, i): Promise<Transferred> => {
      const report = reports === 'hung' ? undefined : reports[i];
      // A download is judged by what the client wrote out (its size and SHA-256), an upload by the server's file.
      const stored = download ? undefined : await server!.read(f.path);
      const held = download ? (report?.ok ? report.received : undefined) : stored && digestOf(stored);
      const sent = digestOf(f.data);
      return { reported: report?.ok === true, sent: sent.sha256, bytes: sent.bytes, ...(held ? { held: held.sha256, heldBytes: held.bytes } : {}) };
    }));
    const outcome = outcomeOf(client, reports, sessions);
    const intact = transferred.filter((t) => t.held === t.sent).length;
    const bad = transferred.find((t) => t.reported && t.held !== t.sent);
    const sink: SinkReport = {
      copies: intact,
      intact: bad === undefined,
      ...(bad ? { sha256: { sent: bad.sent, held: bad.held ?? 'nothing' } } : {}),
    };
    const faultFired = scenario.fault !== undefined && proxy.fired()[0] === true; // the scenario's fault comes first (see proxyFaults)
    const ftp = ftpReport(sessions);
    const expect = transfer.expect?.[mode] ?? scenario.expect;
    const { verdict, reason } = judgeFtp({ expect, unfired: !!scenario.fault && !faultFired, outcome, transferred, download, ftp });
    return {
      ...identity(scenario, client, mode, serverName),
      faultFired,
      outcome,
      sink,
      ftp,
      verdict,
      reason,
      durationMs: Math.round(performance.now() - started),
      transcript: proxy.sessions().flatMap((s) => s.transcript),
    };
  } catch (error) {
    return failed(scenario, client, error, started, mode, serverName);
  } finally {
    await proxy?.close();
    await server?.close();
  }
}

/**
 * The proxy's faults: the scenario's, and for a real server the greeting delay the mock would add
 * itself (a burst must overlap at the server), as a delay on connect.
 */
function proxyFaults(scenario: Scenario, serverName: string): Fault[] {
  const faults: Fault[] = scenario.fault ? [scenario.fault] : [];
  const delay = scenario.ftpServer?.greetingDelayMs;
  return serverName !== MOCK_SERVERS.ftp && delay ? [...faults, { kind: 'delay', ms: delay, at: 'connect' }] : faults;
}

/**
 * The outcome: hung, else the first failure reported, else delivered; seen through the client's last
 * control session (a retrying client's last attempt), or for a failure among parallel transfers the
 * first session that completed nothing. The client saw an RST or a FIN on the control connection or,
 * when that stayed up, on the data connection.
 */
function outcomeOf(client: FtpClientAdapter, reports: readonly ClientReport[] | 'hung', sessions: readonly SessionInfo[]): Outcome {
  const failed = reports === 'hung' ? undefined : reports.find((r) => !r.ok);
  const session = failed && reports !== 'hung' && reports.length > 1 ? (sessions.find((s) => s.accepted === 0) ?? sessions.at(-1)) : sessions.at(-1);
  const wire = session && { clientSaw: session.clientSaw ?? session.data?.clientSaw ?? null, lastReply: session.lastReply };
  const report: ClientReport | 'hung' = reports === 'hung' ? 'hung' : (failed ?? reports[0]!);
  const observation = { client: client.name, report, phase: session?.phase ?? 'connect', bytesSent: session?.data?.bytes ?? 0, wire };
  const outcome = classify(client.exitCodes ? { ...observation, exitCodes: client.exitCodes } : observation);
  // Refused with the control connection up: it was a data connection, at the phase the client was in.
  return outcome.kind === 'refused' && session && session.phase !== 'connect' ? { ...outcome, phase: session.phase } : outcome;
}

/** The control and data connections' fates, over every session the client opened. */
function ftpReport(sessions: readonly SessionInfo[]): FtpReport {
  const last = sessions.at(-1);
  return {
    control: last?.clientSaw ?? null,
    sessions: sessions.length,
    transfers: sessions.reduce((n, s) => n + s.transactions, 0),
    data: {
      connections: sessions.reduce((n, s) => n + (s.data?.connections ?? 0), 0),
      bytes: sessions.reduce((n, s) => n + (s.data?.bytes ?? 0), 0),
      clientSaw: [...sessions].reverse().find((s) => s.data?.connections)?.data?.clientSaw ?? null,
    },
  };
}
