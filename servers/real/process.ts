/**
 * A real server's process: started in the foreground and stopped completely (awaitBanner, in
 * banner.ts, waits for it to greet).
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
import { findBinary, runHelper } from './binaries.js';
import { STOP_GRACE_MS } from './deadlines.js';
import { catchesSigterm, childrenOf, family, identify, livingDescendants, signal, stat, untilGone } from './proc.js';

/** Output kept per server process for error messages (the tail wins). */
const MAX_OUTPUT = 16 * 1024;

/** Whether this process may start servers in their own PID namespace (root, and unshare works here). */
export async function canIsolate(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  return runHelper('unshare', ['--pid', '--fork', '--kill-child', '--', 'true'], { timeoutMs: 5_000 }).then(
    () => true,
    () => false,
  );
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
      await untilGone(
        members.map((member) => member.pid),
        STOP_GRACE_MS,
      );
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
