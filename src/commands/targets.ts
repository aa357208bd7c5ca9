/**
 * The built-in servers a run can use: the mocks (`mock-smtp`, `mock-ftp`) and the real servers'
 * launchers (servers/real/), as the `Targets` registry the commands hand the engine. Scenario knobs
 * are mapped here to each server's own option names.
 *
 *   scenario knobs ──► mock: startSmtpServer / startFtpServer (their option names)
 *                 └──► real: RealServerOptions ──► launcher.unsupported? n/a : launcher.start()
 */
import type { Content } from '../util/content.js';
import { basename, resolve } from 'node:path';
import { startFtpServer, type FtpServerOptions } from '../../servers/ftp.js';
import { REAL_SERVERS } from '../../servers/real/index.js';
import type { RealServerHandle, RealServerLauncher, RealServerOptions } from '../../servers/real/types.js';
import type { ConfigurableServer } from '../../servers/real/user-config.js';
import { startSmtpServer, type SmtpServerOptions } from '../../servers/smtp.js';
import { tlsStart } from '../clients/tls-mode.js';
import { MOCK_SERVERS } from '../engine/identity.js';
import { remotePath, type FtpTarget, type SmtpTarget, type Started, type TargetBase, type Targets } from '../engine/targets.js';
import type { Family, FtpScenario, Protocol, SmtpScenario } from '../engine/types.js';
import { StoredCopies, sentSummaries } from '../util/stored-copies.js';

/** The mocks, every real server wireprobe has a launcher for, and the user's configurations in `configs`. */
export function builtinTargets(configs: UserConfigs = new UserConfigs()): Targets {
  return {
    names: (protocol) => serverNames(protocol, configs),
    startSmtp: (name, scenario, family) => startSmtpTarget(name, scenario, configs, hostOf(family)),
    startFtp: (name, scenario, files, family) => startFtpTarget(name, scenario, files, configs, hostOf(family)),
  };
}

/** Where a built-in server listens for a run over `family`: ::1 for IPv6, so the whole path is one family. */
function hostOf(family: Family | undefined): '127.0.0.1' | '::1' {
  return family === 6 ? '::1' : '127.0.0.1';
}

/** Every built-in server name of `protocol`, its mock first, then the user's configurations in `configs`. */
export function serverNames(protocol: Protocol, configs: UserConfigs = new UserConfigs()): string[] {
  const real = REAL_SERVERS.filter((l) => l.protocol === protocol).map((l) => l.name);
  return [MOCK_SERVERS[protocol], ...real, ...configs.names().filter((name) => real.includes(configs.get(name)!.launcher))];
}

/** A user's config file a launcher runs: `file` as the user wrote it, `path` absolute. */
interface UserConfig {
  readonly launcher: ConfigurableServer;
  readonly file: string;
  readonly path: string;
}

/** The user's own server configurations one run uses (`--server postfix:./main.cf`), by the server name results carry. */
export class UserConfigs {
  readonly #byName = new Map<string, UserConfig>();

  /**
   * Adds `launcher` with the user's config `file` and returns its server name: `postfix:main.cf`, the
   * file's base name with anything but letters, digits, `.`, `_` and `-` made `_` (the name goes into
   * result ids, transcript file names, JUnit and HTML), `-2`... when another file has the same base
   * name. The same file gives the same name.
   */
  learn(launcher: ConfigurableServer, file: string): string {
    const path = resolve(file);
    const base = `${launcher}:${basename(path).replace(/[^A-Za-z0-9._-]/g, '_')}`;
    for (let n = 1; ; n++) {
      const name = n === 1 ? base : `${base}-${n}`;
      const known = this.#byName.get(name);
      if (known && known.path !== path) continue;
      if (!known) this.#byName.set(name, { launcher, file, path });
      return name;
    }
  }

  get(name: string): UserConfig | undefined {
    return this.#byName.get(name);
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }
}

/** The account runs log in to the mock FTP server with; the password never reaches a report (PASS is redacted). */
const MOCK_FTP_LOGIN = { user: 'wireprobe', password: 'wireprobe-secret', dir: '/' };
/** The login the SMTP mock requires when a scenario asks for AUTH (SmtpServerKnobs.auth). */
const MOCK_SMTP_LOGIN = { user: 'wireprobe', password: 'wireprobe-smtp-secret' };

function launcher(name: string, configs: UserConfigs): RealServerLauncher {
  const base = configs.get(name)?.launcher ?? name;
  const found = REAL_SERVERS.find((l) => l.name === base);
  if (!found) throw new Error(`unknown server "${name}"`);
  return found;
}

/** Starts a real server for `options`, or says why it cannot run here. */
async function startReal(name: string, options: RealServerOptions, configs: UserConfigs): Promise<Started<RealServerHandle>> {
  const real = launcher(name, configs);
  if (!(await real.installed())) return { na: `${real.name} not found: ${real.install}` };
  const cannot = real.unsupported(options);
  if (cannot) return { na: `${name} cannot be set up for this scenario: ${cannot}` };
  const user = configs.get(name);
  return { target: await real.start(user ? { ...options, configFile: user.path } : options) };
}

/** The SMTP mock's own names for a scenario's knobs. */
function smtpMockOptions(scenario: SmtpScenario): SmtpServerOptions {
  const { sizeLimit, maxSessions, greetingDelayMs, chunking, auth } = scenario.server ?? {};
  const start = tlsStart(scenario.tls ?? 'none');
  return {
    ...(sizeLimit !== undefined ? { sizeLimit } : {}),
    ...(chunking !== undefined ? { chunking } : {}),
    ...(maxSessions !== undefined ? { maxClients: maxSessions } : {}),
    ...(greetingDelayMs !== undefined ? { bannerDelayMs: greetingDelayMs } : {}),
    ...(auth ? { auth, users: { [MOCK_SMTP_LOGIN.user]: MOCK_SMTP_LOGIN.password } } : {}),
    // The mock speaks TLS as the client expects it: after STARTTLS, or from the first octet (RFC 8314 §3.3).
    tls: start === 'none' ? 'off' : start,
  };
}

/** What a server handle gives every target: where it listens and how it closes. */
interface Listening {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A mock's part of its target: it holds its own greetings, and has settled once no connection is open. */
function mockBase(name: string, server: Listening & { idle(): Promise<void> }): TargetBase {
  return { name, host: server.host, port: server.port, delaysGreeting: true, idle: () => server.idle(), close: () => server.close() };
}

/** A real server's part of its target: the proxy delays its greetings, and it is not waited on to settle. */
function realBase(name: string, real: Listening & Pick<RealServerHandle, 'overridden'>, user: UserConfig | undefined): TargetBase {
  return {
    name,
    host: real.host,
    port: real.port,
    delaysGreeting: false,
    ...(user ? { config: { file: user.file, overridden: real.overridden ?? [] } } : {}),
    idle: async () => undefined,
    close: () => real.close(),
  };
}

/** Starts the SMTP server a scenario runs against. */
async function startSmtpTarget(name: string, scenario: SmtpScenario, configs: UserConfigs, host: '127.0.0.1' | '::1'): Promise<Started<SmtpTarget>> {
  const knobs = scenario.server ?? {};
  const tls = (scenario.tls ?? 'none') !== 'none';
  const implicit = tlsStart(scenario.tls ?? 'none') === 'implicit';
  if (name === MOCK_SERVERS.smtp) {
    const server = await startSmtpServer({ ...smtpMockOptions(scenario), host });
    return {
      target: {
        ...mockBase(name, server),
        ...(scenario.server?.auth ? { auth: MOCK_SMTP_LOGIN } : {}),
        copies: async (expected) => {
          const sent = await Promise.all(expected.map((content) => content.digest()));
          return {
            copies: sent.map(({ bytes, sha256 }) => server.messages.filter((m) => m.bytes === bytes && m.sha256 === sha256).length),
            stored: server.messages.length,
          };
        },
      },
    };
  }
  // The mock takes any size unless told; a stock MTA stops at its own limit (Postfix: 10 MB), which
  // would turn a large-message scenario into a size refusal: room for the scenario's messages instead.
  // A user's configuration keeps its own limit (that is what is being validated) unless the scenario sets one.
  // The launchers set up no AUTH: a scenario whose login is the mock's has nothing to log in to.
  if (knobs.auth) return { na: `${name} is not set up for SMTP AUTH, which this scenario needs` };
  const room = 2 * scenario.messageBytes + 1024 * 1024;
  const size = knobs.sizeLimit || (configs.get(name) ? undefined : Math.max(room, 10_240_000));
  const options: RealServerOptions = {
    ...(host !== '127.0.0.1' ? { host } : {}),
    ...(size ? { messageSizeLimit: size } : {}),
    ...(knobs.maxSessions ? { maxSessions: knobs.maxSessions } : {}),
    ...(tls ? { tls: true } : {}),
    // Implicit TLS (RFC 8314 §3.3): the launchers add a listener where TLS starts at connect (port 465 style).
    ...(implicit ? { tlsImplicit: true } : {}),
  };
  const started = await startReal(name, options, configs);
  if ('na' in started) return started;
  const real = started.target;
  const port = implicit ? real.tls?.implicitPort : real.port;
  if (port === undefined) {
    await real.close();
    return { na: `${name} gave no implicit TLS port, which this scenario needs` };
  }
  // Postfix and Exim store a message with their trace headers (a user's configuration: its milters' and
  // header_checks' too) and LF line ends: a copy is the sent one with fields added, CRLF made LF. Each
  // stored message is read as a stream into a summary, once (../util/stored-copies.ts); their own store
  // is never moved, so one that cannot be read is wireprobe's error, not a damaged message.
  const stored = new StoredCopies({ lineEnds: 'lf', strict: true });
  return {
    target: {
      ...realBase(name, real, configs.get(name)),
      port,
      copies: async (expected) => {
        await real.settle?.();
        const messages = (await real.stored?.()) ?? [];
        // Nothing to compare with (a client that composes its own message): counted, none read.
        if (expected.length === 0) return { copies: [], stored: messages.length };
        const { copies } = await stored.count(messages, await sentSummaries(expected));
        return { copies, stored: messages.length };
      },
    },
  };
}

/** Starts the FTP server a scenario runs against; `files` (names in the login's directory) are there from the start. */
async function startFtpTarget(
  name: string,
  scenario: FtpScenario,
  files: Readonly<Record<string, Content>>,
  configs: UserConfigs,
  host: '127.0.0.1' | '::1',
): Promise<Started<FtpTarget>> {
  const knobs = scenario.server ?? {};
  if (name === MOCK_SERVERS.ftp) {
    const preload = Object.fromEntries(Object.entries(files).map(([file, data]) => [remotePath(MOCK_FTP_LOGIN, file), data]));
    // The knobs carry the FTP mock's own option names.
    // FTPS as the client expects it: AUTH TLS (RFC 4217) for the starttls modes, from the first octet for the implicit ones.
    const start = knobs.ftps === 'off' ? 'none' : tlsStart(scenario.tls ?? 'none');
    const tls = start === 'none' ? 'off' : start === 'starttls' ? 'explicit' : 'implicit';
    const { ftps: _mockTls, ...mockKnobs } = knobs;
    const options: FtpServerOptions = { users: { [MOCK_FTP_LOGIN.user]: MOCK_FTP_LOGIN.password }, anonymous: 'off', ...mockKnobs, tls, files: preload, host };
    const server = await startFtpServer(options);
    return {
      target: {
        ...mockBase(name, server),
        ...(server.ca ? { ca: server.ca } : {}),
        login: MOCK_FTP_LOGIN,
        digest: (path) => server.digest(path),
      },
    };
  }
  const { greetingDelayMs: _proxyDoesIt, ftps: _own, ...rest } = knobs;
  if (rest.protP === 'refuse') return { na: `${name} cannot be told to refuse PROT P (the mock can)` };
  const options: RealServerOptions = {
    ...(host !== '127.0.0.1' ? { host } : {}),
    ...(rest.maxSessions ? { maxSessions: rest.maxSessions } : {}),
    ...(rest.maxPerAddress ? { maxPerAddress: rest.maxPerAddress } : {}),
    ...(rest.idleTimeoutMs ? { idleTimeoutMs: rest.idleTimeoutMs } : {}),
    ...(rest.active ? { active: rest.active } : {}),
    ...realFtps(launcher(name, configs).name, scenario),
  };
  const started = await startReal(name, options, configs);
  if ('na' in started) return started;
  const real = started.target;
  if (!real.login || !real.digest || !real.put) {
    await real.close();
    throw new Error(`the ${name} launcher gives no login, digest or put`);
  }
  try {
    for (const [file, data] of Object.entries(files)) await real.put(remotePath(real.login, file), data);
  } catch (error) {
    await real.close(); // the runner gets no target to close
    throw error;
  }
  const digest = real.digest.bind(real);
  return {
    target: { ...realBase(name, real, configs.get(name)), login: real.login, digest },
  };
}

/**
 * A real FTP server's FTPS for a scenario: AUTH TLS, or implicit (port 990 style), the session-reuse and
 * clear-text knobs as the scenario says (else each server's own default: vsftpd and proftpd require reuse,
 * pure-ftpd cannot). The proxy terminates TLS, so the server's certificate is never verified by anyone:
 * the launcher's own will do. vsftpd 3.0.3 over TLS 1.3 loses about half of the uploads (426, its issue
 * #7), so it speaks TLS 1.2 to the proxy.
 */
function realFtps(server: string, scenario: FtpScenario): RealServerOptions {
  const { requireTlsReuse, requireTls, ftps } = scenario.server ?? {};
  const start = ftps === 'off' ? 'none' : tlsStart(scenario.tls ?? 'none');
  if (start === 'none') return {};
  return {
    tls: true,
    ...(start === 'implicit' ? { tlsImplicit: true } : {}),
    ...(requireTlsReuse !== undefined ? { tlsSessionReuse: requireTlsReuse } : {}),
    ...(requireTls ? { tlsRequired: true } : {}),
    ...(server === 'vsftpd' ? { tlsMaxVersion: 'TLSv1.2' as const } : {}),
  };
}
