/** `node bin/wireprobe.js ...` as a user runs it: a child process with NO_COLOR, its output collected. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

/** The bin a user runs after `npm ci`. */
export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'wireprobe.js');

/** How a command line ended. */
export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `wireprobe ARGS` with `env` over this process's environment. */
export function startCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
}

/** Runs `wireprobe ARGS` to its end. */
export function runCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Ran> {
  const child = startCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
