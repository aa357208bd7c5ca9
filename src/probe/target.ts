/**
 * What `wireprobe probe URL` aims at: the URL parsed into a ProbeTarget, the host name resolved, the
 * port tried once. Each bad target is one line naming what is wrong (a TargetError), never a stack.
 *
 *   "smtp://user:pass@host:587" ──parseTarget──► ProbeTarget ──resolveTarget──► address
 *                                                             └──reachTarget───► a TCP connect, closed
 *
 * Nothing here refuses an address by itself: users probe their real servers (tests use 127.0.0.1).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { hostPort } from '../util/address.js';
import { bounded } from '../util/bounded.js';
import { WireprobeError, type TargetErrorCode } from '../util/errors.js';
import { connectRaw } from './raw-connect.js';
import type { RawConnection } from './raw.js';
import type { ProbeTarget } from './types.js';
import type { Reply } from '../protocol/reply.js';

/** A target that cannot be probed: one line for the user, exit code 2. `code` is what to test for. */
export class TargetError extends WireprobeError<TargetErrorCode> {
  override readonly name = 'TargetError';
  /** EBADTARGET (the text), ENOTFOUND (the name), ECONNREFUSED, ETIMEDOUT, ECONNECT (any other connect failure). */
  constructor(message: string, code: TargetErrorCode) {
    super(message, code);
  }
}

/** Each protocol's default port (IANA): SMTP 25, FTP 21. */
export const DEFAULT_PORTS = Object.freeze({ smtp: 25, ftp: 21 });

/** Each protocol's default port with implicit TLS (IANA): submissions 465 (RFC 8314 §7.3), ftps 990. */
export const IMPLICIT_TLS_PORTS = Object.freeze({ smtp: 465, ftp: 990 });

/** The FTP login when the URL names none (RFC 1635 anonymous FTP). */
export const ANONYMOUS = Object.freeze({ user: 'anonymous', password: 'wireprobe@example.invalid' });

const USAGE = 'expected smtp[s]://host[:port] or ftp[s]://[user[:password]@]host[:port]';

/** `"text"` with JSON escapes: a trailing space or a tab stays visible. */
const quoted = (text: string): string => JSON.stringify(text);

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    // Never echo it: it may hold a password.
    throw new TargetError(`bad ${what} in the target: broken %-escape`, 'EBADTARGET');
  }
}

/**
 * Parses `smtp://[user[:password]@]host[:port]` (port 25) or `ftp://[user[:password]@]host[:port]`
 * (port 21; login anonymous unless given); `smtps://` (port 465) and `ftps://` (port 990) are the same
 * with TLS from the first octet (`implicitTls`). User and password are URL-decoded; for SMTP they are the AUTH
 * credentials (optional). An IPv6 address only in brackets (RFC 3986 §3.2.2): `smtp://[::1]:25`. A trailing `/` is allowed, a path is not.
 * `separatePassword`: the password from `--password-env`/`--password-file` (kept out of `ps`); the URL
 * must then name a user and no password. Throws TargetError naming the problem (never the password).
 */
export function parseTarget(text: string, separatePassword?: string): ProbeTarget {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(text);
  if (!scheme) throw new TargetError(`bad target ${quoted(redactUrl(text))}: ${USAGE}`, 'EBADTARGET');
  const given = scheme[1]!.toLowerCase();
  const implicitTls = given === 'smtps' || given === 'ftps';
  const protocol = implicitTls ? given.slice(0, -1) : given;
  if (protocol !== 'smtp' && protocol !== 'ftp') {
    throw new TargetError(`unknown scheme "${scheme[1]}://" in ${quoted(redactUrl(text))}: ${USAGE}`, 'EBADTARGET');
  }
  let rest = text.slice(scheme[0].length);
  const slash = rest.search(/[/?#]/);
  if (slash !== -1) {
    if (rest.slice(slash) !== '/')
      throw new TargetError(`bad target ${quoted(redactUrl(text))}: a path, query or fragment is not allowed (${USAGE})`, 'EBADTARGET');
    rest = rest.slice(0, slash);
  }
  const at = rest.lastIndexOf('@');
  let user: string | undefined;
  let password: string | undefined;
  if (at !== -1) {
    const info = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = info.indexOf(':');
    user = decode(colon === -1 ? info : info.slice(0, colon), 'user name');
    password = colon === -1 ? undefined : decode(info.slice(colon + 1), 'password');
    if (user === '') throw new TargetError(`bad target ${quoted(redactUrl(text))}: empty user name before "@"`, 'EBADTARGET');
  }
  if (separatePassword !== undefined) {
    if (user === undefined || password !== undefined) {
      throw new TargetError(
        `bad target ${quoted(redactUrl(text))}: with --password-env or --password-file, name the user and no password ("ftp://user@host")`,
        'EBADTARGET',
      );
    }
    password = separatePassword;
  }
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1) throw new TargetError(`bad host in ${quoted(redactUrl(text))}: "[" without "]"`, 'EBADTARGET');
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '' && !after.startsWith(':'))
      throw new TargetError(`bad host in ${quoted(redactUrl(text))}: unexpected ${quoted(after)} after "]"`, 'EBADTARGET');
    portText = after === '' ? undefined : after.slice(1);
    if (isIP(host) !== 6) throw new TargetError(`unknown host ${quoted(host)}: not an IPv6 address`, 'EBADTARGET');
  } else {
    const colon = rest.lastIndexOf(':');
    host = colon === -1 ? rest : rest.slice(0, colon);
    portText = colon === -1 ? undefined : rest.slice(colon + 1);
    // `::1:25` is itself an IPv6 address: only brackets say where the address ends (RFC 3986 §3.2.2).
    if (host.includes(':'))
      throw new TargetError(
        `bad host in ${quoted(redactUrl(text))}: an IPv6 address goes in brackets, as in ${protocol}://[::1]:${DEFAULT_PORTS[protocol]}`,
        'EBADTARGET',
      );
  }
  if (host === '') throw new TargetError(`bad target ${quoted(redactUrl(text))}: no host`, 'EBADTARGET');
  if (/\s/.test(host)) throw new TargetError(`unknown host ${quoted(host)}: a host name has no spaces`, 'EBADTARGET');
  if (/[^A-Za-z0-9.\-_:%]/.test(host)) throw new TargetError(`unknown host ${quoted(host)}: not a host name`, 'EBADTARGET');
  let port: number = (implicitTls ? IMPLICIT_TLS_PORTS : DEFAULT_PORTS)[protocol];
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535)
      throw new TargetError(`bad port ${quoted(portText)} in ${quoted(redactUrl(text))}: expected 1 to 65535`, 'EBADTARGET');
  }
  const tls = implicitTls ? { implicitTls } : {};
  if (protocol === 'ftp') {
    return { protocol, host, port, ...tls, user: user ?? ANONYMOUS.user, password: password ?? (user === undefined ? ANONYMOUS.password : '') };
  }
  return { protocol, host, port, ...tls, ...(user !== undefined ? { user } : {}), ...(password !== undefined ? { password } : {}) };
}

/** The target as shown in reports: `smtp://host:25`, `ftps://user@host:990` (never a password; no user when anonymous). */
export function describeTarget(target: ProbeTarget): string {
  const user = target.user !== undefined && target.user !== ANONYMOUS.user ? `${encodeURIComponent(target.user)}@` : '';
  return `${target.protocol}${target.implicitTls ? 's' : ''}://${user}${hostPort(target.host, target.port)}`;
}

/** A URL as typed with its password replaced: `ftp://bob:***@host`. For error messages. */
export function redactUrl(text: string): string {
  // Everything between the user and the last "@" is the password, even with "/", "?" or "#" in it
  // (a raw password the user did not percent-encode must not reach an error message either).
  // The user name may hold "@" too (`bob@corp.test:pw@host`): the user info runs to the last "@",
  // and the password from its first ":".
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)(.*)@([^@]*)$/s.exec(text);
  if (!m) return text;
  const colon = m[2]!.indexOf(':');
  return colon === -1 ? text : `${m[1]}${m[2]!.slice(0, colon)}:***@${m[3]}`;
}

/**
 * Resolves the target's host (dns.lookup, as connect does, or `resolver`), within `timeoutMs`. An
 * address is returned as it is. Throws TargetError `unknown host "NAME" (ENOTFOUND)` naming the host exactly as given.
 */
export async function resolveTarget(
  target: ProbeTarget,
  timeoutMs: number,
  resolver: (host: string) => Promise<{ address: string }> = lookup,
): Promise<string> {
  if (isIP(target.host)) return target.host;
  const found = await bounded(
    resolver(target.host).then(
      (result) => ({ address: result.address }),
      (error: NodeJS.ErrnoException) => ({ error: error.code ?? 'ENOTFOUND' }),
    ),
    timeoutMs,
  );
  if (found === undefined) throw new TargetError(`unknown host ${quoted(target.host)}: no DNS answer within ${timeoutMs} ms`, 'ENOTFOUND');
  if ('error' in found) throw new TargetError(`unknown host ${quoted(target.host)} (${found.error})`, 'ENOTFOUND');
  return found.address;
}

/**
 * Resolves, then connects once (and closes at once) so a dead target is one line before any check
 * runs: refused, no answer within `timeoutMs`, or another connect error, each naming host and port.
 */
export async function reachTarget(target: ProbeTarget, timeoutMs: number): Promise<string> {
  const { address, conn } = await connectTarget(target, timeoutMs);
  conn.destroy();
  return address;
}

/**
 * How long a greeting took from the connection's establishment, ms; with `none`, how long it was
 * awaited in vain (a lower bound).
 */
export interface GreetingTime {
  readonly ms: number;
  readonly none?: true;
}

/** What greetTarget saw. */
export interface Greeted<T> {
  readonly address: string;
  /** The greeting's first line as received (peer text: escape it before a terminal); absent: none came. */
  readonly greeting?: string;
  /** How long the greeting took; absent when the connection ended before any greeting. */
  readonly greetingTime?: GreetingTime;
  /** What `after` found, when it ran (greeted only). */
  readonly after?: T;
}

/**
 * As reachTarget, and reads the target's greeting, timed. `after` goes on in the same session once
 * greeted (given the greeting's reply) (`run --target` asks an FTP target about its data-connection modes there, without a second
 * connection). Leaves with QUIT.
 */
export async function greetTarget<T = never>(
  target: ProbeTarget,
  timeoutMs: number,
  after?: (conn: RawConnection, greeting: Reply) => Promise<T>,
): Promise<Greeted<T>> {
  const { address, conn } = await connectTarget(target, timeoutMs);
  try {
    const start = performance.now();
    const reply = await conn.readReply(timeoutMs);
    const ms = Math.round(performance.now() - start);
    if (!reply.ok) return { address, ...(reply.end === 'timeout' ? { greetingTime: { ms, none: true as const } } : {}) };
    const found = after ? { after: await after(conn, reply.value) } : {};
    if (conn.ended === null) await conn.command('QUIT', { timeoutMs });
    return { address, greeting: reply.value.raw[0], greetingTime: { ms }, ...found };
  } finally {
    conn.destroy();
  }
}

async function connectTarget(target: ProbeTarget, timeoutMs: number): Promise<{ readonly address: string; readonly conn: RawConnection }> {
  const address = await resolveTarget(target, timeoutMs);
  const where = hostPort(target.host, target.port);
  const result = await connectRaw({ host: address, port: target.port, timeoutMs, record: false });
  if (result.ok && target.implicitTls) {
    // Implicit TLS: a port that answers TCP but not TLS is as dead for the probe; one line says so.
    const upgraded = await result.conn.upgradeTls({ timeoutMs, ...(isIP(target.host) ? {} : { servername: target.host }) });
    if (!upgraded.ok) {
      result.conn.destroy();
      throw new TargetError(`cannot connect to ${where}: the TLS handshake failed ${upgraded.event} (is it an implicit-TLS port?)`, 'ECONNECT');
    }
  }
  if (result.ok) return { address, conn: result.conn };
  const { failure } = result;
  if (failure.kind === 'refused')
    throw new TargetError(`cannot connect to ${where}: connection refused (nothing listens on port ${target.port})`, 'ECONNREFUSED');
  if (failure.kind === 'timeout')
    throw new TargetError(`cannot connect to ${where}: no answer within ${timeoutMs} ms (timeout; a firewall may drop the packets)`, 'ETIMEDOUT');
  throw new TargetError(
    `cannot connect to ${where}: ${failure.kind === 'unreachable' ? 'host unreachable' : failure.kind === 'reset' ? 'connection reset' : 'connect failed'} (${failure.code ?? failure.kind})`,
    'ECONNECT',
  );
}
