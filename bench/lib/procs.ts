/**
 * Child processes for the bench: `wireprobe serve`, smtp-sink, smtp-source, curl. Each is its own
 * process, so its memory (VmHWM) and CPU are its own, as a user running it would see them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/wireprobe.js', import.meta.url));

/** A long-running child: its pid, where it listens, and how to stop it. */
export interface Daemon {
  readonly pid: number;
  readonly port: number;
  stop(): Promise<void>;
}

/** Whether `command` is on PATH (or is an absolute path that exists). */
export async function have(command: string): Promise<boolean> {
  const child = spawn('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number];
  return code === 0;
}

/**
 * A bench script run through tsx (`script`, with `args`), once it prints the URL it listens on
 * (`...:PORT`); `nodeOptions`: its NODE_OPTIONS, default none.
 */
export async function benchChild(script: URL, args: readonly string[] = [], nodeOptions?: string): Promise<Daemon> {
  const env = nodeOptions === undefined ? process.env : { ...process.env, NODE_OPTIONS: nodeOptions };
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(script), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
  for await (const line of createInterface({ input: proc.stdout! })) {
    const url = /:(\d+)$/.exec(line);
    if (url) {
      proc.stdout!.resume();
      return { pid: proc.pid!, port: Number(url[1]), stop: () => kill(proc) };
    }
  }
  throw new Error(`${fileURLToPath(script)} exited before it listened`);
}

/** Kills `child` and waits for its exit. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * `wireprobe serve smtp|ftp ARGS`, waiting for the line that names its URL; `nodeOptions`: its
 * NODE_OPTIONS, default none; `nodeFlags`: flags given to node before the bin, default none.
 */
export async function serve(protocol: 'smtp' | 'ftp', args: readonly string[] = [], nodeOptions?: string, nodeFlags: readonly string[] = []): Promise<Daemon> {
  // stderr kept, not shown: it ends with serve's one line when the row stops it (SIGTERM).
  const env = nodeOptions === undefined ? process.env : { ...process.env, NODE_OPTIONS: nodeOptions };
  const child = spawn(process.execPath, [...nodeFlags, BIN, 'serve', protocol, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const url = /listening on \w+:\/\/127\.0\.0\.1:(\d+)/.exec(line);
    if (url) {
      child.stdout!.resume(); // keep draining its log so it never blocks on a full pipe
      return { pid: child.pid!, port: Number(url[1]), stop: () => kill(child) };
    }
  }
  throw new Error(`wireprobe serve ${protocol} exited before it listened: ${stderr.trim() || 'no message'}`);
}

/** Postfix's smtp-sink on 127.0.0.1:`port` (a free port found by the caller), backlog 4096, as nobody (it refuses to run as root). */
export async function smtpSink(port: number): Promise<Daemon> {
  const child = spawn('smtp-sink', ['-u', 'nobody', '-m', '10000', `127.0.0.1:${port}`, '4096'], { stdio: 'ignore' });
  await waitListening(port);
  return { pid: child.pid!, port, stop: () => kill(child) };
}

/** Resolves once something accepts connections on 127.0.0.1:`port`. */
export async function waitListening(port: number): Promise<void> {
  const { connect } = await import('node:net');
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

/** Runs `command args` to its end; returns wall time in ms. Throws on a non-zero exit. */
export async function timed(command: string, args: readonly string[]): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`${command} exited ${code}: ${stderr.trim().split('\n').pop() ?? ''}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** /proc's clock ticks per second (USER_HZ: 100 on every Linux architecture Node runs on). */
const TICKS_PER_SECOND = 100;

/** CPU seconds, user and system, that process `pid` has used so far (its threads included). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // utime and stime are fields 14 and 15; the command name before them, in parentheses, may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** A field of /proc/PID/status in bytes (`VmHWM`: peak RSS; `VmRSS`: RSS now). */
export async function memory(pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!kib) throw new Error(`no ${field} for pid ${pid}`);
  return Number(kib[1]) * 1024;
}

/** A free TCP port on 127.0.0.1 (for programs that cannot listen on port 0 and report it). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
