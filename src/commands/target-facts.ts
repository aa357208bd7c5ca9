/**
 * What a user's server imposes that the proxy cannot, learnt when `run --target` first reaches it, and
 * the runs each fact rules out: those are `n/a` naming the fact, where every client would otherwise
 * meet the server's policy and be reported as deviating from the scenario.
 *
 *   greetTarget (the first session) ─► greeting time ──────────────────────► slowGreeting: any run
 *        └─ FTP, same session: login, PORT/EPRT, PASV/EPSV ─► modeRefused: runs in that mode
 *           (replies only); then AUTH TLS on its own ──────► tlsUnavailable: runs whose client starts TLS
 *   smtpFacts (one session) ─► SIZE, MAIL in plain text, MAIL inside TLS, ──► overSizeLimit, loginNeeded
 *                              STARTTLS used, AUTH offered where            (external-targets.ts), plainTextRefused,
 *                                                                           tlsUnavailable; all in smtpNotFor
 *
 * Anything unexpected (no reply, a reply no rule expects, a failed login) leaves a fact unknown, and the
 * runs it would rule out run as before.
 */
import { isIP } from 'node:net';
import { tlsStart } from '../clients/tls-mode.js';
import type { FtpMode } from '../clients/types.js';
import { greetingTimeout } from '../engine/protocol-run.js';
import type { Scenario } from '../engine/types.js';
import type { Reply } from '../protocol/reply.js';
import { FtpSession } from '../probe/ftp-control.js';
import type { RawConnection, Read } from '../probe/raw.js';
import { closeSmtp, openSmtp } from '../probe/smtp-session.js';
import type { GreetingTime } from '../probe/target.js';
import { DEFAULT_PROBE_LIMITS } from '../probe/types.js';
import { quote } from '../util/terminal.js';

/** How long a target may take to accept a connection, greet and answer each command of these sessions, ms. */
export const REACH_TIMEOUT_MS = 5_000;

/** What an SMTP target imposes, as learnt when first reached (ExternalSmtpTarget has them). */
export interface SmtpFacts {
  /** The message size limit its EHLO advertised (SIZE, RFC 1870); absent: none. */
  readonly sizeLimit?: number;
  /** MAIL without AUTH got 530 (inside TLS when STARTTLS was offered). */
  readonly authRequired?: true;
  /**
   * MAIL in plain text got 530 and inside STARTTLS did not, or AUTH is required and offered only inside
   * TLS: the reply in plain text (quoted, escaped), for the reason of the runs whose clients start no TLS.
   */
  readonly starttlsRequired?: string;
  /** The session could not use STARTTLS (not offered, or it failed): for the reason of the runs whose client starts it. */
  readonly noStarttls?: true;
}

/** What an FTP target refuses, as learnt when first reached (ExternalFtpTarget has them). */
export interface FtpFacts {
  /** PORT and EPRT were refused: their replies (quoted, escaped), for the reason of the active-mode runs. */
  readonly activeRefused?: string;
  /** PASV and EPSV were refused: their replies, for the reason of the passive-mode runs. */
  readonly passiveRefused?: string;
  /** The login directory, as PWD named it after login (`/home/bob`; `/` where the login is chrooted). */
  readonly home?: string;
  /** AUTH TLS was refused (5xx), or dropped, or its handshake failed: how (quoted, escaped), for the reason of the runs whose client starts it. */
  readonly noAuthTls?: string;
  /** AUTH TLS got 234 and the handshake completed: for the reason of a scenario whose server offers no FTPS. */
  readonly authTls?: true;
}

/** A target as first reached, as the line naming its facts reads it. */
type Reached = { readonly protocol: 'smtp' | 'ftp'; readonly shown: string; readonly greetingTime?: GreetingTime } & SmtpFacts & FtpFacts;

/** A reply as one line for a reason: its last line as received, quoted and escaped (peer text). */
const shown = (reply: Reply): string => quote(reply.raw.at(-1) ?? String(reply.code));

/**
 * What an SMTP target imposes, learnt in one session opened as an opportunistic client would: the
 * SIZE its EHLO advertises (RFC 1870, inside TLS when STARTTLS is offered), and MAIL from the run's own
 * sender without AUTH, asked twice when STARTTLS is offered: in plain text first (then RSET), and
 * inside TLS. 530 inside TLS (or without STARTTLS): AUTH required (RFC 4954 §6). 530 in plain text only:
 * STARTTLS required first (RFC 3207 §4; a 530 in plain text alone may mean either). No RCPT: nothing is
 * delivered.
 */
export async function smtpFacts(t: { readonly host: string; readonly port: number; readonly envelope?: { readonly from: string } }): Promise<SmtpFacts> {
  const limits = { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: REACH_TIMEOUT_MS };
  const mail = `MAIL FROM:<${t.envelope?.from ?? ''}>`;
  const asked: { plain?: Read<Reply> } = {};
  const beforeStarttls = async (conn: RawConnection): Promise<void> => {
    const plain = await conn.command(mail);
    asked.plain = plain;
    // A 250 began a transaction: RSET ends it (RFC 5321 §4.1.1.5), though STARTTLS would discard it too (RFC 3207 §4.2).
    if (plain.ok && plain.value.code === 250) await conn.command('RSET');
  };
  const opened = await openSmtp({ protocol: 'smtp', host: t.host, port: t.port }, limits, { beforeStarttls });
  if (!opened.ok) return {};
  try {
    const size = Number(opened.caps.get('SIZE'));
    const inside = await opened.conn.command(mail);
    const { plain } = asked;
    const onlyInClear = opened.tls && plain?.ok === true && plain.value.code === 530 && inside.ok && inside.value.code !== 530;
    const authRequired = inside.ok && inside.value.code === 530;
    // AUTH required and offered only inside TLS (Postfix smtpd_tls_auth_only = yes, RFC 4954 §4's
    // advice): a client in plain text can neither log in nor send, so STARTTLS is required as well.
    const authOnlyInTls = authRequired && opened.tls && opened.caps.has('AUTH') && !opened.plainCaps.has('AUTH');
    return {
      ...(Number.isSafeInteger(size) && size > 0 ? { sizeLimit: size } : {}),
      ...(authRequired ? { authRequired: true as const } : {}),
      ...(onlyInClear && plain?.ok ? { starttlsRequired: shown(plain.value) } : {}),
      ...(authOnlyInTls && plain?.ok ? { starttlsRequired: `${shown(plain.value)}, and AUTH is offered only inside TLS` } : {}),
      ...(opened.tls ? {} : { noStarttls: true as const }),
    };
  } finally {
    await closeSmtp(opened.conn, limits);
  }
}

/** The reply that accepts each data-connection command (RFC 959 §4.2.2, RFC 2428 §2-3). */
const ACCEPTED = { PORT: 200, EPRT: 200, PASV: 227, EPSV: 229 } as const;

type DataVerb = keyof typeof ACCEPTED;

/**
 * Whether each of `verbs` is refused, asked in turn until one is accepted: the replies as a reason
 * when every one got 421 or 5xx (RFC 959 §4.2.1: not implemented, not allowed), else undefined
 * (accepted, or unknown: no reply, or one no rule expects).
 */
async function refused(verbs: readonly DataVerb[], ask: (verb: DataVerb) => Promise<Read<Reply>>): Promise<string | undefined> {
  const replies: string[] = [];
  for (const verb of verbs) {
    const read = await ask(verb);
    if (!read.ok || read.value.code === ACCEPTED[verb]) return undefined;
    if (read.value.code !== 421 && (read.value.code < 500 || read.value.code > 599)) return undefined;
    replies.push(`${verb} got ${shown(read.value)}`);
  }
  return replies.join(', ');
}

/**
 * Which data-connection modes an FTP target refuses, asked on the first session `conn` once greeted (220):
 * logged in as the target's login (inside TLS when a named login is offered it, as the probe does), then PORT
 * (else EPRT) naming a listener of ours on the control connection's own address, and PASV (else EPSV).
 * Only the replies count: no transfer command follows, so nothing connects and nothing is written.
 * Then whether it takes AUTH TLS, on a connection of its own (authTlsFacts).
 * Over IPv6 only EPRT and EPSV (PORT and PASV cannot name an IPv6 address, RFC 2428 §1).
 */
export async function ftpFacts(
  conn: RawConnection,
  greeting: Reply,
  t: { readonly host: string; readonly port: number; readonly login: { readonly user: string; readonly password: string } },
): Promise<FtpFacts> {
  // A 120 first (RFC 959 §5.4): the 220 is still to come; nothing is asked.
  if (greeting.code !== 220) return {};
  const asked = await sessionFacts(new FtpSession(conn, { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: REACH_TIMEOUT_MS }), t);
  return { ...asked, ...(await authTlsFacts(conn.remoteAddress ?? t.host, t.port)) };
}

/** Login directory and refused modes, asked on the greeted session as an FTP client in `auto` TLS would (see ftpFacts). */
async function sessionFacts(session: FtpSession, t: Parameters<typeof ftpFacts>[2]): Promise<FtpFacts> {
  const login = await session.loginAs({ protocol: 'ftp', host: t.host, port: t.port, user: t.login.user, password: t.login.password });
  if (!login.ok) return {};
  const pwd = await session.command('PWD');
  // A reply waited for in vain may still come, and be taken for the next command's: nothing more is asked.
  if (session.stale) return {};
  const home = pwd.ok ? loginDirectory(pwd.value) : undefined;
  const v6 = isIP(session.local) === 6;
  const activeRefused = await refused(v6 ? ['EPRT'] : ['PORT', 'EPRT'], async (verb) => {
    const { read, plan } = await session.active(verb as 'PORT' | 'EPRT');
    plan?.close();
    return read;
  });
  // A reply waited for in vain may still come, and be taken for the next command's.
  const passiveRefused = session.stale ? undefined : await refused(v6 ? ['EPSV'] : ['PASV', 'EPSV'], (verb) => session.command(verb));
  return { ...(home ? { home } : {}), ...(activeRefused ? { activeRefused } : {}), ...(passiveRefused ? { passiveRefused } : {}) };
}

/**
 * Whether the server takes AUTH TLS, asked outright on a connection of its own (FEAT need not list it,
 * and a login inside TLS is not what a plain client meets: vsftpd refuses anonymous logins there):
 * greeting, AUTH TLS, the handshake after a 234, QUIT. A 5xx, the connection dropped, or a failed
 * handshake: `noAuthTls`, how; the handshake done: `authTls`; anything else (no reply, a 4xx, which
 * says "not now") is unknown, and the runs go ahead.
 */
async function authTlsFacts(host: string, port: number): Promise<Pick<FtpFacts, 'noAuthTls' | 'authTls'>> {
  const opened = await FtpSession.open({ protocol: 'ftp', host, port }, { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: REACH_TIMEOUT_MS });
  if (!opened.ok) {
    if (opened.stage === 'greeting') opened.session.conn.destroy();
    return {};
  }
  const { conn } = opened.session;
  try {
    const auth = await conn.command('AUTH TLS');
    if (!auth.ok) return auth.end === 'timeout' ? {} : { noAuthTls: `AUTH TLS got no reply, the connection ended ${auth.event}` };
    if (auth.value.code >= 500) return { noAuthTls: `AUTH TLS got ${shown(auth.value)}` };
    if (auth.value.code !== 234) return {};
    const upgraded = await conn.upgradeTls({ timeoutMs: REACH_TIMEOUT_MS });
    if (!upgraded.ok) return { noAuthTls: `the TLS handshake after the 234 to AUTH TLS failed ${upgraded.event}` };
    await conn.command('QUIT');
    return { authTls: true };
  } finally {
    conn.destroy();
  }
}

/** The login directory a reply to PWD names: a 257's path, on its first line when it spans several (`257-"/home/bob" ...` / `257 End`). */
export function loginDirectory(reply: Reply): string | undefined {
  return reply.code === 257 ? reply.lines.map(pwdPath).find((dir) => dir !== undefined) : undefined;
}

/**
 * The directory a 257 reply's text names (RFC 959 §5.1 and Appendix II: `"/home/bob" is current
 * directory`, a quote inside it doubled), or undefined when it names none as an absolute path.
 */
export function pwdPath(text: string): string | undefined {
  const quoted = /^"((?:[^"]|"")*)"/.exec(text.trimStart())?.[1]?.replaceAll('""', '"');
  return quoted?.startsWith('/') && !/[\r\n\0]/.test(quoted) ? quoted : undefined;
}

/** Why a run in `mode` cannot work against `target`, which refused that mode when first reached; or undefined. */
export function modeRefused(target: FtpFacts, mode: FtpMode | undefined): string | undefined {
  const refusal = mode === 'active' ? target.activeRefused : mode === 'passive' ? target.passiveRefused : undefined;
  if (!refusal) return undefined;
  return `needs ${mode} mode, which the server refused when first reached (${refusal}): every client would fail on its policy, not on the scenario's fault`;
}

/** Why `scenario` cannot run against `target`, which requires STARTTLS before MAIL, when its client starts no TLS; or undefined. */
export function plainTextRefused(scenario: Scenario, target: Pick<SmtpFacts, 'starttlsRequired'>): string | undefined {
  if (scenario.protocol !== 'smtp' || !target.starttlsRequired || tlsStart(scenario.tls ?? 'none') !== 'none') return undefined;
  return `needs MAIL in plain text, and the server requires STARTTLS first (MAIL in plain text got ${target.starttlsRequired} when first reached, RFC 3207 §4)`;
}

/**
 * Why `scenario`'s client TLS cannot reach `target` through the proxy, or undefined. The proxy's leg
 * toward the server starts TLS as the client does: an smtp:// or ftp:// target speaks plain text first
 * (smtps:// and ftps:// are for probe only), so implicit TLS (RFC 8314 §3.3) cannot reach it, and
 * STARTTLS or AUTH TLS only where the server took it when first reached.
 */
export function tlsUnavailable(scenario: Scenario, target: Pick<SmtpFacts, 'noStarttls'> & Pick<FtpFacts, 'noAuthTls' | 'authTls'>): string | undefined {
  const start = tlsStart(scenario.tls ?? 'none');
  if (scenario.protocol === 'ftp') {
    // A scenario whose server offers no FTPS (ftps: off) is about a client meeting that refusal.
    if (scenario.server?.ftps === 'off')
      return target.authTls ? 'needs a server that offers no FTPS, and the server took AUTH TLS when first reached' : undefined;
    if (start === 'implicit') return 'needs implicit FTPS (TLS from the first octet), and an ftp:// target speaks FTP in plain text first';
    if (start === 'starttls' && target.noAuthTls) return `needs AUTH TLS (RFC 4217 §4), which the server refused when first reached (${target.noAuthTls})`;
    return undefined;
  }
  if (start === 'implicit') return 'needs implicit TLS (RFC 8314 §3.3), and an smtp:// target speaks SMTP in plain text first';
  if (start === 'starttls' && target.noStarttls) return 'needs STARTTLS, which the server did not offer, or which failed, when first reached';
  return undefined;
}

/**
 * Why `scenario`'s clients would meet the target's own greeting delay (a tarpit, a slow reverse lookup)
 * rather than the scenario's fault, or undefined: n/a once the greeting took more than half of what the
 * client timeout leaves after the scenario's own greeting delay (which the proxy adds). Half, not the
 * whole: the time was measured once, on an idle server; in the run a client starts its clock as it
 * starts (a process, among the run's others), reaches the server through the proxy, and the server
 * serves several runs at once. Under half, all that would have to double the greeting's time for a
 * client to time out; closer, the verdict would turn on the machine's load, not on the client. A
 * factor rather than a fixed margin: the scenarios' timeouts go from 1 s to 10 s.
 */
export function slowGreeting(scenario: Scenario, time: GreetingTime | undefined): string | undefined {
  if (!time) return undefined;
  const timeout = greetingTimeout(scenario);
  const delay = scenario.server?.greetingDelayMs ?? 0;
  if (time.ms * 2 <= timeout - delay) return undefined;
  const took = time.none ? `sent no greeting within ${time.ms} ms` : `'s greeting took ${time.ms} ms`;
  const own = delay ? ` (${delay} ms of it the scenario's own greeting delay)` : '';
  return `the server${took} when first reached, the scenario's client timeout is ${timeout} ms${own}: over half of it, a client's timeout would hang on the server's delay and the machine's load, not on the scenario's fault`;
}

/**
 * The line saying what `target` imposes, as learnt when first reached (only what rules runs out: its
 * greeting time when it rules out one of `scenarios`), or undefined when nothing does.
 */
export function factsLine(target: Reached, scenarios: readonly Scenario[]): string | undefined {
  const facts: string[] = [];
  if (target.sizeLimit) facts.push(`SIZE ${target.sizeLimit}`);
  if (target.authRequired) facts.push('AUTH required (530 to MAIL without it)');
  if (target.starttlsRequired) facts.push(`STARTTLS required (MAIL in plain text got ${target.starttlsRequired})`);
  if (target.noStarttls && scenarios.some((s) => tlsStart(s.tls ?? 'none') === 'starttls')) facts.push('no STARTTLS');
  if (target.noAuthTls && scenarios.some((s) => s.protocol === 'ftp' && tlsStart(s.tls ?? 'none') === 'starttls' && s.server?.ftps !== 'off'))
    facts.push(`no FTPS (${target.noAuthTls})`);
  if (target.activeRefused) facts.push(`active mode refused (${target.activeRefused})`);
  if (target.passiveRefused) facts.push(`passive mode refused (${target.passiveRefused})`);
  const time = target.greetingTime;
  if (time && scenarios.some((s) => s.protocol === target.protocol && slowGreeting(s, time))) {
    facts.push(time.none ? `no greeting within ${time.ms} ms` : `greeting after ${time.ms} ms`);
  }
  return facts.length > 0 ? `wireprobe: ${target.shown} when first reached: ${facts.join('; ')}\n` : undefined;
}
