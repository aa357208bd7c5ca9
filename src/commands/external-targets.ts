/**
 * The user's own, already running servers (`--target smtp://host:port`, `--target ftp://user@host/dir`)
 * as a `Targets` registry: the runner puts the fault proxy in front of each, as in front of the mocks.
 * Nothing is started or configured there, so a scenario that needs a server knob the proxy cannot
 * impose is `n/a`; what a run leaves on an FTP server is read back (SIZE, RETR, SHA-256) over a
 * connection of its own, not through the proxy, and deleted.
 *
 *   "staging=ftp://bob@host:21/in" ──parseTargetOption──► ExternalTarget ──externalTargets──► Targets
 *                                                              startSmtp: maildir watch, or not verifiable
 *                                                              startFtp:  files put, read back, deleted
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { isIP } from 'node:net';
import { Writable } from 'node:stream';
import { Client } from 'basic-ftp';
import { type GreetingTime, parseTarget, redactUrl, TargetError } from '../probe/target.js';
import { remotePath, type FtpTarget, type SmtpTarget, type Started, type TargetBase, type Targets } from '../engine/targets.js';
import type { Scenario } from '../engine/types.js';
import { watchMaildir } from '../util/maildir.js';
import type { Content } from '../util/content.js';
import { type Digest, Digester } from '../util/digest.js';
import { quote } from '../util/terminal.js';
import { UsageError } from '../util/usage-error.js';
import { type FtpFacts, modeRefused, plainTextRefused, REACH_TIMEOUT_MS, type SmtpFacts, slowGreeting, tlsUnavailable } from './target-facts.js';
import { restStorCorrupts } from '../probe/ftp-integrity.js';
import { DEFAULT_PROBE_LIMITS } from '../probe/types.js';

/** What every target has: its name in reports, where it listens, and its URL as shown (no password). */
interface ExternalBase {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly shown: string;
  /** How long its greeting took when first reached (slowGreeting); absent: not known. */
  readonly greetingTime?: GreetingTime;
}

/** An SMTP target; what it imposes (SmtpFacts: SIZE, AUTH or STARTTLS required) as learnt when first reached. */
export interface ExternalSmtpTarget extends ExternalBase, SmtpFacts {
  readonly protocol: 'smtp';
  /** SMTP AUTH, from the URL's user and password. */
  readonly auth?: { readonly user: string; readonly password: string };
  /** `--from` and `--rcpt`: real mail goes to a real mailbox. */
  readonly envelope?: { readonly from: string; readonly to: readonly string[] };
  /** `--maildir DIR`: where the messages land, so copies can be counted; absent: not verifiable. */
  readonly maildir?: string;
}

/** An FTP target; the data-connection modes it refused (FtpFacts) when first reached. */
export interface ExternalFtpTarget extends ExternalBase, FtpFacts {
  readonly protocol: 'ftp';
  /**
   * `dir`: where the runs' files go, the URL's path as RFC 1738 §3.2.2 reads it: relative to the login
   * directory (`in`; '' for the login directory itself), or absolute when it starts with `%2F` (`/srv/in`).
   */
  readonly login: { readonly user: string; readonly password: string; readonly dir: string };
}

export type ExternalTarget = ExternalSmtpTarget | ExternalFtpTarget;

/** How long one of wireprobe's own FTP sessions (put, read back, delete) may take, ms. */
const FTP_SESSION_TIMEOUT_MS = 10_000;

/** A name given with `NAME=URL`: it ends up in result ids, file names and the HTML report. */
const NAME = /^[A-Za-z0-9][\w.-]{0,63}$/;

/**
 * `--target [NAME=]smtp://[user[:password]@]host[:port]` or `[NAME=]ftp://[user[:password]@]host[:port][/dir]`
 * as an ExternalTarget (default name `HOST:PORT`). `password`: from `--password-env`/`--password-file`,
 * for a URL that names a user and no password. A bad value is one UsageError line, never the password.
 */
export function parseTargetOption(text: string, password?: string): ExternalTarget {
  const named = /^([^=:/]+)=(.*)$/s.exec(text);
  const url = named ? named[2]! : text;
  const name = named?.[1];
  if (name !== undefined && (!NAME.test(name) || name.startsWith('mock'))) {
    throw new UsageError(`bad --target name ${quote(name)}: expected letters, digits, ".", "-" or "_", not starting with "mock"`);
  }
  const { base, dir } = splitPath(url);
  let parsed: ReturnType<typeof parseTarget>;
  try {
    parsed = parseTarget(base, password);
  } catch (error) {
    if (error instanceof TargetError) throw new UsageError(`bad --target: ${error.message}`);
    throw error;
  }
  if (parsed.implicitTls) throw new UsageError(`bad --target ${quote(redactUrl(url))}: smtps:// and ftps:// are for probe only; use smtp:// or ftp://`);
  if (wantsPassword(url) && password === undefined) {
    throw new UsageError(`bad --target ${quote(redactUrl(url))}: the user needs a password (in the URL, or --password-env/--password-file)`);
  }
  const host = isIP(parsed.host) === 6 ? `[${parsed.host}]` : parsed.host;
  const common = { name: name ?? `${host}:${parsed.port}`, host: parsed.host, port: parsed.port, shown: redactUrl(url) };
  if (parsed.protocol === 'ftp') {
    return { ...common, protocol: 'ftp', login: { user: parsed.user ?? '', password: parsed.password ?? '', dir: dir ?? '' } };
  }
  if (dir !== undefined) throw new UsageError(`bad --target ${quote(redactUrl(url))}: an smtp:// target has no path`);
  const auth = parsed.user !== undefined && parsed.password !== undefined ? { user: parsed.user, password: parsed.password } : undefined;
  return { ...common, protocol: 'smtp', ...(auth ? { auth } : {}) };
}

/** Whether the URL names a user and no password (so `--password-env`/`--password-file` is for it). */
export function wantsPassword(text: string): boolean {
  const url = /^[^=:/]+=(.*)$/s.exec(text)?.[1] ?? text;
  const info = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(.*)@[^@]*$/s.exec(url)?.[1];
  return info !== undefined && !info.includes(':');
}

/**
 * The URL without its path, and the path as a directory, if there is one. As RFC 1738 §3.2.2 reads an
 * FTP URL, the path after the host's "/" starts at the login directory (`/in/` -> `in`), and only an
 * encoded slash first makes it absolute (`/%2Fsrv/in` -> `/srv/in`). The path starts after the last
 * "@", as redactUrl reads it: a raw "/" in a password is never taken for a path.
 */
function splitPath(url: string): { base: string; dir?: string } {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(url);
  if (!scheme) return { base: url };
  const from = scheme[0].length + url.slice(scheme[0].length).lastIndexOf('@') + 1;
  const at = url.slice(from).search(/[/?#]/);
  if (at === -1) return { base: url };
  const cut = from + at;
  const path = url.slice(cut);
  if (path === '/') return { base: url.slice(0, cut) };
  if (/[?#]/.test(path)) throw new UsageError(`bad --target ${quote(redactUrl(url))}: a query or fragment is not allowed`);
  let dir: string;
  try {
    dir = decodeURIComponent(path);
  } catch {
    throw new UsageError(`bad --target ${quote(redactUrl(url))}: broken %-escape in the path`);
  }
  if (/[\r\n\0]/.test(dir)) throw new UsageError(`bad --target ${quote(redactUrl(url))}: a line break in the path`);
  // The "/" after the host only separates it (RFC 1738 §3.1): an absolute path begins with an encoded one.
  const absolute = /^\/%2f/i.test(path);
  const normal = posix.normalize(dir.slice(1)).replace(/(.)\/$/, '$1');
  return { base: url.slice(0, cut), dir: absolute ? normal : normal === '.' ? '' : normal };
}

/** Server knobs a scenario may set that only a server's own configuration can impose. */
const KNOBS = ['maxSessions', 'sizeLimit', 'idleTimeoutMs', 'maxPerAddress', 'active'] as const;

/**
 * Why `scenario` cannot run against an already running server, or undefined: it needs a server knob
 * (a session limit, a size limit, an idle timeout...) the proxy does not impose (a greeting delay it
 * does). A certificate the client must reject is the proxy's, which terminates TLS, as on the mock.
 */
export function notForTarget(scenario: Scenario): string | undefined {
  const knobs: Readonly<Record<string, unknown>> = { ...scenario.server };
  const needs = KNOBS.filter((k) => knobs[k] !== undefined && knobs[k] !== 0);
  if (needs.length > 0) {
    return `needs the server set up with ${needs.join(', ')}, which the proxy cannot impose on an already running server`;
  }
  return undefined;
}

/**
 * Room for what a server adds to a message before it applies its size limit: Postfix counts the
 * Received: header it prepends (some 300-500 octets) against message_size_limit, Exim its own headers.
 */
const TRACE_ROOM = 4096;

/**
 * Why a scenario's messages cannot reach a server whose EHLO advertised `sizeLimit`, or undefined: a
 * 552 to each would test the server's limit, not the client against the scenario's fault.
 */
export function overSizeLimit(scenario: Scenario, sizeLimit: number | undefined): string | undefined {
  if (scenario.protocol !== 'smtp' || !sizeLimit || scenario.messageBytes + TRACE_ROOM <= sizeLimit) return undefined;
  return `needs a message of ${scenario.messageBytes} octets, and the server's EHLO advertises SIZE ${sizeLimit} (its message size limit, with room for its own headers)`;
}

/** Why no run can deliver to `target`: it requires AUTH and its URL names no user; or undefined. */
function loginNeeded(target: Pick<ExternalSmtpTarget, 'authRequired' | 'auth'>): string | undefined {
  if (!target.authRequired || target.auth) return undefined;
  return 'needs a login: the server requires AUTH (530 to MAIL without it), and the --target URL names no user (smtp://user@host, --password-env)';
}

/** What of an SMTP target `smtpNotFor` reads: its login, and what was learnt when it was first reached. */
export type SmtpTargetFacts = Pick<ExternalSmtpTarget, 'auth' | 'sizeLimit' | 'authRequired' | 'starttlsRequired' | 'noStarttls' | 'greetingTime' | 'maildir'>;

/**
 * Why `scenario` cannot run against the SMTP `target`, whatever the client, or undefined: the one list
 * of target rules, for starting a run and for counting the messages a run sends (plannedMessages).
 */
export function smtpNotFor(scenario: Scenario, target: SmtpTargetFacts): string | undefined {
  return (
    notForTarget(scenario) ??
    overSizeLimit(scenario, target.sizeLimit) ??
    loginNeeded(target) ??
    plainTextRefused(scenario, target) ??
    tlsUnavailable(scenario, target) ??
    slowGreeting(scenario, target.greetingTime)
  );
}

/** A registry of just these targets (the command combines it with the built-in servers). */
export function externalTargets(list: readonly ExternalTarget[]): Targets {
  const named = <P extends ExternalTarget['protocol']>(protocol: P, name: string): Extract<ExternalTarget, { protocol: P }> => {
    const found = list.find((t) => t.protocol === protocol && t.name === name);
    if (!found) throw new Error(`unknown ${protocol} target "${name}"`);
    return found as Extract<ExternalTarget, { protocol: P }>;
  };
  return {
    names: (protocol) => list.filter((t) => t.protocol === protocol).map((t) => t.name),
    startSmtp: async (name, scenario) => {
      const target = named('smtp', name);
      const na = smtpNotFor(scenario, target);
      return na ? { na } : { target: await smtpTarget(target) };
    },
    startFtp: async (name, scenario, files, _family, mode) => {
      const target = named('ftp', name);
      const na = notForTarget(scenario) ?? tlsUnavailable(scenario, target) ?? modeRefused(target, mode) ?? slowGreeting(scenario, target.greetingTime);
      return na ? { na } : ftpTarget(target, files);
    },
  };
}

/** Nothing to start, settle or stop: the proxy delays greetings itself. */
function base(t: ExternalBase, close: () => Promise<void> = async () => undefined): TargetBase {
  return { name: t.name, host: t.host, port: t.port, delaysGreeting: false, external: true, idle: async () => undefined, close };
}

async function smtpTarget(t: ExternalSmtpTarget): Promise<SmtpTarget> {
  const watch = t.maildir === undefined ? undefined : await watchMaildir(t.maildir);
  return {
    ...base(t),
    ...(t.envelope ? { envelope: t.envelope } : {}),
    ...(t.auth ? { auth: t.auth } : {}),
    ...(t.authRequired ? { authRequired: true as const } : {}),
    // Read only with --maildir: without one nothing of it is counted, shared or not.
    ...(watch ? { sharedMailbox: true as const } : {}),
    ownLimits: t.sizeLimit === undefined ? 'its EHLO advertises no SIZE' : `its EHLO advertises SIZE ${t.sizeLimit}`,
    copies: async (expected) => (watch ? watch.countCopies(expected) : { copies: expected.map(() => 0), stored: 0, verifiable: false }),
  };
}

/**
 * `work` in a session of wireprobe's own, and once more in a fresh one when the first ended with no reply
 * code (the server went silent on it or dropped it): these sessions are not under test, and a server that
 * now and then stops serving one (pyftpdlib 1.5.7) still gets its runs. What happened goes to `notes`.
 */
async function retried<T>(t: ExternalFtpTarget, notes: string[], what: string, work: (client: Client) => Promise<T>): Promise<T> {
  try {
    return await session(t, work);
  } catch (first) {
    if (replyCode(first) !== undefined) throw first;
    const again = await session(t, work).catch((second: unknown) => Promise.reject(new Error(`${why(first)}; in a second session: ${why(second)}`)));
    notes.push(`wireprobe's own session ${what} ended with no reply (${why(first)}); a second session did it`);
    return again;
  }
}

/** One FTP session of wireprobe's own, straight to the server (never through the proxy). */
async function session<T>(t: ExternalFtpTarget, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client(FTP_SESSION_TIMEOUT_MS);
  try {
    await client.access({ host: t.host, port: t.port, user: t.login.user, password: t.login.password, secure: false });
    return await work(client);
  } finally {
    client.close();
  }
}

function replyCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** The reply code of a failed FTP command, or its error's message (never a password: basic-ftp's own words). */
function why(error: unknown): string {
  const e = error as { code?: unknown; message?: string };
  return typeof e.code === 'number' ? `reply ${e.code}` : (e.message ?? String(error));
}

/**
 * The target for one run: its files (downloads) put under names of the run's own (`wireprobe-<random>-`),
 * read back on demand, and every file of the run deleted by `tidy` (before the verdict) or `close`. A
 * target that refused passive mode when first reached gets no files (downloads are n/a) and nothing is
 * read back from it (uploads are not verifiable): wireprobe's own sessions are passive.
 */
async function ftpTarget(t: ExternalFtpTarget, files: Readonly<Record<string, Content>>): Promise<Started<FtpTarget>> {
  // wireprobe's own sessions (basic-ftp) move files in passive mode only.
  if (t.passiveRefused && Object.keys(files).length > 0) {
    return { na: `wireprobe puts the scenario's file there in passive mode, which the server refused when first reached (${t.passiveRefused})` };
  }
  // A path relative to the login directory is made absolute from the PWD when first reached, so every
  // client gets the same absolute paths. Without it, "/" would be a guess (right only where the login is
  // chrooted): an unknown directory is said, never guessed.
  if (!t.login.dir.startsWith('/') && t.home === undefined) {
    const where = t.login.dir ? `${quote(t.login.dir)} under the login directory` : 'the login directory';
    return {
      na: `the files go in ${where}, which is unknown: wireprobe's first session got no 257 naming it to PWD after logging in; give the path from the root instead (ftp://host/%2Fpath)`,
    };
  }
  const dir = t.login.dir.startsWith('/') ? t.login.dir : posix.join(t.home!, t.login.dir);
  const login = { ...t.login, dir, prefix: `wireprobe-${randomBytes(4).toString('hex')}-` };
  const left = new Set<string>();
  /** What the result's reason should say of wireprobe's own sessions (retried). */
  const notes: string[] = [];
  const tidy = async (): Promise<string | undefined> => {
    const said = notes.splice(0).join('; ') || undefined;
    const undone = await remove();
    return said && undone ? `${said}; ${undone}` : (said ?? undone);
  };
  const remove = async (): Promise<string | undefined> => {
    if (left.size === 0) return undefined;
    const failed: string[] = [];
    await session(t, async (client) => {
      for (const path of left) {
        await client.remove(path).then(
          () => left.delete(path),
          (error: unknown) => failed.push(`${path} (${why(error)})`),
        );
      }
    }).catch((error: unknown) => failed.push(`${[...left].join(', ')} (${why(error)})`));
    return failed.length ? `could not delete ${failed.join(', ')} on ${t.shown}: remove it by hand` : undefined;
  };
  let refused = false;
  try {
    if (Object.keys(files).length > 0) {
      await retried(t, notes, "putting the scenario's file", async (client) => {
        for (const [file, data] of Object.entries(files)) {
          const path = remotePath(login, file);
          left.add(path);
          await client.uploadFrom(data.stream(), path);
          // The download scenarios need the login to read what it put (vsftpd's anonymous one cannot).
          const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
          refused ||= await client.downloadTo(discard, path).then(
            () => false,
            (error: unknown) => (replyCode(error) === 550 ? true : Promise.reject(error)),
          );
        }
      });
    }
  } catch (error) {
    const undone = await tidy();
    throw new Error(`cannot put the scenario's file on ${t.shown}: ${why(error)}${undone ? `; ${undone}` : ''}`);
  }
  if (refused) {
    const undone = await tidy();
    return { na: `${t.shown} does not let ${login.user} download the file wireprobe put there (550), which this scenario needs${undone ? `; ${undone}` : ''}` };
  }
  const digest = async (path: string): Promise<Digest | undefined | 'unreadable'> =>
    retried(t, notes, `reading ${path} back`, async (client) => {
      // 550 to SIZE: nothing arrived; a server without SIZE (502) is read anyway.
      const size = await client.size(path).catch((error: unknown) => (replyCode(error) === 550 ? -1 : undefined));
      if (size === -1) return undefined;
      if (size !== undefined) left.add(path);
      // No passive mode to read it back in: there (or, without SIZE, maybe there), not verifiable.
      if (t.passiveRefused) return 'unreadable';
      const digester = new Digester();
      const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (digester.update(chunk), done()) });
      const got = await client.downloadTo(sink, path).catch((error: unknown) => {
        // There (SIZE answered) but refused (vsftpd's anonymous login reads only world-readable files).
        if (replyCode(error) === 550) return size === undefined ? undefined : 'unreadable';
        throw error;
      });
      if (got === undefined || got === 'unreadable') return got;
      left.add(path);
      return digester.digest();
    }).catch((error: unknown) => Promise.reject(new Error(`cannot read ${path} back from ${t.shown}: ${why(error)}`)));
  return {
    target: {
      ...base(t, async () => void (await tidy())),
      login,
      digest,
      tidy,
      restStorCorrupts: () => restStorOf(t, dir),
    },
  };
}

/** Each target's restStorCorrupts, asked once a command (its file goes in the runs' directory, `dir`). */
const restStorChecked = new WeakMap<ExternalFtpTarget, ReturnType<typeof restStorCorrupts>>();

function restStorOf(t: ExternalFtpTarget, dir: string): ReturnType<typeof restStorCorrupts> {
  let checked = restStorChecked.get(t);
  if (!checked) {
    const target = { protocol: 'ftp' as const, host: t.host, port: t.port, user: t.login.user, password: t.login.password };
    checked = restStorCorrupts(target, dir, { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: REACH_TIMEOUT_MS });
    restStorChecked.set(t, checked);
  }
  return checked;
}
