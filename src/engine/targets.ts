/**
 * The server a run talks to through the proxy: a mock (`mock-smtp`, `mock-ftp`) or a real one started
 * by its launcher (servers/real/). Both look the same to the runners: where it listens, how to log in
 * (FTP), what it received (for integrity checks), and how to stop it.
 *
 *   scenario knobs ──► mock: startSmtpServer / startFtpServer (every knob)
 *                 └──► real: RealServerOptions ──► launcher.unsupported? n/a : launcher.start()
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { startFtpServer } from '../../servers/ftp.js';
import { REAL_SERVERS } from '../../servers/real/index.js';
import type { RealServerHandle, RealServerLauncher, RealServerOptions } from '../../servers/real/types.js';
import { startSmtpServer } from '../../servers/smtp.js';
import type { Protocol, Scenario } from './types.js';

export const MOCK_SERVERS: Readonly<Record<Protocol, string>> = { smtp: 'mock-smtp', ftp: 'mock-ftp' };

/** Every server name a run can use, per protocol, mocks first. */
export function serverNames(protocol: Protocol): string[] {
  return [MOCK_SERVERS[protocol], ...REAL_SERVERS.filter((l) => l.protocol === protocol).map((l) => l.name)];
}

/** The protocol a server name belongs to, or undefined for an unknown name. */
export function protocolOfServer(name: string): Protocol | undefined {
  if (name === MOCK_SERVERS.smtp) return 'smtp';
  if (name === MOCK_SERVERS.ftp) return 'ftp';
  return REAL_SERVERS.find((l) => l.name === name)?.protocol;
}

interface TargetBase {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Resolves once the server has settled after the clients left (mocks: no connection open). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface SmtpTarget extends TargetBase {
  /**
   * How many stored messages are each expected message (as sent, byte for byte), and how many are stored
   * in all: a real MTA delivers to its mailbox after the 250, so this first waits for its queue to drain,
   * which also catches a message it accepted while the client never saw the 250.
   */
  copies(expected: readonly Buffer[]): Promise<{ readonly copies: readonly number[]; readonly stored: number }>;
}

export interface FtpTarget extends TargetBase {
  readonly login: { readonly user: string; readonly password: string; readonly dir: string };
  /** The content of the file at remote `path`, or undefined. */
  read(path: string): Promise<Buffer | undefined>;
}

/** A target, or why the scenario cannot run there (`n/a`). */
export type Started<T> = { readonly target: T } | { readonly na: string };

/** The account runs log in to the mock FTP server with; the password never reaches a report (PASS is redacted). */
const MOCK_FTP_LOGIN = { user: 'wireprobe', password: 'wireprobe-secret', dir: '/' };

function launcher(name: string): RealServerLauncher {
  const found = REAL_SERVERS.find((l) => l.name === name);
  if (!found) throw new Error(`unknown server "${name}"`);
  return found;
}

/** Starts a real server for `options`, or says why it cannot run here. */
async function startReal(name: string, options: RealServerOptions): Promise<Started<RealServerHandle>> {
  const real = launcher(name);
  if (!(await real.installed())) return { na: `${name} not found: ${real.install}` };
  const cannot = real.unsupported(options);
  if (cannot) return { na: `${name} cannot be set up for this scenario: ${cannot}` };
  return { target: await real.start(options) };
}

/**
 * Postfix and Exim store a message with their trace headers prepended and LF line ends: a stored
 * message is a copy when it ends with the sent one, CRLF turned to LF.
 */
function storedAs(sent: Buffer): Buffer {
  return Buffer.from(sent.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
}

/** Starts the SMTP server a scenario runs against. */
export async function startSmtpTarget(name: string, scenario: Scenario): Promise<Started<SmtpTarget>> {
  const knobs = scenario.server ?? {};
  const tls = (scenario.tls ?? 'none') !== 'none';
  if (name === MOCK_SERVERS.smtp) {
    const server = await startSmtpServer({ ...knobs, tls: tls ? 'starttls' : 'off' });
    return {
      target: {
        name,
        host: server.host,
        port: server.port,
        idle: () => server.idle(),
        close: () => server.close(),
        copies: async (expected) => ({
          copies: expected.map((data) => server.messages.filter((m) => m.bytes === data.length && m.sha256 === sha256(data)).length),
          stored: server.messages.length,
        }),
      },
    };
  }
  // The mock takes any size unless told; a stock MTA stops at its own limit (Postfix: 10 MB), which
  // would turn a large-message scenario into a size refusal: room for the scenario's messages instead.
  const room = 2 * scenario.messageBytes + 1024 * 1024;
  const options: RealServerOptions = {
    messageSizeLimit: knobs.sizeLimit || Math.max(room, 10_240_000),
    ...(knobs.maxClients ? { maxSessions: knobs.maxClients } : {}),
    ...(tls ? { tls: true } : {}),
  };
  const started = await startReal(name, options);
  if ('na' in started) return started;
  const real = started.target;
  return {
    target: {
      name,
      host: real.host,
      port: real.port,
      idle: async () => undefined,
      close: () => real.close(),
      copies: async (expected) => {
        await real.settle?.();
        const stored = (await real.messages?.()) ?? [];
        const wanted = expected.map(storedAs);
        return { copies: wanted.map((w) => stored.filter((m) => m.subarray(-w.length).equals(w)).length), stored: stored.length };
      },
    },
  };
}

/** Starts the FTP server a scenario runs against; `files` (names in the login's directory) are there from the start. */
export async function startFtpTarget(name: string, scenario: Scenario, files: Readonly<Record<string, Buffer>>): Promise<Started<FtpTarget>> {
  const knobs = scenario.ftpServer ?? {};
  if (name === MOCK_SERVERS.ftp) {
    const preload = Object.fromEntries(Object.entries(files).map(([file, data]) => [remotePath(MOCK_FTP_LOGIN, file), data]));
    const server = await startFtpServer({ users: { [MOCK_FTP_LOGIN.user]: MOCK_FTP_LOGIN.password }, anonymous: 'off', ...knobs, files: preload });
    return {
      target: {
        name,
        host: server.host,
        port: server.port,
        login: MOCK_FTP_LOGIN,
        idle: () => server.idle(),
        close: () => server.close(),
        read: async (path) => server.read(path),
      },
    };
  }
  const { greetingDelayMs: _proxyDoesIt, ...rest } = knobs;
  const options: RealServerOptions = {
    ...(rest.maxSessions ? { maxSessions: rest.maxSessions } : {}),
    ...(rest.maxPerAddress ? { maxPerAddress: rest.maxPerAddress } : {}),
    ...(rest.idleTimeoutMs ? { idleTimeoutMs: rest.idleTimeoutMs } : {}),
    ...(rest.active ? { active: rest.active } : {}),
  };
  const started = await startReal(name, options);
  if ('na' in started) return started;
  const real = started.target;
  if (!real.login || !real.read || !real.put) {
    await real.close();
    throw new Error(`the ${name} launcher gives no login, read or put`);
  }
  try {
    for (const [file, data] of Object.entries(files)) await real.put(remotePath(real.login, file), data);
  } catch (error) {
    await real.close(); // the runner gets no target to close
    throw error;
  }
  const read = real.read.bind(real);
  return {
    target: { name, host: real.host, port: real.port, login: real.login, idle: async () => undefined, close: () => real.close(), read },
  };
}

/** A remote path inside the login's upload directory. */
export function remotePath(login: FtpTarget['login'], name: string): string {
  return posix.join(login.dir, name);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
