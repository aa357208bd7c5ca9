/**
 * Runs an FTP scenario with one client in one mode: a fresh mock FTP server and fault proxy (FTP mode:
 * data connections pass through it too) on port 0, the transfer under a hard deadline, then classify,
 * integrity by SHA-256 at the receiving end, and the verdict.
 *
 *   startFtpServer ─► startProxy(ftp, fault) ─► client.run(upload|download, mode) ──race── deadline
 *        │ files: size + SHA-256 as stored                │ control + data sessions
 *        └────────────► integrity ◄── report ──► classify ◄┘ ──► judgeFtp
 */
import { createHash, randomBytes } from 'node:crypto';
import { startFtpServer, type FtpServerHandle } from '../../servers/ftp.js';
import type { ClientReport, FtpClientAdapter, FtpJob, FtpMode } from '../clients/types.js';
import { startProxy, type ProxyHandle, type SessionInfo } from '../proxy/proxy.js';
import { classify } from './classify.js';
import { DEFAULT_TIMEOUTS, failed, identity, notApplicable, sessionsAfter, withDeadline } from './run-common.js';
import type { FtpReport, Outcome, Result, Scenario, SinkReport } from './types.js';
import { judgeFtp, type Transferred } from './verdict.js';

/** The account every FTP run logs in with; the password never reaches a report (PASS is redacted). */
export const FTP_USER = 'wireprobe';
const FTP_PASSWORD = 'wireprobe-secret';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Runs one FTP scenario with one client in one mode. Never throws. */
export async function runFtpScenario(scenario: Scenario, client: FtpClientAdapter, mode: FtpMode): Promise<Result> {
  const started = performance.now();
  const transfer = scenario.ftp ?? { direction: 'upload' as const };
  if (!client.modes.includes(mode)) return notApplicable(scenario, client, `${client.name} has no ${mode} mode`, mode);
  if (transfer.resume && !client.resumes) return notApplicable(scenario, client, `${client.name} cannot resume an upload`, mode);
  if (transfer.sources && !client.binds) return notApplicable(scenario, client, `${client.name} cannot choose the address it connects from`, mode);
  let server: FtpServerHandle | undefined;
  let proxy: ProxyHandle | undefined;
  try {
    const count = transfer.parallel ?? 1;
    const name = scenario.id.replace(/[^\w.-]+/g, '-');
    const files = Array.from({ length: count }, (_, i) => ({ path: `/${name}${count > 1 ? `-${i + 1}` : ''}.bin`, data: randomBytes(scenario.messageBytes) }));
    const download = transfer.direction === 'download';
    server = await startFtpServer({
      users: { [FTP_USER]: FTP_PASSWORD },
      anonymous: 'off',
      ...scenario.ftpServer,
      files: download ? Object.fromEntries(files.map((f) => [f.path, f.data])) : {},
    });
    proxy = await startProxy({ upstream: { host: server.host, port: server.port }, faults: scenario.fault ? [scenario.fault] : [], protocol: 'ftp' });
    const timeouts = { ...DEFAULT_TIMEOUTS, ...scenario.timeouts };
    const job = { host: proxy.host, port: proxy.port, user: FTP_USER, password: FTP_PASSWORD, mode, direction: transfer.direction, timeouts };
    const jobs: FtpJob[] = files.map((f, i) => ({
      ...job,
      path: f.path,
      data: download ? Buffer.alloc(0) : f.data,
      ...(transfer.resume ? { resume: true } : {}),
      ...(transfer.sources?.length ? { source: transfer.sources[i % transfer.sources.length]! } : {}),
    }));
    const reports = await withDeadline((signal) => Promise.all(jobs.map((j) => client.run(j, signal))), timeouts.deadline);
    const sessions = await sessionsAfter(reports, proxy, server);
    const transferred = files.map((f, i): Transferred => {
      const report = reports === 'hung' ? undefined : reports[i];
      const held = download ? (report?.ok ? report.received : undefined) : server!.read(f.path);
      return { reported: report?.ok === true, sent: sha256(f.data), bytes: f.data.length, ...(held ? { held: sha256(held), heldBytes: held.length } : {}) };
    });
    const outcome = outcomeOf(client, reports, sessions);
    const intact = transferred.filter((t) => t.held === t.sent).length;
    const bad = transferred.find((t) => t.reported && t.held !== t.sent);
    const sink: SinkReport = {
      copies: intact,
      intact: bad === undefined,
      ...(bad ? { sha256: { sent: bad.sent, held: bad.held ?? 'nothing' } } : {}),
    };
    const faultFired = proxy.fired().some(Boolean);
    const ftp = ftpReport(sessions);
    const expect = transfer.expect?.[mode] ?? scenario.expect;
    const { verdict, reason } = judgeFtp({ expect, unfired: !!scenario.fault && !faultFired, outcome, transferred, download, ftp });
    return {
      ...identity(scenario, client, mode),
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
    return failed(scenario, client, error, started, mode);
  } finally {
    await proxy?.close();
    await server?.close();
  }
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
