/**
 * Real clients as processes: each runs in its own process group, so the runner's deadline can kill
 * it and everything it started (a shell, a helper) at once. Real clients ignore their own timeouts in
 * known cases (curl's 120 s wait on QUIT, swaks blocked in a write): the group kill is the backstop.
 * What left the group (setsid(), a daemon's double fork) is found by the mark in its environment
 * (../util/marked-processes.ts) and killed after it.
 */
import { spawn } from 'node:child_process';
import { constants, mkdtempSync, rmSync } from 'node:fs';
import { access, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Content } from '../util/content.js';
import { killMarked, MARK_VARIABLE, newMark, withMark } from '../util/marked-processes.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientReport } from './types.js';

/** How a process ended and what it said. */
export interface ProcessRun {
  /** Exit code, or null when a signal ended it. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The command could not be started at all (ENOENT: not installed). */
  readonly spawnError?: string;
}

export interface ProcessOptions {
  /**
   * Written to stdin, which is then closed; default: stdin closed at once. A Content streams in as the
   * process reads it (never made whole), and stops when the process closes its end.
   */
  readonly stdin?: Buffer | Content;
  /** Kills the whole process group with SIGKILL when aborted. */
  readonly signal: AbortSignal;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** The working directory; default wireprobe's. */
  readonly cwd?: string;
}

/** Output kept per stream: enough for error lines, bounded for chatty clients. */
const MAX_OUTPUT = 64 * 1024;

/**
 * How long output may still come once the client has exited: what it wrote just before is read, but a
 * pipe held open by something that outlived it (a background child) does not hold the run.
 */
const OUTPUT_AFTER_EXIT_MS = 250;

/**
 * Runs `command args` in a new process group and resolves when it exits (or was killed), with its output
 * read until its pipes closed or OUTPUT_AFTER_EXIT_MS passed, whichever came first; then what it left
 * running (`sleep 300 &` in its group, `setsid sleep 300 &` out of it) is killed. Its exit is what
 * counts, not its pipes' end.
 */
export function runProcess(command: string, args: readonly string[], options: ProcessOptions): Promise<ProcessRun> {
  return new Promise((resolve) => {
    const mark = newMark();
    const child = spawn(command, args, {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env, [MARK_VARIABLE]: withMark(process.env[MARK_VARIABLE], mark) },
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    const out = { stdout: '', stderr: '' };
    const keep = (key: 'stdout' | 'stderr') => (chunk: Buffer) => {
      if (out[key].length < MAX_OUTPUT) out[key] += chunk.toString('utf8');
    };
    child.stdout.on('data', keep('stdout'));
    child.stderr.on('data', keep('stderr'));
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    options.signal.addEventListener('abort', killGroup, { once: true });
    if (options.signal.aborted) killGroup(); // started after the deadline: it must not outlive the run
    child.stdin.on('error', () => undefined);
    // A process that exits or closes stdin before reading it all ends the pipeline with EPIPE: expected.
    if (options.stdin instanceof Content) pipeline(options.stdin.stream(), child.stdin).catch(() => undefined);
    else child.stdin.end(options.stdin);
    let settled = false;
    let drain: NodeJS.Timeout | undefined;
    const finish = (ended: Pick<ProcessRun, 'exitCode' | 'signal' | 'spawnError'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(drain);
      options.signal.removeEventListener('abort', killGroup);
      // Read no more: a pipe still open belongs to a process that left the group, not to the client.
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ ...ended, ...out });
    };
    child.once('error', (error: NodeJS.ErrnoException) => finish({ exitCode: null, signal: null, spawnError: error.code ?? error.message }));
    child.once('exit', (exitCode, signal) => {
      // The exit ends the run, once its output is read: at the pipes' close, or OUTPUT_AFTER_EXIT_MS
      // later when a child left in the background (`sleep 300 &`) holds them, which must not keep the
      // run waiting until the deadline. Whatever the client left behind goes then: in its group, and
      // out of it.
      let ending = false;
      const ended = (): void => {
        if (ending) return;
        ending = true;
        clearTimeout(drain);
        killGroup();
        void killMarked(mark).then(() => finish({ exitCode, signal }));
      };
      // The wait ends after one more poll of the pipes (setImmediate runs after it): on a loaded machine
      // the timer can be due before the event loop has read what the client wrote before it exited.
      drain = setTimeout(() => setImmediate(ended), OUTPUT_AFTER_EXIT_MS);
      child.once('close', ended);
    });
  });
}

/** A process client's report: exit 0 is success; otherwise its exit code and last stderr line. */
export function exitReport(run: ProcessRun): ClientReport {
  if (run.exitCode === 0) return { ok: true, detail: 'exit 0' };
  const message = run.spawnError ? `cannot start: ${run.spawnError}` : (run.stderr.trim().split('\n').at(-1) ?? '');
  return { ok: false, error: { ...(run.exitCode === null ? {} : { exitCode: run.exitCode }), message } };
}

/** True when `command` can be found on PATH (so a client can be reported `n/a` instead of failing). */
export async function installed(command: string): Promise<boolean> {
  return (await commandPath(command)) !== undefined;
}

/**
 * What `command -v` says of `command`: its path on PATH (or the name of a shell builtin), or undefined
 * when that is not a program we can run.
 */
export async function commandPath(command: string): Promise<string | undefined> {
  // The name goes in as an argument, never into the script: a user's program name is not shell code.
  const run = await runProcess('sh', ['-c', 'command -v -- "$1"', 'sh', command], { signal: new AbortController().signal });
  const found = run.stdout.trim();
  if (run.exitCode !== 0 || found === '') return undefined;
  // dash's `command -v` takes any existing path with a '/' as it is (/etc/passwd, a folder), which
  // spawn would then fail with EACCES: a path must be a regular file we may execute.
  return !found.includes('/') || (await runnable(found)) ? found : undefined;
}

/** True when `path` is a regular file (symbolic links followed) with execute permission for this process. */
async function runnable(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile() && (await access(path, constants.X_OK)) === undefined;
  } catch {
    return false;
  }
}

/**
 * The JSON result a helper script (smtplib-send.py, ftplib-transfer.py) prints as its last stdout line,
 * or, when there is none (the script crashed, was killed, could not start), the failure saying so.
 */
export function scriptResult<T>(run: ProcessRun, script: string): { readonly result: T } | { readonly failure: ClientReport } {
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return { result: JSON.parse(line) as T };
  } catch {
    const why = run.spawnError ?? `exit ${run.exitCode ?? run.signal}: ${run.stderr.trim().split('\n').at(-1) ?? ''}`;
    return { failure: { ok: false, error: { code: 'ESCRIPT', message: `${script} gave no result (${why})` } } };
  }
}

/**
 * Runs `task` with a private temporary directory (mode 0700), removed afterwards whatever happens. When
 * `signal` aborts (the deadline, or the user's Ctrl-C) it is removed at once, synchronously: it may hold
 * a password (lftp's script, curl's config), and a second Ctrl-C exits wireprobe without waiting.
 */
export async function inTempDir<T>(prefix: string, task: (dir: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
  // Created and watched in one synchronous step: with an awaited mkdtemp, a folder made just as the
  // first signal aborted could be left behind by a second one, which exits before its removal runs.
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Retried (ENOTEMPTY): a process killed just before may still finish the file it was writing there.
  const removeNow = (): void => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 10 });
  signal?.addEventListener('abort', removeNow, { once: true });
  try {
    if (signal?.aborted) removeNow();
    return await task(dir);
  } finally {
    // Still watched while it goes: Ctrl-C during this removal finishes it at once, before wireprobe exits.
    await rm(dir, { recursive: true, force: true });
    signal?.removeEventListener('abort', removeNow);
  }
}

/**
 * An upload that may be resumed once: when the job asks for it and the first attempt failed with an
 * exit code (the runner did not stop it), a second attempt resumes (`how`: the client's way, for the
 * report). Both attempts are said in the report.
 */
export async function resumingOnce(
  job: { readonly resume?: boolean; readonly direction: 'upload' | 'download' },
  signal: AbortSignal,
  how: string,
  attempt: (resume: boolean) => Promise<ClientReport>,
): Promise<ClientReport> {
  const first = await attempt(false);
  if (!job.resume || job.direction !== 'upload' || first.ok || first.error.exitCode === undefined || signal.aborted) return first;
  const second = await attempt(true);
  const before = `exit ${first.error.exitCode}`;
  return second.ok
    ? { ok: true, detail: `${second.detail}, resumed with ${how} after ${before}` }
    : { ok: false, error: { ...second.error, message: `resumed with ${how} after ${before}: ${second.error.message}` } };
}
