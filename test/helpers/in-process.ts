/** `main()` in this process, its output kept: the config tests' command line. */
import { Writable } from 'node:stream';
import { main } from '../../src/cli.js';

/** A stream that keeps what is written to it. */
export class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Runs `args` with the working directory `cwd` (default this process's) and `env` beside NO_COLOR. */
export async function inProcess(
  args: readonly string[],
  cwd?: string,
  env: Readonly<Record<string, string>> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await main(args, { stdout, stderr, env: { NO_COLOR: '1', ...env }, ...(cwd ? { cwd } : {}) });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
