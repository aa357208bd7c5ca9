/**
 * SMTP's part of a run: a server (the mock, or a real MTA) behind the fault proxy, one message or
 * several sent by the client, then classify, the sink check (size and SHA-256 of every copy the server
 * holds) and the verdict.
 *
 *   targets.startSmtp ─► startProxy(fault) ─► sendAll(client, jobs) ─► classify(report, session)
 *        └──────── copies held ────────────────────────────────────────────► judge
 */
import { randomBytes } from 'node:crypto';
import type { ClientReport, Sends, SmtpClientAdapter, SmtpJob } from '../clients/types.js';
import type { CaptureSink } from '../proxy/capture.js';
import { startProxy, type SessionInfo } from '../proxy/proxy.js';
import { classify } from './classify.js';
import { makeMessage } from './message.js';
import type { Content } from '../util/content.js';
import {
  DEFAULT_TIMEOUTS,
  greetingTimeout,
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
import { sendAll } from './sends.js';
import type { SmtpTarget, Targets } from './targets.js';
import type { Accounting, Family, Outcome, SinkReport, SmtpScenario } from './types.js';
import { judge, NOT_VERIFIABLE } from './verdict.js';
import { formatOutcome } from './outcome-format.js';
import { SERVER_SHARE, SHORT_BY, seconds, silentItself } from './own-silence.js';
import { runTls } from './run-tls.js';
import { THROTTLE_TICK_MS } from '../faults/throttle.js';
import { waitedOn } from '../faults/trigger.js';
import { tlsStart } from '../clients/tls-mode.js';

/** The envelope of a server that names none (the mocks and launchers take any address). */
const DEFAULT_ENVELOPE = { from: 'sender@wireprobe.test', to: ['sink@wireprobe.test'] } as const;

interface SmtpPlan extends Stage {
  readonly server: SmtpTarget;
  readonly jobs: readonly SmtpJob[];
  readonly sends: Sends;
  /** Each message as the server should store it (after the client's own transform). */
  readonly expected: readonly Content[];
}

/**
 * The SMTP run of `scenario` with `client` against the server `serverName` of `targets`; `sink` captures
 * its sessions; the client reaches the proxy over `family` (default 4).
 */
export function smtpRun(
  scenario: SmtpScenario,
  client: SmtpClientAdapter,
  targets: Targets,
  serverName: string,
  sink?: CaptureSink,
  family: Family = 4,
  keylog?: (line: Buffer) => void,
): ProtocolRun<SmtpPlan> {
  const sends = scenario.sends ?? { count: 1, mode: 'sequential' };
  return {
    refuse: () => cannotExpress(scenario, client),
    prepare: async (own) => {
      const started = await targets.startSmtp(serverName, scenario, family);
      if ('na' in started) return started;
      const server = own(started.target);
      if (client.composes && server.sharedMailbox) {
        return {
          na: `${client.name} composes its own messages, which cannot be told from others' in a mailbox ${server.name} shares (it carries no tag of this run)`,
        };
      }
      if (server.authRequired && !client.authenticates) {
        return { na: `${client.name} cannot be given SMTP AUTH credentials, and ${server.name} requires AUTH (530 to MAIL without it)` };
      }
      const faults = proxyFaults(scenario.fault, scenario.server?.greetingDelayMs, server.delaysGreeting);
      const capture = sink && own(sink).capture;
      const upstreamTimeoutMs = upstreamTimeout(scenario.server?.greetingDelayMs, server.delaysGreeting);
      // With TLS the proxy terminates it (src/proxy/tls-legs.ts) with a certificate from the run's own CA, which the client trusts.
      const start = tlsStart(scenario.tls ?? 'none');
      const tls =
        start === 'none'
          ? undefined
          : own(
              await runTls(start, {
                keylog,
                upstreamHost: server.host,
                ...(scenario.certificate ? { certificate: scenario.certificate } : {}),
                ...(scenario.tlsVersion ? { tlsVersion: scenario.tlsVersion } : {}),
              }),
            );
      const proxy = own(
        await startProxy({
          upstream: { host: server.host, port: server.port },
          host: proxyHost(family),
          faults,
          upstreamTimeoutMs,
          capture,
          ...(tls ? { tls: tls.proxy } : {}),
        }),
      );
      const timeouts = { ...DEFAULT_TIMEOUTS, ...scenario.timeouts };
      // A mailbox other runs share: this run's own tag in each message tells its copies from theirs.
      const tag = server.sharedMailbox ? `.${randomBytes(6).toString('hex')}` : '';
      const messages = Array.from({ length: sends.count }, (_, i) =>
        makeMessage(`${scenario.id}${tag}${sends.count > 1 ? `#${i + 1}` : ''}`, scenario.messageBytes, scenario.message),
      );
      const { trailer } = client;
      const expected = trailer ? messages.map((m) => m.followedBy(trailer)) : messages;
      const { from, to } = server.envelope ?? DEFAULT_ENVELOPE;
      const job = {
        host: proxy.host,
        port: proxy.port,
        from,
        to,
        timeouts,
        tls: scenario.tls ?? 'none',
        ...(tls ? { ca: tls.caFile } : {}),
        ...(server.auth ? { auth: server.auth } : {}),
      };
      return { proxy, server, deadline: timeouts.deadline, jobs: messages.map((content) => ({ ...job, content })), sends, expected };
    },
    observe: (plan, signal) => sendAll(client, plan.jobs, plan.sends, signal),
    judge: async (plan, seen: Seen): Promise<Judgement> => {
      const { reports, sessions, unfired } = seen;
      const inOrder = !client.runMany && sends.mode === 'sequential';
      const outcome = outcomeOf(client, reports, sessions, inOrder);
      // A client never holds the content compared with (each reader makes its own octets): one that changes
      // what it was given sends other content, which counts as no copy.
      // A client that composes its own message never sent the one compared with: what it stored is only counted.
      const composed = client.composes === true;
      const { copies, stored, verifiable } = await plan.server.copies(composed ? [] : plan.expected);
      const intact = composed || copies.reduce((a, b) => a + b, 0) === stored;
      const sink: SinkReport = { copies: stored, intact, ...(verifiable === false ? { verifiable } : {}) };
      const held = verifiable === false ? undefined : composed ? { counted: stored } : copies;
      const messages = sends.count > 1 ? account(reports, held, sends.count, sessions, stored) : undefined;
      const steps = new Set(sessions.flatMap((s) => s.steps));
      const clearSteps = new Set(sessions.flatMap((s) => s.clearSteps ?? []));
      const violations = sessions.flatMap((s) => s.violations);
      const evidence = {
        expect: scenario.expect,
        unfired,
        steps,
        clearSteps,
        outcome,
        sink,
        violations,
        pinned: (family === 6 ? scenario.pinned?.[`${client.name}/ipv6`] : undefined) ?? scenario.pinned?.[client.name],
        waitedOn: waitedOn(scenario.fault?.at),
        ...shortBody(scenario, sessions),
        ...(composed ? { counted: true as const } : {}),
        ...(leftFirst(scenario, outcome, sessions) ? { leftFirst: true as const } : {}),
      };
      const silent = plan.server.external ? silentItself(scenario, outcome, seen) : undefined;
      const own =
        refusedItself(plan.server, scenario, outcome, sink, unfired) ??
        slowItself(plan.server, scenario, outcome, { sink, sessions, atReport: seen.atReport, messages: plan.expected.length, unfired }) ??
        (silent && unverifiable(sink, silent));
      if (own !== undefined) return { outcome, sink, ...(messages ? { messages } : {}), verdict: 'n/a', reason: own };
      const { verdict, reason } = judge({ ...evidence, ...(messages ? { messages } : {}) });
      return { outcome, sink, ...(messages ? { messages } : {}), verdict, reason };
    },
  };
}

/**
 * Why a run says nothing about the client, or undefined: a user's server (SmtpTarget.ownLimits) refused
 * by a limit of its own, where the scenario's fault did not make the reply and nothing was stored.
 * - 552 (RFC 5321 §4.2.2: storage allocation exceeded): every client would get it, whatever the fault; a
 *   SIZE it advertises makes such scenarios n/a before they run (overSizeLimit).
 * - 421 (§3.8: service not available, closing the channel), before the scenario's fault could act (none,
 *   or it never fired): its connection limits (Postfix smtpd_client_connection_count_limit, Exim
 *   smtp_accept_max) met by the run's concurrency, or its load.
 */
function refusedItself(server: SmtpTarget, scenario: SmtpScenario, outcome: Outcome, sink: SinkReport, unfired: boolean): string | undefined {
  if (server.ownLimits === undefined || outcome.kind !== 'reply' || sink.copies > 0) return undefined;
  if (outcome.code === 552 && scenario.fault?.kind !== 'reply') {
    return unverifiable(
      sink,
      `the server itself refused the message (${formatOutcome(outcome)}): a size or storage limit of its own (${server.ownLimits}), not the scenario's fault`,
    );
  }
  if (outcome.code === 421 && (scenario.fault === undefined || unfired)) {
    return unverifiable(
      sink,
      `the server itself closed the session (${formatOutcome(outcome)}) before the scenario's fault could act: a limit of its own (connections at once, or from one address) or its load, not the client; a lower --concurrency may stay under it`,
    );
  }
  return undefined;
}

/**
 * Why a run says nothing about the client, or undefined: a user's server (TargetBase.external) was
 * slower than the client waits, where no fault of the scenario's could have held its reply back. The
 * client gave up (timeout) or was still waiting at the run's deadline (hung) on a server going at its
 * own pace: a scenario's timeouts are seconds, scaled for a server that answers at once, as the mocks
 * and the launchers' MTAs do (RFC 5321 §4.5.3.2 asks minutes of a client).
 * - At the end of the data (`dot`, or later with the dot's reply still owed) of the run's one message,
 *   when the server holds it once, intact, and the client was shown no 2xx to it: its 250 came late. No fault fired (one waiting for that reply
 *   never saw it); or a throttle toward the server, which held the tail of the body, had passed it on,
 *   and the server then took at least half the socket timeout to answer (SERVER_SHARE). aiosmtpd took
 *   2.6 s to answer for a 50 MiB message.
 * - Before its greeting (`connect`, `greeting`): in every session the client sent no command, and the
 *   server's first octets came no sooner than the shortest client timeout a greeting meets, or never.
 *   No fault fired, or only a throttle toward the server (which holds no reply), and the scenario has no
 *   greeting delay of its own. aiosmtpd, one thread, greets nobody while it stores a large message for
 *   another run; its greeting time when first reached (TargetFacts) was measured idle.
 * - In the body (`body`, `bdat`), when the server had left what the client sent unread (its socket full,
 *   the proxy holding the client's octets back: SessionInfo.unreadMs) for half the socket timeout in all
 *   (SERVER_SHARE) by the session's first close, or as the client reported: its reading, not the
 *   scenario's pace, held the client's writes back (a client whose timeout spans its whole write, as
 *   Python's sendall does, meets the sum). Behind a throttle whose pace alone makes the body last nine
 *   tenths of the socket timeout, such a client fails anyway: then one stretch that long is needed
 *   (unreadLongestMs). No fault fired, or only a throttle toward the server, whose own pace never
 *   counts (Outlet.unread). aiosmtpd, in Python, read a 50 MiB body throttled to 12 MiB/s at about
 *   5 MiB/s, and stood still for seconds now and then.
 */
export function slowItself(server: SmtpTarget, scenario: SmtpScenario, outcome: Outcome, seen: SlowEvidence): string | undefined {
  if (!server.external || (outcome.kind !== 'timeout' && outcome.kind !== 'hung')) return undefined;
  const { sink, sessions, atReport, messages, unfired } = seen;
  const fault = scenario.fault;
  const waited = outcome.kind === 'timeout' ? 'the client timed out waiting for it' : "the client was still waiting for it at the run's deadline";
  const late = `(${formatOutcome(outcome)}: ${waited}): its own pace or load, not the scenario's fault, whose timeouts are scaled for a server that answers at once`;
  const noFault = fault === undefined || unfired;
  const throttled = fault?.kind === 'throttle' && fault.toward === 'server';
  const socket = { ...DEFAULT_TIMEOUTS, ...scenario.timeouts }.socket;
  // At the dot, or past it with the dot's reply still owed (swaks sends QUIT when it gives up on the 250).
  const atDot = outcome.phase === 'dot' || atReport.some((s) => s.waiting?.step === 'dot');
  if (atDot && messages === 1 && sink.verifiable !== false && sink.copies === 1 && sink.intact && sessions.every((s) => s.accepted === 0)) {
    if (noFault) return `the server took the message but answered the end of the data late ${late}`;
    const own = throttled ? answeredAfterThrottle(atReport, fault.bytesPerSecond) : undefined;
    if (own !== undefined && own >= SERVER_SHARE * socket) {
      return `the server took the message but left the end of the data unanswered ${seconds(own)} after the throttle had passed it on ${late}`;
    }
  }
  if ((outcome.phase === 'body' || outcome.phase === 'bdat') && (noFault || throttled)) {
    // Behind a throttle whose pace alone makes the body outlast the timeout, a client that times its whole
    // write fails whatever the server does: then only one stop of the server's as long as the client waits counts.
    const paced = throttled && (scenario.messageBytes * 1000) / fault.bytesPerSecond + THROTTLE_TICK_MS >= SHORT_BY * socket;
    const stop = paced
      ? atReport.map((s) => s.unreadLongestMs).find((ms) => ms !== undefined && ms >= SHORT_BY * socket)
      : atReport.map((s) => s.unreadMs).find((ms) => ms !== undefined && ms >= SERVER_SHARE * socket);
    if (stop !== undefined) {
      const what = paced ? `for ${seconds(stop)} at a stretch` : `for ${seconds(stop)} in all`;
      return unverifiable(sink, `the server itself left the message unread ${what} (its socket full, the client's octets held back) ${late}`);
    }
  }
  const greetingBound = greetingTimeout(scenario);
  const greetedLate = (s: SessionInfo): boolean => s.steps.length === 0 && (s.greetedAfterMs === undefined || s.greetedAfterMs >= greetingBound);
  const holdsNoGreeting = noFault || throttled;
  if ((outcome.phase === 'connect' || outcome.phase === 'greeting') && holdsNoGreeting && !scenario.server?.greetingDelayMs) {
    if (sessions.length > 0 && sessions.every(greetedLate)) return unverifiable(sink, `the server sent no greeting in time ${late}`);
  }
  return undefined;
}

/**
 * Ms the server left the end of the data unanswered after a throttle toward it (`bytesPerSecond`) had
 * passed on what it still held ahead of the dot (SessionInfo.dotBacklog), until the first close or the
 * report; one tick of the throttle allowed. Undefined when no session was waiting for that reply.
 */
function answeredAfterThrottle(sessions: readonly SessionInfo[], bytesPerSecond: number): number | undefined {
  const own = sessions.flatMap((s) =>
    s.waiting?.for === 'reply' && s.dotBacklog !== undefined ? [s.waiting.ms - (s.dotBacklog * 1000) / bytesPerSecond - THROTTLE_TICK_MS] : [],
  );
  return own.length ? Math.max(...own) : undefined;
}

/**
 * What slowItself weighs beside the outcome: what arrived, the sessions (at the end, and as the client
 * reported: what the server left it waiting for then), how many messages the run sent, whether its
 * fault never fired.
 */
export interface SlowEvidence {
  readonly sink: SinkReport;
  readonly sessions: readonly SessionInfo[];
  readonly atReport: readonly SessionInfo[];
  readonly messages: number;
  readonly unfired: boolean;
}

/** `reason`, with the note that what arrived could not be seen when it could not. */
function unverifiable(sink: SinkReport, reason: string): string {
  return sink.verifiable === false ? `${reason}; ${NOT_VERIFIABLE}` : reason;
}

/** Why a client cannot express a scenario, or undefined. */
export function cannotExpress(scenario: SmtpScenario, client: SmtpClientAdapter): string | undefined {
  if (scenario.needs === 'pool' && !client.pools) return `${client.name} keeps no connection pool, which this scenario needs`;
  if (scenario.needs === 'bdat' && !client.sendsBdat) return `${client.name} sends no BDAT (RFC 3030 CHUNKING), which this scenario needs`;
  if (scenario.server?.auth && !client.authenticates) return `${client.name} cannot be given SMTP AUTH credentials, which this scenario needs`;
  const plaintext = plaintextRefusal(client, scenario);
  if (plaintext) return plaintext;
  if (scenario.message === 'dots' && client.composes) {
    return `${client.name} composes its own message, so the dot-stuffed lines this scenario sends (and checks arrived intact) are not its`;
  }
  if (scenario.needs === 'connection-per-message' && client.pools) {
    return `${client.name} sends over its pooled connections, not one per message, which this scenario needs`;
  }
  return undefined;
}

/**
 * The run's outcome: hung, else the first failure the client reported, else delivered. It is seen
 * through a session: the last one for a single message or a success; for a failure among several
 * messages, the failing message's own session when messages went one connection each in order,
 * else the first session in which nothing was accepted (none: the connection never got through).
 */
function outcomeOf(client: SmtpClientAdapter, reports: readonly ClientReport[] | 'hung', sessions: readonly SessionInfo[], inOrder: boolean): Outcome {
  const failedAt = reports === 'hung' ? -1 : reports.findIndex((r) => !r.ok);
  const failed = reports !== 'hung' && failedAt !== -1 ? reports[failedAt] : undefined;
  const single = reports === 'hung' || reports.length === 1;
  const session = single || !failed ? sessions.at(-1) : inOrder ? sessions[failedAt] : sessions.find((s) => s.accepted === 0);
  // A failure reply the client went on past (JavaMail's HELO after a 502 to EHLO) is not what it stopped on.
  const wire = session && {
    clientSaw: session.clientSaw,
    ...(session.movedOn ? {} : { lastReply: session.lastReply }),
    replyPhases: session.replyPhases,
    leftOnTurn: session.leftOnTurn,
  };
  const report = reports === 'hung' ? 'hung' : (failed ?? reports[0]!);
  return classify({ report, phase: session?.phase ?? 'connect', bytesSent: session?.bodyBytes ?? 0, wire, exitCodes: client.exitCodes ?? {} });
}

/** Evidence.shortBody: the fault waits on a body octet no session's message reached. */
function shortBody(scenario: SmtpScenario, sessions: readonly SessionInfo[]): { shortBody?: { longest: number; offset: number } } {
  const at = scenario.fault?.at;
  const offset = at !== undefined && at !== 'connect' && 'after' in at ? at.bytes : undefined;
  const longest = Math.max(0, ...sessions.map((s) => s.bodyBytes));
  return offset !== undefined && longest < offset ? { shortBody: { longest, offset } } : {};
}

/**
 * Per message: what the client said against the copies the server holds. `held`: the copies of each
 * sent message; `counted`, only how many messages the server holds (a client that composes its own: at
 * least as many reported delivered as are missing are lost, any past one per message are twice);
 * undefined, not verifiable (none counted lost or twice).
 */
function account(
  reports: readonly ClientReport[] | 'hung',
  held: readonly number[] | { readonly counted: number } | undefined,
  sent: number,
  sessions: readonly SessionInfo[],
  stored = 0,
): Accounting {
  const ok = Array.from({ length: sent }, (_, i) => reports !== 'hung' && reports[i]?.ok === true);
  const sum = (pick: (s: SessionInfo) => number): number => sessions.reduce((n, s) => n + pick(s), 0);
  const transactions = sum((s) => s.transactions);
  const reportedDelivered = ok.filter(Boolean).length;
  const copies = Array.isArray(held) ? held : ok.map(() => 1);
  const counted = held !== undefined && 'counted' in held ? held.counted : undefined;
  return {
    sent,
    transactions,
    retried: Math.max(0, transactions - sent),
    acknowledged: sum((s) => s.accepted),
    reportedDelivered,
    reportedFailed: reports === 'hung' ? 0 : ok.filter((x) => !x).length,
    lost: counted === undefined ? copies.filter((n, i) => ok[i] && n === 0).length : Math.max(0, reportedDelivered - counted),
    duplicated: counted === undefined ? copies.filter((n) => n > 1).length : Math.max(0, counted - sent),
    changed: Array.isArray(held) ? Math.max(0, stored - held.reduce((a, b) => a + b, 0)) : 0,
  };
}
