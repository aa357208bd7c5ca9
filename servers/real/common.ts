/**
 * Helpers every real-server launcher shares (FTP and SMTP alike): free loopback ports, a private
 * temporary directory, a self-signed localhost certificate, finding a binary, short helper commands,
 * and a server process that starts in the foreground and is stopped completely.
 *
 *   spawnServer ──► unshare --pid --fork --kill-child ─┬─ SERVER ARGS               (init 'server')
 *        │            (own process group, run through   └─ sh -c '"$@" & wait $!'   (init 'shell')
 *        │             setpriv --pdeathsig SIGKILL)          └─ SERVER ARGS
 *        ├─ awaitBanner: connect until `220 ` (retrying while refused), QUIT, wait for the close
 *        ├─ untilNoChildren: the probe session's process is gone (it would count against max clients)
 *        └─ stop: SIGTERM to the server, SIGKILL (server and namespace init) after a bounded wait;
 *                 resolves once unshare has exited, i.e. every process of the server is gone
 *
 * Why a PID namespace: vsftpd's sessions call setsid(), so killing the server's process group misses
 * them, and they outlive the listener. When a namespace's init exits the kernel kills and reaps every
 * process in it before unshare (our child) sees it exit: "exited" then means "all gone", with no
 * orphaned zombie left to this machine's PID 1 (which reaps only every ~2 s here).
 * Who is init: by default the server itself (Postfix's `start-fg` execs its master only as PID 1).
 * An init inherits every orphan, and some servers cannot take a child they did not fork: vsftpd's
 * listener crashes (SIGSEGV, ~1 start in 8 measured here) when it reaps one, as its SIGCHLD handler
 * looks the pid up in its own table and dereferences the miss. With init 'shell' a shell is PID 1: it
 * reaps orphans and ignores them, and exits (tearing the namespace down) when the server exits.
 * A namespace init gets SIGTERM only through a handler: stop() sends SIGKILL at once to an init
 * server that has none (SIGTERM's default action, terminate, is what SIGKILL does).
 * Without root (or in a container without CAP_SYS_ADMIN) the server runs as a plain process group:
 * stop() SIGKILLs its sessions from the leaves up (each reaped by its own parent), then stops the
 * group, then waits (bounded) for any orphan PID 1 still has to reap (up to ~2 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, posix } from 'node:path';
import { generate } from 'selfsigned';
import { SERVERS_ROOT, type RealServerHandle, type RealServerLauncher, type RealServerName, type RealServerOptions } from './types.js';

/** The only address real servers bind and advertise (network rule: loopback only). */
export const LOOPBACK = '127.0.0.1';

/** How long a server may take from spawn to its `220 ` banner before start() gives up. */
export const START_DEADLINE_MS = 10_000;

/** How long stop() waits after SIGTERM before SIGKILL, and again after SIGKILL before giving up. */
export const STOP_GRACE_MS = 3_000;

/** Output kept per server process for error messages (the tail wins). */
const MAX_OUTPUT = 16 * 1024;

/** Ports in a passive range an FTP launcher picks when none is given (contiguous, inclusive). */
export const PASSIVE_RANGE_SIZE = 16;

/** Interval of the bounded polls below (connect retries, /proc checks, port checks). */
const POLL_MS = 5;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `address` is an IPv4 loopback address (127.0.0.0/8), the only kind real servers may advertise. */
export function isLoopbackV4(address: string): boolean {
  return net.isIPv4(address) && address.startsWith('127.');
}

// ── ports ────────────────────────────────────────────────────────────────────────────────────────

/** Resolves true when `port` can be listened on at `host` right now (SO_REUSEADDR, as servers use). */
export function portFree(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** A port the OS just handed out on `host` (and took back): free unless someone grabs it first. */
export async function freePort(host = LOOPBACK): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen({ port: 0, host, exclusive: true }, resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * `count` contiguous free ports on `host`, inclusive bounds. Picked below Linux's default ephemeral
 * range (32768-60999) so outgoing connections do not take them meanwhile; random start, each port
 * checked by binding it.
 */
export async function freePortRange(count: number, host = LOOPBACK): Promise<[number, number]> {
  const low = 20_000;
  const high = 32_000 - count;
  for (let attempt = 0; attempt < 100; attempt++) {
    const first = low + Math.floor(Math.random() * (high - low));
    let ok = true;
    for (let port = first; ok && port < first + count; port++) ok = await portFree(port, host);
    if (ok) return [first, first + count - 1];
  }
  throw new Error(`no ${count} contiguous free ports on ${host} between ${low} and ${high + count}`);
}

/** Resolves once `port` can be listened on again, or false after `deadlineMs`. */
export async function untilPortFree(port: number, host = LOOPBACK, deadlineMs = STOP_GRACE_MS): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await portFree(port, host)) return true;
    if (Date.now() >= deadline) return false;
    await pause(POLL_MS);
  }
}

// ── files ────────────────────────────────────────────────────────────────────────────────────────

/** A fresh directory under the OS temp dir, mode 0700 (a launcher may open it further for its server's user). */
export async function makePrivateDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o700);
  return dir;
}

/** Removes `dir` and everything in it; no error when it is already gone. */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** The files of a self-signed certificate for localhost (CN=localhost, SAN localhost and 127.0.0.1). */
export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** Certificate then key in one file (pure-ftpd wants them together). */
  readonly combinedFile: string;
}

/** Writes a fresh RSA 2048 self-signed localhost certificate, valid 2 days, into `dir` (key files mode 0600). */
export async function writeLocalhostCertificate(dir: string): Promise<CertificateFiles> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 2 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: LOOPBACK }] },
    ],
  });
  const files = { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), combinedFile: join(dir, 'combined.pem') };
  await writeFile(files.certFile, pems.cert, { mode: 0o644 });
  await writeFile(files.keyFile, pems.private, { mode: 0o600 });
  await writeFile(files.combinedFile, `${pems.cert.trim()}\n${pems.private.trim()}\n`, { mode: 0o600 });
  return files;
}

/** The last `bytes` of a file, or '' when it cannot be read (for error messages). */
export async function tail(file: string, bytes = 4096): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '';
  }
}

// ── binaries and helper commands ─────────────────────────────────────────────────────────────────

/**
 * The absolute path of `name`: first on PATH (plus /usr/sbin and /sbin, which a non-root PATH may
 * lack), then unpacked under `serversRoot` (`$ROOT/root/usr/sbin/NAME`, `.../usr/bin/NAME`). A name
 * containing a slash is taken as a path. Undefined when it is not there (or not executable).
 */
export async function findBinary(name: string, serversRoot = SERVERS_ROOT): Promise<string | undefined> {
  const executable = (path: string): Promise<boolean> => access(path, fsConstants.X_OK).then(() => true, () => false);
  if (name.includes('/')) return (await executable(name)) ? name : undefined;
  const onPath = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const unpacked = ['usr/sbin', 'usr/bin', 'sbin', 'bin'].map((dir) => join(serversRoot, 'root', dir));
  for (const dir of [...new Set([...onPath, '/usr/sbin', '/sbin']), ...unpacked]) {
    const path = join(dir, name);
    if (await executable(path)) return path;
  }
  return undefined;
}

/** Runs a short helper command (`openssl passwd`, `pure-pw mkdb`); resolves with its stdout, rejects with its stderr. */
export function runHelper(command: string, args: readonly string[], options: { readonly stdin?: string; readonly timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 10_000, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} failed (${code ?? signal}): ${stderr.trim()}`));
    });
  });
}

/** A SHA-512 crypt(3) hash (`$6$...`) of `password` from `openssl passwd -6`; the password goes through stdin, never argv. */
export async function sha512Crypt(password: string): Promise<string> {
  const hash = (await runHelper('openssl', ['passwd', '-6', '-stdin'], { stdin: `${password}\n` })).trim();
  if (!hash.startsWith('$6$')) throw new Error('openssl passwd -6 gave no SHA-512 crypt hash');
  return hash;
}

/** A system account from the passwd database (NSS, via getent). */
export interface Account {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** Looks `name` up with `getent passwd`; undefined when there is no such account. */
export async function account(name: string): Promise<Account | undefined> {
  const line = await runHelper('getent', ['passwd', name]).catch(() => '');
  const fields = line.trim().split(':');
  if (fields.length < 7) return undefined;
  return { name, uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5] ?? '' };
}

// ── processes ────────────────────────────────────────────────────────────────────────────────────

/** Child pids of `pid` (every thread's), from /proc; [] when it is gone. */
async function childrenOf(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const lists = await Promise.all(tasks.map((tid) => readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '')));
  return lists.flatMap((list) => list.split(' ').filter(Boolean).map(Number));
}

/** `pid` and all its descendants that exist now (zombies included), parents before children. */
async function family(pid: number): Promise<number[]> {
  const found: number[] = [];
  let level = [pid];
  while (level.length > 0) {
    found.push(...level);
    level = (await Promise.all(level.map(childrenOf))).flat();
  }
  return [...new Set(found)];
}

/** Living (not zombie) descendants of `pid`, each with its parent. */
async function livingDescendants(pid: number): Promise<Map<number, number>> {
  const found = new Map<number, number>();
  let level = [pid];
  while (level.length > 0) {
    const next: number[] = [];
    for (const parent of level) {
      for (const child of await childrenOf(parent)) {
        const info = await stat(child);
        if (found.has(child) || !info || info.state === 'Z') continue;
        found.set(child, parent);
        next.push(child);
      }
    }
    level = next;
  }
  return found;
}

/** Resolves once none of `pids` exists any more (reaped), or after `ms`. */
async function untilGone(pids: readonly number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = (await Promise.all(pids.map(stat))).filter(Boolean);
    if (left.length === 0) return true;
    if (Date.now() >= deadline) return false;
    await pause(POLL_MS);
  }
}

/** What /proc/PID/stat says of a process: state, process group, start time (ticks); undefined when gone. */
interface ProcStat {
  readonly state: string;
  readonly pgrp: number;
  readonly start: string;
}

/** Reads /proc/PID/stat (fields after the command name: state is field 3, pgrp 5, starttime 22). */
async function stat(pid: number): Promise<ProcStat | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', pgrp: Number(fields[2]), start: fields[19] ?? '' };
}

/** Whether `pid` has a SIGTERM handler installed (SigCgt in /proc/PID/status). */
async function catchesSigterm(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const caught = /^SigCgt:\s*([0-9a-f]+)/m.exec(status)?.[1];
  return caught !== undefined && (BigInt(`0x${caught}`) & (1n << 14n)) !== 0n; // SIGTERM is 15: bit 14
}

/** `pids` with their start times, so that a pid reused by another process is never signalled later. */
async function identify(pids: readonly number[]): Promise<Array<{ readonly pid: number; readonly start: string }>> {
  const infos = await Promise.all(pids.map(stat));
  return pids.flatMap((pid, i) => (infos[i] ? [{ pid, start: infos[i].start }] : []));
}

const signal = (target: number, name: NodeJS.Signals): void => {
  try {
    process.kill(target, name);
  } catch {
    // Already gone.
  }
};

/** Whether this process may start servers in their own PID namespace (root, and unshare works here). */
export async function canIsolate(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  return runHelper('unshare', ['--pid', '--fork', '--kill-child', '--', 'true'], { timeoutMs: 5_000 }).then(() => true, () => false);
}

/** A server process started by spawnServer. */
export interface ServerProcess {
  /** The pid we spawned: the process group id of the server (unshare's pid when isolated). */
  readonly pid: number;
  /** Whether the server runs in its own PID namespace. */
  readonly isolated: boolean;
  /** Resolves when the spawned process has exited (isolated: every process of the server is gone). */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
  /** Whether it has exited already. */
  hasExited(): boolean;
  /** The last few KiB of its stdout and stderr, interleaved. */
  output(): string;
  /** The server's own main process (the listener), or undefined when it is gone. */
  main(): Promise<number | undefined>;
  /** Every process of the server that exists now: the spawned pid and its descendants. */
  processes(): Promise<number[]>;
  /** Stops it completely (see the file header); idempotent; never rejects. */
  stop(): Promise<void>;
}

/** How to spawn a server. */
export interface SpawnOptions {
  /** Working directory; default the current one. */
  readonly cwd?: string;
  /** 'auto' (default): a PID namespace when canIsolate(); 'never': a plain process group. */
  readonly isolate?: 'auto' | 'never';
  /** The namespace's init: 'server' (default) the server itself; 'shell' a shell that reaps orphans (see the header). */
  readonly init?: 'server' | 'shell';
}

/** Spawns `command args` in the foreground as its own process group, capturing its output (bounded). */
export async function spawnServer(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<ServerProcess> {
  const isolated = options.isolate !== 'never' && (await canIsolate());
  const shell = isolated && options.init === 'shell';
  const unshare = ['--pid', '--fork', '--kill-child', '--'];
  const [file, argv] = !isolated
    ? [command, [...args]]
    : shell
      ? ['unshare', [...unshare, '/bin/sh', '-c', '"$@" & wait $!', 'wireprobe-init', command, ...args]]
      : ['unshare', [...unshare, command, ...args]];
  // If wireprobe dies without stopping the server (a second Ctrl-C exits at once, a crash, SIGKILL),
  // the kernel sends unshare SIGKILL (setpriv's parent-death signal, kept across its exec of unshare),
  // and --kill-child then tears the namespace down: no server outlives wireprobe.
  const setpriv = isolated ? await findBinary('setpriv') : undefined;
  const [spawnFile, spawnArgs] = setpriv ? [setpriv, ['--pdeathsig', 'SIGKILL', '--', file, ...argv]] : [file, argv];
  const child: ChildProcess = spawn(spawnFile, spawnArgs, { detached: true, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-MAX_OUTPUT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, sig) => {
      done = true;
      resolve({ code, signal: sig });
    });
    child.once('error', (error) => {
      done = true;
      keep(Buffer.from(`cannot start ${file}: ${error.message}\n`));
      resolve({ code: null, signal: null });
    });
  });
  await new Promise<void>((resolve) => {
    child.once('spawn', resolve);
    void exited.then(() => resolve());
  });
  const pid = child.pid ?? -1;

  const main = async (): Promise<number | undefined> => {
    if (done) return undefined;
    if (!isolated) return pid;
    const [init] = await childrenOf(pid);
    if (!shell || init === undefined) return init;
    return (await childrenOf(init))[0];
  };
  const waitExit = async (ms: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const result = await Promise.race([exited.then(() => true), timedOut]);
    clearTimeout(timer);
    return result;
  };
  /**
   * Plain process group: signal our group (while the leader is not reaped it is ours), each member
   * still running as the process recorded, and the own group of each that setsid()'d.
   */
  const signalAll = async (name: NodeJS.Signals, members: ReadonlyArray<{ readonly pid: number; readonly start: string }>): Promise<void> => {
    if (!done) signal(-pid, name);
    for (const member of members) {
      const info = await stat(member.pid);
      if (!info || info.state === 'Z' || info.start !== member.start) continue;
      if (info.pgrp > 1 && info.pgrp !== pid) signal(-info.pgrp, name);
      signal(member.pid, name);
    }
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (pid < 0 || done) return;
      if (isolated) {
        const server = await main();
        const term = server !== undefined && (shell || (await catchesSigterm(server)));
        if (server !== undefined) signal(server, term ? 'SIGTERM' : 'SIGKILL');
        if (server === undefined || !(await waitExit(STOP_GRACE_MS))) {
          // SIGKILL to the namespace's init (delivered from outside) tears the whole namespace down.
          if (server !== undefined) signal(server, 'SIGKILL');
          for (const init of await childrenOf(pid)) signal(init, 'SIGKILL');
          signal(-pid, 'SIGKILL');
          await waitExit(STOP_GRACE_MS);
        }
        return;
      }
      // A plain process group: kill the sessions from the leaves up, so that each process is reaped
      // by its own parent, still running, rather than orphaned to PID 1; then stop the leader. SIGKILL
      // for sessions: measured here, vsftpd's and proftpd's session processes blocked reading their
      // control connection do not act on SIGTERM.
      const members = await identify(await family(pid));
      const deadline = Date.now() + STOP_GRACE_MS;
      while (!done && Date.now() < deadline) {
        const living = await livingDescendants(pid);
        if (living.size === 0) break;
        const parents = new Set(living.values());
        const leaves = [...living.keys()].filter((p) => !parents.has(p));
        for (const leaf of leaves) signal(leaf, 'SIGKILL');
        await untilGone(leaves, 100);
      }
      await signalAll('SIGTERM', await identify(await family(pid)));
      if (!(await waitExit(STOP_GRACE_MS))) await signalAll('SIGKILL', await identify(await family(pid)));
      await waitExit(STOP_GRACE_MS);
      // Descendants outside our group (setsid) may outlive the leader: kill what still runs, then wait
      // (bounded) until every process is reaped, by its parent or, for an orphan, by PID 1.
      await signalAll('SIGKILL', members);
      await untilGone(members.map((member) => member.pid), STOP_GRACE_MS);
    })());

  return {
    pid,
    isolated,
    exited,
    hasExited: () => done,
    output: () => output,
    main,
    processes: async () => (done ? [] : family(pid)),
    stop,
  };
}

/** Resolves once the server's main process has no child process left (a session ended and was reaped), or after `deadlineMs`. */
export async function untilNoChildren(server: ServerProcess, deadlineMs = 2_000): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const main = await server.main();
    if (main === undefined || (await childrenOf(main)).length === 0) return true;
    if (Date.now() >= deadline) return false;
    await pause(POLL_MS);
  }
}

/** One attempt: connect, read the greeting's last line, QUIT, wait for the close. */
function greetOnce(port: number, host: string, deadline: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host });
    let text = '';
    let greeting: string | undefined;
    const timer = setTimeout(() => fail(new Error(`no complete greeting within the start deadline (got ${JSON.stringify(text)})`)), Math.max(0, deadline - Date.now()));
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (greeting !== undefined) return;
      // RFC 959 §4.2 / RFC 5321 §4.2: the last line of a reply is "ddd " (multi-line: "ddd-" before it).
      const last = /^(\d{3}) [^\r\n]*\r?\n/m.exec(text);
      if (!last) return;
      if (last[1] !== '220') return fail(Object.assign(new Error(`greeting is not 220: ${text.trim()}`), { code: 'EGREETING' }));
      greeting = text.trim();
      socket.write('QUIT\r\n');
    });
    socket.on('error', (error) => fail(error));
    socket.on('close', () => {
      clearTimeout(timer);
      if (greeting !== undefined) resolve(greeting);
      else reject(Object.assign(new Error(`closed before a greeting (got ${JSON.stringify(text)})`), { code: 'ECLOSEDEARLY' }));
    });
  });
}

/**
 * Waits for the server's `220 ` greeting on host:port: retries while the port refuses (or the
 * connection closes early) until `deadlineMs`, rejects at once when the process exits first (with
 * its output). Sends QUIT and waits for the server to close, then for that session's process to go
 * (untilNoChildren), so the probe does not count against session limits. Resolves with the greeting.
 */
export async function awaitBanner(server: ServerProcess, port: number, options: { readonly host?: string; readonly deadlineMs?: number; readonly name?: string } = {}): Promise<string> {
  const host = options.host ?? LOOPBACK;
  const name = options.name ?? 'server';
  const deadline = Date.now() + (options.deadlineMs ?? START_DEADLINE_MS);
  let last: unknown;
  while (Date.now() < deadline) {
    if (server.hasExited()) break;
    try {
      const attempt = greetOnce(port, host, deadline);
      attempt.catch(() => undefined); // lost the race to the exit: settled later, never unhandled
      const greeting = await Promise.race([attempt, server.exited.then(() => undefined)]);
      if (greeting === undefined) break;
      await untilNoChildren(server);
      return greeting;
    } catch (error) {
      last = error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ECONNREFUSED' && code !== 'ECONNRESET' && code !== 'ECLOSEDEARLY') break;
      await pause(POLL_MS * 2);
    }
  }
  const status = server.hasExited() ? `exited (${JSON.stringify(await server.exited)})` : `gave no 220 greeting on ${host}:${port} within the deadline`;
  const why = last instanceof Error ? ` (last attempt: ${last.message})` : '';
  throw new Error(`${name} ${status}${why}; its output: ${server.output().trim() || '(none)'}`);
}

// ── launching ────────────────────────────────────────────────────────────────────────────────────

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
  readonly prepare: (dir: string) => Promise<ServerCommand>;
  readonly spawn?: SpawnOptions;
}): Promise<Launched> {
  const dir = await makePrivateDir(spec.prefix);
  let server: ServerProcess | undefined;
  let logs: readonly string[] = [];
  /** `up`: it greeted, so its port is its own until it has gone (after a failed start it may be someone else's). */
  const close = async (up: boolean): Promise<void> => {
    await server?.stop();
    if (up) await untilPortFree(spec.port);
    await removeDir(dir);
  };
  try {
    const command = await spec.prepare(dir);
    logs = command.logs ?? [];
    server = await spawnServer(command.command, command.args, { cwd: dir, ...spec.spawn });
    const greeting = await awaitBanner(server, spec.port, { name: spec.name });
    let closing: Promise<void> | undefined;
    return { dir, server, greeting, close: () => (closing ??= close(true)) };
  } catch (error) {
    const tails = (await Promise.all(logs.map(async (log) => [log, (await tail(log)).trim()] as const))).filter(([, text]) => text);
    await close(false);
    if (error instanceof Error && tails.length > 0) error.message += tails.map(([log, text]) => `\n--- ${log}:\n${text}`).join('');
    throw error;
  }
}

/** The content of the file at `remotePath` as a login rooted at `root` sees it, or undefined (never outside `root`). */
export async function readUnder(root: string, remotePath: string): Promise<Buffer | undefined> {
  try {
    return await readFile(join(root, posix.resolve('/', remotePath)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
    throw error;
  }
}

/** Puts `data` at the remote path under `root` (world-readable: anonymous logins download it too). */
export async function writeUnder(root: string, remotePath: string, data: Buffer): Promise<void> {
  const file = join(root, posix.resolve('/', remotePath));
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, data, { mode: 0o644 });
}

/** Builds the handle of a launched server (protocol-neutral: `login`, `read`, `messages` as the launcher gives). */
export function serverHandle(
  launched: Launched,
  fields: Pick<RealServerHandle, 'name' | 'protocol' | 'port' | 'storage' | 'login' | 'read' | 'put' | 'messages'>,
): LaunchedServer {
  const { login, read, put, messages, ...rest } = fields;
  return {
    ...rest,
    host: LOOPBACK,
    url: `${fields.protocol}://${LOOPBACK}:${fields.port}`,
    ...(login ? { login } : {}),
    ...(read ? { read } : {}),
    ...(put ? { put } : {}),
    ...(messages ? { messages } : {}),
    pid: launched.server.pid,
    processes: () => launched.server.processes(),
    close: () => launched.close(),
  };
}

/**
 * Why `options` cannot be honoured whatever the server (bad ports, a non-loopback PASV address, a
 * limit that is not a positive integer, a timeout that is not a positive integer of ms), or undefined.
 * Each launcher adds what its own server cannot express.
 */
export function invalidOptions(options: RealServerOptions): string | undefined {
  const port = (p: number): boolean => Number.isInteger(p) && p >= 1 && p <= 65535;
  if (options.port !== undefined && options.port !== 0 && !port(options.port)) return `port must be 0 or 1..65535, got ${options.port}`;
  const range = options.pasvRange;
  if (range && !(port(range[0]) && port(range[1]) && range[0] <= range[1])) return `pasvRange must be [min, max] with 1 <= min <= max <= 65535, got [${range.join(', ')}]`;
  if (options.pasvAddress !== undefined && !isLoopbackV4(options.pasvAddress)) return `pasvAddress must be an IPv4 loopback address (127.x.y.z), got ${options.pasvAddress}`;
  for (const key of ['maxSessions', 'maxPerAddress', 'idleTimeoutMs', 'dataTimeoutMs', 'messageSizeLimit'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) return `${key} must be a positive integer, got ${value}`;
  }
  return undefined;
}

/** Why a duration of `ms` cannot be written in whole `unit`s (ms per unit) of at least one, or undefined. */
export function notWhole(ms: number | undefined, unitMs: number, what: string): string | undefined {
  if (ms === undefined || (ms % unitMs === 0 && ms >= unitMs)) return undefined;
  const unit = unitMs === 1000 ? 'seconds' : unitMs === 60_000 ? 'minutes' : `units of ${unitMs} ms`;
  return `${what} takes whole ${unit} (at least one): ${ms} ms cannot be expressed exactly`;
}
