/**
 * Launching a real server: its private directory and config (the launcher's `prepare`), the process,
 * its greeting; and the handle a launcher returns. A failed start leaves nothing behind.
 */
import { awaitBanner } from './banner.js';
import { makePrivateDir, removeDir, tail } from './files.js';
import { freePort, LOOPBACK, untilPortFree } from './ports.js';
import { spawnServer, type ServerProcess, type SpawnOptions } from './process.js';
import type { RealServerHandle, RealServerLauncher, RealServerName, RealServerOptions } from './types.js';

/** A real server as our launchers return it: the contract's handle plus its processes, for checks. */
export interface LaunchedServer extends RealServerHandle {
  /** The process group we spawned (unshare's pid when the server runs in its own PID namespace). */
  readonly pid: number;
  /** Every process of the server that exists now (the spawned one and its descendants, sessions too). */
  processes(): Promise<number[]>;
}

/** A launcher whose start() gives a LaunchedServer (the contract's handle plus its processes). */
export interface ProcessLauncher extends RealServerLauncher {
  start(options?: RealServerOptions): Promise<LaunchedServer>;
}

/** A server's own words for a port bound by someone else first (vsftpd: could not bind; the others: EADDRINUSE's text). */
const PORT_TAKEN = /could not bind|address already in use/i;

/** Starts tried on free ports before a taken port is reported. */
const PORT_TRIES = 3;

/**
 * `start` on the port the options name, or else on a free port, and on another one when the server
 * found it bound: freePort's check and the server's bind are apart, and another program may bind it in
 * between. A port the user named is never replaced. (Other ports the start picks, a passive range or an
 * implicit-TLS port, are picked again by the next try.)
 */
export function onFreePort(start: (options: RealServerOptions & { readonly port: number }) => Promise<LaunchedServer>): ProcessLauncher['start'] {
  return async (options = {}) => {
    if (options.port) return start({ ...options, port: options.port });
    for (let attempt = 1; ; attempt++) {
      try {
        return await start({ ...options, port: await freePort(options.host ?? LOOPBACK) });
      } catch (error) {
        if (attempt >= PORT_TRIES || !(error instanceof Error) || !PORT_TAKEN.test(error.message)) throw error;
      }
    }
  };
}

/** What a launcher's `prepare` step gives back: the command to run in the foreground. */
export interface ServerCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** Log files whose tail goes into the error when the server does not come up. */
  readonly logs?: readonly string[];
}

/** A server up and answering, with its private directory. */
export interface Launched {
  readonly dir: string;
  /** The address it listens and greeted on: 127.0.0.1 or ::1. */
  readonly host: string;
  readonly server: ServerProcess;
  readonly greeting: string;
  /** Stops the server, waits until its port is free, removes its directory; idempotent. */
  close(): Promise<void>;
}

/**
 * Makes a private directory (`prefix` + random), lets `prepare` write the server's config into it,
 * spawns the command and awaits its `220 ` greeting on 127.0.0.1:`port`. Any failure stops the
 * process, removes the directory and rejects with the server's output and log tails: a failed start
 * leaves nothing behind.
 */
export async function launchServer(spec: {
  readonly name: RealServerName;
  readonly prefix: string;
  readonly port: number;
  /** Where it listens; default 127.0.0.1. */
  readonly host?: string;
  readonly prepare: (dir: string) => Promise<ServerCommand>;
  readonly spawn?: SpawnOptions;
  /** The port speaks TLS from the first byte (implicit FTPS): the greeting is awaited over TLS. */
  readonly implicitTls?: boolean;
}): Promise<Launched> {
  const host = spec.host ?? LOOPBACK;
  const dir = await makePrivateDir(spec.prefix);
  let server: ServerProcess | undefined;
  let logs: readonly string[] = [];
  /** `up`: it greeted, so its port is its own until it has gone (after a failed start it may be someone else's). */
  const close = async (up: boolean): Promise<void> => {
    await server?.stop();
    if (up) await untilPortFree(spec.port, host);
    await removeDir(dir);
  };
  try {
    const command = await spec.prepare(dir);
    logs = command.logs ?? [];
    server = await spawnServer(command.command, command.args, { cwd: dir, ...spec.spawn });
    const greeting = await awaitBanner(server, spec.port, { name: spec.name, implicitTls: spec.implicitTls === true, host });
    let closing: Promise<void> | undefined;
    return { dir, host, server, greeting, close: () => (closing ??= close(true)) };
  } catch (error) {
    const tails = (await Promise.all(logs.map(async (log) => [log, (await tail(log)).trim()] as const))).filter(([, text]) => text);
    await close(false);
    if (error instanceof Error && tails.length > 0) error.message += tails.map(([log, text]) => `\n--- ${log}:\n${text}`).join('');
    throw error;
  }
}

/** Builds the handle of a launched server (protocol-neutral: `login`, `read`, `messages` as the launcher gives). */
export function serverHandle(
  launched: Launched,
  fields: Pick<RealServerHandle, 'name' | 'protocol' | 'port' | 'storage' | 'login' | 'read' | 'digest' | 'put' | 'messages' | 'stored' | 'overridden' | 'tls'>,
): LaunchedServer {
  const { login, read, put, messages, overridden, tls, ...rest } = fields;
  return {
    ...rest,
    host: launched.host,
    url: `${fields.protocol}://${urlHost(launched.host)}:${fields.port}`,
    ...(login ? { login } : {}),
    ...(read ? { read } : {}),
    ...(put ? { put } : {}),
    ...(messages ? { messages } : {}),
    ...(overridden ? { overridden } : {}),
    ...(tls ? { tls } : {}),
    pid: launched.server.pid,
    processes: () => launched.server.processes(),
    close: () => launched.close(),
  };
}

/** `host` as a URL names it: an IPv6 address in brackets (RFC 3986 §3.2.2). */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
