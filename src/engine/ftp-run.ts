/**
 * FTP's part of a run, with one client in one mode: a server (the mock, or a real one) behind the fault
 * proxy (FTP mode: data connections pass through it too), the transfers, then classify, integrity by
 * size and SHA-256 at the receiving end (the server's file for an upload, the file the client wrote
 * out for a download, against the one served), and the verdict.
 *
 *   targets.startFtp ─► startProxy(ftp, fault) ─► client.run(upload|download, mode) per file
 *        │ files: size + SHA-256 as stored                │ control + data sessions
 *        └────────────► integrity ◄── report ──► classify ◄┘ ──► judgeFtp
 */
import type { ClientReport, FtpClientAdapter, FtpJob, FtpMode } from '../clients/types.js';
import type { CaptureSink } from '../proxy/capture.js';
import { startProxy, type SessionInfo } from '../proxy/proxy.js';
import { type Content, contentOf } from '../util/content.js';
import { classify, type Wire } from './classify.js';
import {
  DEFAULT_TIMEOUTS,
  leftFirst,
  plaintextRefusal,
  proxyFaults,
  proxyHost,
  upstreamTimeout,
  type Judgement,
  type ProtocolRun,
  type Seen,
  type Stage,
} from './protocol-run.js';
import { remotePath, type FtpTarget, type Targets } from './targets.js';
import { runTls } from './run-tls.js';
import { randomContent } from './message.js';
import { tlsStart } from '../clients/tls-mode.js';
import type { Family, FtpReport, FtpScenario, Outcome, SinkReport } from './types.js';
import { judgeFtp, type Transferred } from './verdict.js';
import { silentItself } from './own-silence.js';
import { waitedOn } from '../faults/trigger.js';

interface FtpPlan extends Stage {
  readonly server: FtpTarget;
  readonly jobs: readonly FtpJob[];
  /** Each file's remote path and content (a download's: the file served), and the content's digest as made. */
  readonly files: readonly { readonly path: string; readonly content: Content }[];
}

/**
 * The FTP run of `scenario` with `client` in `mode` against the server `serverName` of `targets`; `sink`
 * captures its sessions; the client reaches the proxy over `family` (default 4).
 */
export function ftpRun(
  scenario: FtpScenario,
  client: FtpClientAdapter,
  mode: FtpMode,
  targets: Targets,
  serverName: string,
  sink?: CaptureSink,
  family: Family = 4,
  keylog?: (line: Buffer) => void,
): ProtocolRun<FtpPlan> {
  const transfer = scenario.ftp;
  const download = transfer.direction === 'download';
  return {
    refuse: () => {
      if (!client.modes.includes(mode)) return `${client.name} has no ${mode} mode`;
      if (client.directions && !client.directions.includes(transfer.direction)) return `${client.name} does not ${transfer.direction}`;
      if (transfer.resume && !client.resumes) return `${client.name} cannot resume an upload`;
      if (transfer.sources && !client.binds) return `${client.name} cannot choose the address it connects from`;
      if (transfer.sources && family === 6) return 'IPv6 has one loopback address: no other address to connect from';
      return plaintextRefusal(client, scenario);
    },
    prepare: async (own) => {
      const count = transfer.parallel ?? 1;
      const name = scenario.id.replace(/[^\w.-]+/g, '-');
      const names = Array.from({ length: count }, (_, i) => `${name}${count > 1 ? `-${i + 1}` : ''}.bin`);
      const contents = names.map(() => randomContent(scenario.messageBytes));
      const preload = download ? Object.fromEntries(names.map((n, i) => [n, contents[i]!])) : {};
      const started = await targets.startFtp(serverName, scenario, preload, family, mode);
      if ('na' in started) return started;
      const server = own(started.target);
      const { login } = server;
      // Each reader makes its own octets of the content: a client that changes what it was given sends
      // other content, judged against the content as made.
      const files = names.map((n, i) => ({ path: remotePath(login, n), content: contents[i]! }));
      // The server's own session limit may be counted at login (proftpd's MaxClients: 530 to PASS).
      const limited = scenario.server?.maxSessions !== undefined || scenario.server?.maxPerAddress !== undefined;
      const faults = proxyFaults(scenario.fault, scenario.server?.greetingDelayMs, server.delaysGreeting, limited ? 'PASS' : undefined);
      const capture = sink && own(sink).capture;
      const upstreamTimeoutMs = upstreamTimeout(scenario.server?.greetingDelayMs, server.delaysGreeting);
      const upstream = { host: server.host, port: server.port };
      // FTPS: the proxy terminates it on the control and protected data connections (src/proxy/ftps.ts)
      // with a certificate from the run's own CA, which the client trusts.
      const tls = scenario.tls ?? 'none';
      const start = tlsStart(tls);
      const runCa = start === 'none' ? undefined : own(await runTls(start, { keylog, upstreamHost: server.host }));
      const proxyTls = runCa ? { tls: runCa.proxy } : {};
      const proxy = own(await startProxy({ upstream, host: proxyHost(family), faults, protocol: 'ftp', upstreamTimeoutMs, capture, ...proxyTls }));
      const timeouts = { ...DEFAULT_TIMEOUTS, ...scenario.timeouts };
      const ca = runCa ? { ca: runCa.caFile } : {};
      const job = {
        host: proxy.host,
        port: proxy.port,
        user: login.user,
        password: login.password,
        mode,
        direction: transfer.direction,
        timeouts,
        ...(tls === 'none' ? {} : { tls }),
        ...ca,
      };
      const jobs: FtpJob[] = files.map((f, i) => ({
        ...job,
        path: f.path,
        content: download ? contentOf(Buffer.alloc(0)) : f.content,
        ...(transfer.resume ? { resume: true } : {}),
        ...(transfer.sources?.length ? { source: transfer.sources[i % transfer.sources.length]! } : {}),
      }));
      return { proxy, server, deadline: transfer.deadline?.[mode] ?? timeouts.deadline, jobs, files };
    },
    observe: (plan, signal) => Promise.all(plan.jobs.map((j) => client.run(j, signal))),
    judge: async (plan, seen: Seen): Promise<Judgement> => {
      const { reports, sessions, unfired } = seen;
      const transferred = await Promise.all(
        plan.files.map(async (f, i): Promise<Transferred> => {
          const report = reports === 'hung' ? undefined : reports[i];
          // A download is judged by what the client wrote out (its size and SHA-256), an upload by the server's file.
          const stored = download ? undefined : await plan.server.digest(f.path);
          const unverifiable = stored === 'unreadable';
          const held = download ? (report?.ok ? report.received : undefined) : stored && !unverifiable ? stored : undefined;
          const sent = await f.content.digest();
          const seen = held ? { held: held.sha256, heldBytes: held.bytes } : unverifiable ? { unverifiable } : {};
          return { reported: report?.ok === true, sent: sent.sha256, bytes: sent.bytes, ...seen };
        }),
      );
      const outcome = outcomeOf(client, reports, sessions, transfer.resume === true);
      const intact = transferred.filter((t) => t.held === t.sent).length;
      const bad = transferred.find((t) => t.reported && !t.unverifiable && t.held !== t.sent);
      const sink: SinkReport = {
        copies: intact,
        intact: bad === undefined,
        ...(bad ? { sha256: { sent: bad.sent, held: bad.held ?? 'nothing' } } : {}),
        ...(transferred.some((t) => t.unverifiable) ? { verifiable: false } : {}),
      };
      const ftp = ftpReport(sessions);
      const v6 = family === 6;
      const expect = (v6 ? transfer.expectIpv6?.[mode] : undefined) ?? transfer.expect?.[mode] ?? scenario.expect;
      const pins = [...(v6 ? [`${client.name}/${mode}/ipv6`, `${client.name}/ipv6`] : []), `${client.name}/${mode}`, client.name];
      const pinned = pins.map((key) => scenario.pinned?.[key]).find((pin) => pin !== undefined);
      const clearSteps = new Set(sessions.flatMap((s) => s.clearSteps ?? []));
      // A fault the server overtook (DataInfo.overtaken) did not make what the client saw.
      const overtaken = sessions.some((s) => s.data?.overtaken === true);
      const own =
        (transfer.resume ? resumeUnsupported(outcome) : undefined) ??
        (plan.server.external
          ? (silentItself(scenario, outcome, { ...seen, unfired: unfired || overtaken }) ?? (await restStorLost(plan.server, bad, sessions)))
          : undefined);
      const { verdict, reason } = own
        ? { verdict: 'n/a' as const, reason: own }
        : judgeFtp({
            expect,
            unfired,
            outcome,
            transferred,
            download,
            ftp,
            pinned,
            clearSteps,
            steps: new Set(sessions.flatMap((s) => s.steps)),
            waitedOn: waitedOn(scenario.fault?.at),
            ...(leftFirst(scenario, outcome, sessions) ? { leftFirst: true as const } : {}),
            ...(overtaken && !unfired ? { overtaken: true as const } : {}),
          });
      return { outcome, sink, ftp, verdict, reason };
    },
    tidy: async (plan) => plan.server.tidy?.(),
  };
}

/** Replies that say a command is not implemented (RFC 959 §4.2: 500 unrecognized, 502 not implemented, 504 not for that parameter). */
const NOT_IMPLEMENTED: ReadonlySet<number> = new Set([500, 502, 504]);

/** The commands a client resumes an upload with: SIZE to learn the offset, then REST (and STOR) or APPE. */
const RESUME_STEPS: Readonly<Record<string, string>> = {
  size: 'SIZE (RFC 3659 §4)',
  rest: 'REST (RFC 3659 §5)',
  appe: 'APPE (RFC 959 §4.1.3)',
};

/**
 * Why a resume scenario tells nothing of the client, where the server does not implement the command
 * the client resumes with (Twisted's FTP server answers REST and APPE `502`): it reported that refusal,
 * and the resume the scenario tests cannot happen there; else undefined. (lftp, refused REST, sends
 * the whole file again, and is judged as usual.)
 */
function resumeUnsupported(outcome: Outcome): string | undefined {
  const step = RESUME_STEPS[outcome.phase];
  if (outcome.kind !== 'reply' || outcome.code === undefined || !NOT_IMPLEMENTED.has(outcome.code) || !step) return undefined;
  return `the server does not implement ${step}: it answered ${outcome.code}, which the client reported; the resume this scenario tests cannot happen there`;
}

/**
 * Why an upload a client resumed with REST and STOR (RFC 3659 §5.1) and reported complete is not the
 * client's doing, where the server's own REST+STOR loses what the file held before the offset (a user's
 * server, checked on wireprobe's own session: FtpTarget.restStorCorrupts); else undefined.
 */
async function restStorLost(server: FtpTarget, bad: Transferred | undefined, sessions: readonly SessionInfo[]): Promise<string | undefined> {
  if (!bad || !server.restStorCorrupts || !sessions.some((s) => s.steps.includes('REST') && s.steps.includes('STOR'))) return undefined;
  const { corrupts, left } = await server.restStorCorrupts();
  if (!corrupts) return undefined;
  const undone = left ? `; ${left}: remove it by hand` : '';
  return `the client resumed with REST and STOR (RFC 3659 §5.1), and the server's own REST+STOR corrupts a file (wireprobe's check on a file of its own: ${corrupts})${undone}`;
}

/**
 * The outcome: hung, else the first failure reported, else delivered. A failure is seen through the
 * first session the fault struck: a client that reconnects on its own (lftp's retry loop) meets the
 * fault again and again, and where its last try was when its own timer ended the loop is timing, not
 * the fault's doing; the first strike is the same point of the same conversation for every client.
 * Without a strike (no fault, or none fired), through the client's last session; in a resume
 * scenario too, where the resumed attempt's own failure is the point. For a failure among parallel
 * transfers, the first session that completed nothing. The client saw an RST or a FIN on the control
 * connection or, when that stayed up, on the data connection.
 */
function outcomeOf(client: FtpClientAdapter, reports: readonly ClientReport[] | 'hung', sessions: readonly SessionInfo[], resume: boolean): Outcome {
  const failed = reports === 'hung' ? undefined : reports.find((r) => !r.ok);
  const session = failed && reports !== 'hung' ? failedSession(reports, sessions, resume) : sessions.at(-1);
  const wire = session && ftpWire(session);
  const report: ClientReport | 'hung' = reports === 'hung' ? 'hung' : (failed ?? reports[0]!);
  const outcome = classify({ report, phase: session?.phase ?? 'connect', bytesSent: session?.data?.bytes ?? 0, wire, exitCodes: client.exitCodes ?? {} });
  if (outcome.kind !== 'refused' || !session || session.phase === 'connect') return outcome;
  // Refused with the control connection up: it was a data connection, at the phase the client was in;
  // one to an address a dataport fault named, at the step that named it, whatever the client sent
  // between that reply and its connect (PHP's TYPE I, Net::FTP's STOR).
  return { ...outcome, phase: (wire?.dataRefused ? lastDataAddressStep(session.steps) : undefined) ?? session.phase };
}

/** The data-address command (PASV, EPSV, LPSV) the client came to last (steps keep first-sent order), as a phase: `pasv`. */
function lastDataAddressStep(steps: readonly string[]): string | undefined {
  return steps.findLast((step) => step === 'PASV' || step === 'EPSV' || step === 'LPSV')?.toLowerCase();
}

/**
 * What classify reads of an FTP session: the end the client saw on its control connection or, when that
 * stayed up, on its data connection; the data connection's RST when the client met that before acting
 * on its control connection's end (DataInfo.rstFirst: an upload still writing). That it left on its turn
 * counts only for the control connection's own end, not when what it saw was a data connection's FIN.
 * Its last reply, unless it went on past it.
 */
export function ftpWire(session: SessionInfo): Wire {
  const dataSaw = session.data?.clientSaw ?? null;
  return {
    clientSaw: session.data?.rstFirst ? 'rst' : (session.clientSaw ?? dataSaw),
    // A failure reply the client went on past (lftp's FEAT refused before USER) is not what it stopped on.
    ...(session.movedOn ? {} : { lastReply: session.lastReply }),
    leftOnTurn: session.leftOnTurn === true && (session.clientSaw !== null || dataSaw === null),
    dataRefused: session.faultsFired?.some((f) => f.kind === 'dataport' && (f.how === 'refused' || f.how === 'wrong-address')) === true,
  };
}

/** The session a failure is seen through (see outcomeOf). */
function failedSession(reports: readonly ClientReport[], sessions: readonly SessionInfo[], resume: boolean): SessionInfo | undefined {
  if (reports.length > 1) return sessions.find((s) => s.accepted === 0) ?? sessions.at(-1);
  const struck = resume ? undefined : sessions.find((s) => s.faultFired || (s.faultsFired?.length ?? 0) > 0);
  return struck ?? sessions.at(-1);
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
