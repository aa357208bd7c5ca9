/**
 * What the SMTP checks share: opening a session the way a real client would (greeting, EHLO, STARTTLS
 * when offered, AUTH when credentials were given), closing it politely within a bound, reading EHLO
 * capabilities, and building a Finding from a connection's transcript.
 *
 *   openSmtp: connect ─► 220 ─► EHLO ─► [STARTTLS ─► TLS ─► EHLO] ─► [AUTH PLAIN|LOGIN] ─► SmtpSession
 *                 any step failing ─► { ok: false, step, reason } (a check turns it into skip or fail)
 *                 STARTTLS refused or handshake failed, --starttls auto ─► again in plain text (notes say why)
 */
import { isIP } from 'node:net';
import { connectRaw, tlsOf } from './raw-connect.js';
import type { Read, RawConnection } from './raw.js';
import type { Reply } from '../protocol/reply.js';
import type { Finding, ProbeLimits, ProbeTarget } from './types.js';
import { unmapped } from '../util/address.js';

/** Addresses the probe uses. `postmaster` needs no domain and every server must take it (RFC 5321 §4.5.1). */
export const ADDRESSES = Object.freeze({
  /** The default local recipient (--rcpt): a message reaches it only with --send. */
  local: 'postmaster',
  /** An outside sender for the relay check (RFC 2606 reserved domain). */
  outsideSender: 'wireprobe@example.com',
  /** An outside recipient for the relay check: `.invalid` (RFC 2606) never exists, nothing is ever sent there. */
  outsideRecipient: 'probe@wireprobe-relay-test.invalid',
});

/** RFC 5321 §4.1.2 atext (a Dot-string's atoms) and a domain of LDH labels, or an address literal. */
const RCPT_PATTERN =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*(@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[A-Za-z0-9.:]+\]))?$/;

/**
 * Why `address` cannot be the probe's recipient (--rcpt), or undefined: a local part alone
 * (`postmaster`, RFC 5321 §4.5.1) or `local@domain`, without angle brackets, quotes or line breaks
 * (RFC 5321 §4.1.2; a local part at most 64 octets, a path at most 256, §4.5.3.1).
 */
export function rcptProblem(address: string): string | undefined {
  if (address === '') return 'it is empty';
  if (/[\r\n]/.test(address)) return 'it holds a line break';
  if (address.length > 254) return 'it is longer than 254 characters';
  if (!RCPT_PATTERN.test(address)) return 'expected local-part or local-part@domain, without <>, quotes or spaces';
  if (address.split('@')[0]!.length > 64) return 'its local part is longer than 64 characters';
  return undefined;
}

/**
 * Loopback and private addresses: servers usually trust their own networks (Postfix mynetworks) to
 * relay, and exempt them from checks such as smtpd_forbid_bare_newline.
 */
export function trustedVantage(address: string | undefined): boolean {
  const a = unmapped(address) ?? '';
  if (isIP(a) === 6) return a === '::1' || /^f[cd]/i.test(a) || /^fe80:/i.test(a);
  return /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.)/.test(a);
}

/** A command no server implements (RFC 5321 §4.2.4: 500 for an unrecognised command). */
export const UNKNOWN_COMMAND = 'XYZZY';

/** EHLO keywords (upper case) to their parameters: `SIZE` → `10240000`, `AUTH` → `PLAIN LOGIN`. */
export type Capabilities = ReadonlyMap<string, string>;

/** The capabilities in an EHLO reply (its first line is the greeting, RFC 5321 §4.1.1.1). */
export function capabilities(ehlo: Reply): Map<string, string> {
  const caps = new Map<string, string>();
  for (const line of ehlo.lines.slice(1)) {
    const [keyword = '', ...params] = line.trim().split(/\s+/);
    if (keyword) caps.set(keyword.toUpperCase(), params.join(' '));
  }
  return caps;
}

/** Capabilities as one readable value: `PIPELINING, SIZE 1000, STARTTLS`. */
export function describeCapabilities(caps: Capabilities): string {
  return [...caps].map(([k, v]) => (v ? `${k} ${v}` : k)).join(', ');
}

/** The mechanisms in `AUTH PLAIN LOGIN`, upper case. */
export function authMechanisms(caps: Capabilities): string[] {
  return (caps.get('AUTH') ?? '').toUpperCase().split(/\s+/).filter(Boolean);
}

/** Our EHLO argument: our own address as an address literal, always valid (RFC 5321 §4.1.3). */
export function ehloName(conn: RawConnection): string {
  const address = unmapped(conn.localAddress) ?? '127.0.0.1';
  return isIP(address) === 6 ? `[IPv6:${address}]` : `[${address}]`;
}

/** A reply or event as one short line, for advice: `550 5.7.1 Relay access denied`, `[timeout after 5000 ms]`. */
export function said(read: Read<Reply>): string {
  if (!read.ok) return read.event;
  return read.value.raw.at(-1) ?? String(read.value.code);
}

/** An open session, ready for MAIL. */
export interface SmtpSession {
  readonly conn: RawConnection;
  readonly greeting: Reply;
  /** The last EHLO reply (inside TLS when it was started). */
  readonly ehlo: Reply;
  readonly caps: Capabilities;
  /** Capabilities before STARTTLS (equal to `caps` without TLS). */
  readonly plainCaps: Capabilities;
  readonly tls: boolean;
  readonly authenticated: boolean;
}

/** Why a session could not be opened; the connection (if any) is already closed. */
export interface SessionFailure {
  readonly ok: false;
  /** `cleartext`: credentials were given but the session is not encrypted, so they were not sent. */
  readonly step: 'connect' | 'greeting' | 'ehlo' | 'starttls' | 'auth' | 'cleartext';
  /** One sentence fragment: `no greeting within 5000 ms`, `AUTH refused: 535 ...`. */
  readonly reason: string;
  readonly sent: string[];
  readonly received: string[];
}

/** What openSmtp tells the check beyond the session: filled in when it fell back to plain text. */
export interface SessionNotes {
  /** Why the session is in plain text though STARTTLS is offered: `STARTTLS refused (454 ...)`. */
  plainText?: string;
}

export interface OpenOptions {
  /** `if-offered` (default): STARTTLS as `limits.starttls` says; `never`: stay plain (checks of plain text). */
  readonly tls?: 'if-offered' | 'never';
  /** Authenticate with the target's user and password when given (never in clear unless --starttls off); default false. */
  readonly auth?: boolean;
  /** Receives the reason when `--starttls auto` went on in plain text after a failed STARTTLS; default none. */
  readonly notes?: SessionNotes;
  /**
   * Run in plain text after the first EHLO, just before STARTTLS is sent (only when it is): a question
   * only plain text answers (`run --target` asks whether MAIL there gets 530). It must leave the session
   * ready for STARTTLS; default none.
   */
  readonly beforeStarttls?: (conn: RawConnection) => Promise<void>;
}

type Opened = ({ readonly ok: true } & SmtpSession) | SessionFailure;

/**
 * Opens a session; every wait bounded by `limits.replyTimeoutMs`. With `limits.starttls` `auto`, a
 * STARTTLS that is refused (454) or whose handshake fails is what an opportunistic client carries on
 * after (RFC 3207 §4.1): the session is opened again in plain text and `options.notes` says why; with
 * `require` it is a failure; with `off` STARTTLS is never sent. Credentials go only inside TLS, or in
 * clear when the user chose `--starttls off`.
 */
export async function openSmtp(target: ProbeTarget, limits: ProbeLimits, options: OpenOptions = {}): Promise<Opened> {
  const wantTls = (options.tls ?? 'if-offered') === 'if-offered' && limits.starttls !== 'off';
  const first = await openOnce(target, limits, options, wantTls);
  if (first.ok || first.step !== 'starttls' || limits.starttls !== 'auto') return first;
  const again = await openOnce(target, limits, options, false, first.reason);
  if (options.notes && (again.ok || again.step !== 'connect')) options.notes.plainText = first.reason;
  return again;
}

async function openOnce(target: ProbeTarget, limits: ProbeLimits, options: OpenOptions, wantTls: boolean, plainBecause?: string): Promise<Opened> {
  // closeOnTimeout: a server that stalls once costs one bound per session, not one per command.
  const opened = await connectRaw({ host: target.host, port: target.port, ...tlsOf(target), timeoutMs: limits.replyTimeoutMs, closeOnTimeout: true });
  if (!opened.ok) return { ok: false, step: 'connect', reason: `connect failed ${opened.failure.event}`, sent: [], received: [opened.failure.event] };
  const conn = opened.conn;
  if (plainBecause) conn.note(`[a fresh session in plain text: ${plainBecause} on the one before]`);
  const fail = (step: SessionFailure['step'], reason: string): SessionFailure => {
    conn.destroy();
    return { ok: false, step, reason, ...conn.takeTranscript() };
  };
  const greeting = await conn.readReply();
  if (!greeting.ok || greeting.value.code !== 220) return fail('greeting', `no 220 greeting (${said(greeting)})`);
  let ehlo = await conn.command(`EHLO ${ehloName(conn)}`);
  if (!ehlo.ok || ehlo.value.code !== 250) return fail('ehlo', `EHLO not accepted (${said(ehlo)})`);
  const plainCaps = capabilities(ehlo.value);
  let caps: Capabilities = plainCaps;
  // smtps:// is inside TLS from the first octet (RFC 8314 §3.3): no STARTTLS on top of it.
  let tls = target.implicitTls === true;
  if (wantTls && !tls && !caps.has('STARTTLS') && limits.starttls === 'require') return fail('starttls', 'STARTTLS is not offered (--starttls require)');
  if (wantTls && !tls && caps.has('STARTTLS')) {
    await options.beforeStarttls?.(conn);
    const start = await conn.command('STARTTLS');
    if (!start.ok || start.value.code !== 220) return fail('starttls', `STARTTLS refused (${said(start)})`);
    const upgraded = await conn.upgradeTls({ timeoutMs: limits.replyTimeoutMs });
    if (!upgraded.ok) return fail('starttls', `TLS handshake failed ${upgraded.event}`);
    tls = true;
    ehlo = await conn.command(`EHLO ${ehloName(conn)}`);
    if (!ehlo.ok || ehlo.value.code !== 250) return fail('ehlo', `EHLO inside TLS not accepted (${said(ehlo)})`);
    caps = capabilities(ehlo.value);
  }
  let authenticated = false;
  if (options.auth && target.user !== undefined) {
    if (!tls && limits.starttls !== 'off') {
      const why = plainBecause ?? (plainCaps.has('STARTTLS') ? 'STARTTLS was not used' : 'the server offers no STARTTLS');
      return fail('cleartext', `the credentials were not sent: the session is not encrypted (${why}); give --starttls off to send them in clear text`);
    }
    const result = await authenticate(conn, target, caps);
    if (!result.ok) return fail('auth', result.reason);
    authenticated = true;
  }
  return { ok: true, conn, greeting: greeting.value, ehlo: ehlo.value, caps, plainCaps, tls, authenticated };
}

/** A finding made on a plain-text fallback session says so (SessionNotes). */
export function annotate(result: Finding, notes: SessionNotes): Finding {
  if (!notes.plainText) return result;
  return { ...result, advice: `${result.advice} (Checked in plain text on a fresh session: ${notes.plainText}.)` };
}

/**
 * AUTH PLAIN (RFC 4616) or LOGIN with the target's credentials; transcript lines are `AUTH PLAIN ***`
 * and `***`. Never sends a credential the server did not ask for by a mechanism it offered.
 */
export async function authenticate(
  conn: RawConnection,
  target: ProbeTarget,
  caps: Capabilities,
): Promise<{ readonly ok: true; readonly reply: Reply } | { readonly ok: false; readonly reason: string; readonly code?: number }> {
  const mechanisms = authMechanisms(caps);
  const user = target.user ?? '';
  const password = target.password ?? '';
  const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
  let reply: Read<Reply>;
  if (mechanisms.includes('PLAIN')) {
    reply = await conn.command(`AUTH PLAIN ${b64(`\0${user}\0${password}`)}`);
  } else if (mechanisms.includes('LOGIN')) {
    reply = await conn.command('AUTH LOGIN');
    if (reply.ok && reply.value.code === 334) reply = await conn.command(b64(user), { secret: true });
    if (reply.ok && reply.value.code === 334) reply = await conn.command(b64(password), { secret: true });
  } else {
    return {
      ok: false,
      reason: mechanisms.length ? `no mechanism the probe speaks (offered: ${mechanisms.join(' ')}; it speaks PLAIN and LOGIN)` : 'the server offers no AUTH',
    };
  }
  if (reply.ok && reply.value.code === 235) return { ok: true, reply: reply.value };
  return { ok: false, reason: `AUTH refused (${said(reply)})`, ...(reply.ok ? { code: reply.value.code } : {}) };
}

/**
 * Ends a session politely and waits (bounded) until the server has closed it, so a server counting
 * sessions has let go of it before the next check connects: QUIT, its 221, the server's FIN.
 */
export async function closeSmtp(conn: RawConnection, limits: ProbeLimits): Promise<void> {
  if (conn.ended === null) {
    const bound = Math.min(limits.replyTimeoutMs, 2_000);
    await conn.send('QUIT');
    const reply = await conn.readReply(bound);
    if (reply.ok) await conn.waitForEnd(bound);
  }
  conn.destroy();
}

/** Advice for a check that needs MAIL when the session could not get there. */
export function noSession(failure: SessionFailure): string {
  if (failure.step === 'auth') return `Not checked: ${failure.reason}; check the user and password in the target URL.`;
  if (failure.step === 'cleartext') return `Not checked: ${failure.reason}.`;
  return `Not checked: the session failed at ${failure.step}: ${failure.reason}.`;
}

/** Is this MAIL reply a demand for authentication (530 / 5.7.0 / 5.7.1 without AUTH), so a check needs credentials? */
export function needsAuth(reply: Reply): boolean {
  return reply.code === 530 || (reply.code === 550 && /authenticat/i.test(reply.raw.join(' ')));
}

/**
 * Does this 530 (needsAuth) come from a plain-text session to a server that offers STARTTLS? Then it
 * may ask for TLS ("530 Must issue a STARTTLS command first", RFC 3207 §4) as well as for AUTH (RFC
 * 4954 §6): the codes are the same, and credentials alone would not get past it.
 */
export function mayWantTls(session: Pick<SmtpSession, 'tls' | 'plainCaps'>, reply: Reply): boolean {
  return needsAuth(reply) && !session.tls && session.plainCaps.has('STARTTLS');
}

/**
 * Why a check cannot go past a MAIL refusal that asks for something first (needsAuth), as advice after
 * "Not checked: ", or undefined for any other reply. `codes` (the pipelined replies) follows the reply.
 */
export function wantsFirst(session: Pick<SmtpSession, 'tls' | 'plainCaps'>, limits: ProbeLimits, reply: Reply, codes = ''): string | undefined {
  if (!needsAuth(reply)) return undefined;
  if (!mayWantTls(session, reply)) return `the server wants authentication before MAIL${codes}; give smtp://user:password@host`;
  const why = limits.starttls === 'off' ? 'which --starttls off leaves out' : 'which failed on this server (see smtp.starttls)';
  return `MAIL in plain text got "${reply.raw.at(-1) ?? reply.code}"${codes}: the server may want STARTTLS first (RFC 3207 §4), ${why}`;
}
