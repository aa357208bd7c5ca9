/**
 * A module client misbehaving inside wireprobe's process, as a user runs `node bin/wireprobe.js run
 * --client ./mod.mjs`: an 'error' event nobody listens to, a rejection nobody awaits, a timer left
 * running, a top-level await that never settles. wireprobe never ends with a stack trace, leaves
 * nothing behind and exits. Each run gets a private TMPDIR, so what it leaves behind is its own.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli-process.js';
import { killUsing, processesUsing, watchEntries } from './helpers/leftovers.js';

/** One SMTP scenario, with a deadline short enough for a client that never reports. */
const SCENARIOS = `name: t/module
protocol: smtp
scenarios:
  - name: clean-send
    title: a clean send
    size: 1KiB
    timeouts: { deadline: 10s }
`;

/** Alive: in /proc and not a zombie (a killed orphan waits there until init reaps it). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A command client that hangs until killed, its process group in the run's TMPDIR (the message path). */
const HANG = 'cmd:hang=sh -c "sleep 77; exit 1" sh {message}';

interface Run {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  readonly out: { stdout: string; stderr: string };
}

describe('wireprobe run with a module client that misbehaves', () => {
  let dir: string;
  let tmp: string;
  let runs: Run[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wireprobe-test-module-'));
    tmp = await mkdtemp(join(tmpdir(), 'wireprobe-test-tmp-'));
    await writeFile(join(dir, 'scenarios.yaml'), SCENARIOS);
  });
  afterEach(async () => {
    for (const run of runs) run.child.kill('SIGKILL');
    runs = [];
    await killUsing(tmp);
    await rm(tmp, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  });

  /** `wireprobe ARGS` in the user's folder, with the private TMPDIR. */
  function start(args: readonly string[]): Run {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', TMPDIR: tmp } });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
    const run = { child, out, exited: new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code))) };
    runs.push(run);
    return run;
  }

  const ourEntries = async (): Promise<string[]> => (await readdir(tmp)).filter((name) => name.startsWith('wireprobe-'));

  it('makes the run of a module whose socket error nobody listens to, or whose rejection nobody awaits, an error naming it, and goes on', async () => {
    // A port nothing listens on: its own, closed again. The connection's 'error' has no listener.
    await writeFile(
      join(dir, 'unheard.mjs'),
      [
        "import net from 'node:net';",
        'export async function send() {',
        '  const server = net.createServer().listen(0, "127.0.0.1");',
        "  await new Promise((resolve) => server.once('listening', resolve));",
        '  const { port } = server.address();',
        '  await new Promise((resolve) => server.close(resolve));',
        "  net.connect(port, '127.0.0.1');",
        '  return new Promise(() => undefined);',
        '}',
      ].join('\n'),
    );
    await writeFile(join(dir, 'unawaited.mjs'), "export async function send() {\n  Promise.reject(new Error('nobody awaits me'));\n  return '250 ok';\n}\n");
    const run = start(['run', '--scenarios', 'scenarios.yaml', '--client', './unheard.mjs', '--client', './unawaited.mjs', '--json', 'out.json']);
    expect(await run.exited, run.out.stderr).toBe(0);
    expect(run.out.stderr).toBe('');
    const report = JSON.parse(await readFile(join(dir, 'out.json'), 'utf8')) as {
      incomplete?: boolean;
      results: { client: string; verdict: string; reason: string }[];
    };
    expect(report.incomplete).toBeUndefined();
    expect(report.results.map((r) => [r.client, r.verdict])).toEqual([
      ['unheard', 'error'],
      ['unawaited', 'error'],
    ]);
    expect(report.results[0]!.reason).toMatch(/^client module "\.\/unheard\.mjs" threw an exception nothing caught: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    expect(report.results[1]!.reason).toBe('client module "./unawaited.mjs" left a promise rejection unhandled: nobody awaits me');
  }, 60_000);

  it('stops the run as Ctrl-C does for an error a module leaves uncaught after its run: other clients stopped, nothing left, one line, exit 3', async () => {
    // It reports at once, leaving a watcher behind that throws when the next run (one at a time: the
    // hanging client's) makes its temporary folder.
    await writeFile(
      join(dir, 'late.mjs'),
      [
        "import { watch } from 'node:fs';",
        'export async function send() {',
        '  const watcher = watch(process.env.TMPDIR, (_event, name) => {',
        "    if (!name?.startsWith('wireprobe-cmd-')) return;",
        '    watcher.close();',
        "    throw new Error('late boom');",
        '  });',
        "  return '250 ok';",
        '}',
      ].join('\n'),
    );
    const args = ['--client', './late.mjs', '--client', HANG, '--concurrency', '1', '--json', 'out.json', '--junit', 'out.xml'];
    const run = start(['run', '--scenarios', 'scenarios.yaml', ...args]);
    expect(await run.exited, run.out.stderr).toBe(3);
    expect(run.out.stderr).toBe(
      'wireprobe: stopped: client module "./late.mjs" threw an exception nothing caught: late boom; 1 of 2 results written; cleaned up\n',
    );
    const reason = 'stopped: client module "./late.mjs" threw an exception nothing caught: late boom';
    expect(JSON.parse(await readFile(join(dir, 'out.json'), 'utf8'))).toMatchObject({ incomplete: true, reason, planned: 2, results: [{ client: 'late' }] });
    expect(await readFile(join(dir, 'out.xml'), 'utf8')).toContain('<property name="incomplete" value="stopped: client module &quot;./late.mjs&quot;');
    expect(await processesUsing(tmp)).toEqual([]);
    expect(await ourEntries()).toEqual([]);
  }, 60_000);

  it('says so and exits 3 for an error a module leaves uncaught once the run is over, its reports complete', async () => {
    // It throws, out of any of its runs, right after wireprobe prints its last line.
    await writeFile(
      join(dir, 'last-word.mjs'),
      [
        'export async function send() {',
        '  const write = process.stdout.write.bind(process.stdout);',
        '  process.stdout.write = (chunk, ...rest) => {',
        "    if (String(chunk).includes(' results in ')) queueMicrotask(() => { throw new Error('after the end'); });",
        '    return write(chunk, ...rest);',
        '  };',
        "  return '250 ok';",
        '}',
      ].join('\n'),
    );
    const run = start(['run', '--scenarios', 'scenarios.yaml', '--client', './last-word.mjs', '--json', 'out.json']);
    expect(await run.exited, run.out.stderr).toBe(3);
    expect(run.out.stderr).toBe(
      'wireprobe: client module "./last-word.mjs" threw an exception nothing caught: after the end (after the run was over: its results and reports are complete)\n',
    );
    expect(run.out.stdout).toMatch(/\nwireprobe: 1 results in .*; reports: out\.json\n$/);
    expect(JSON.parse(await readFile(join(dir, 'out.json'), 'utf8'))).not.toHaveProperty('incomplete');
  }, 60_000);

  it('writes what a module logs with console to stderr, never into the report on stdout', async () => {
    await writeFile(
      join(dir, 'chatty.mjs'),
      "export async function send() {\n  console.log('it logs: sending');\n  console.info('it logs: sent');\n  return '250 ok';\n}\n",
    );
    const run = start(['run', '--scenarios', 'scenarios.yaml', '--client', './chatty.mjs']);
    expect(await run.exited, run.out.stderr).toBe(0);
    expect(run.out.stderr).toBe('it logs: sending\nit logs: sent\n');
    expect(run.out.stdout).not.toContain('it logs');
    expect(run.out.stdout).toMatch(/t\/module\/clean-send/);
  }, 60_000);

  it('exits once the reports are written, whatever timer the module left running', async () => {
    await writeFile(join(dir, 'ticking.mjs'), "export async function send() {\n  setInterval(() => undefined, 1000);\n  return '250 ok';\n}\n");
    const run = start(['run', '--scenarios', 'scenarios.yaml', '--client', './ticking.mjs', '--json', 'out.json', '--verbose']);
    expect(await run.exited, run.out.stderr).toBe(0);
    expect(run.out.stdout).toMatch(/\nwireprobe: 1 results in .*; reports: out\.json\n$/);
    expect(JSON.parse(await readFile(join(dir, 'out.json'), 'utf8'))).toMatchObject({ results: [{ client: 'ticking' }] });
  }, 60_000);

  it('stops at the first Ctrl-C while a module loads whose top-level await never settles: exit 130, one line, nothing left', async () => {
    // The module says it is loading by a file beside it, then waits forever with a timer running.
    await writeFile(
      join(dir, 'forever.mjs'),
      [
        "import { writeFileSync } from 'node:fs';",
        "writeFileSync(new URL('./loading-forever', import.meta.url), '');",
        'await new Promise(() => setInterval(() => undefined, 1000));',
        "export async function send() { return '250 ok'; }",
      ].join('\n'),
    );
    const loading = watchEntries(dir, 'loading-forever');
    try {
      const run = start(['run', '--scenarios', 'scenarios.yaml', '--client', HANG, '--client', './forever.mjs', '--json', 'out.json']);
      await loading.until(1);
      run.child.kill('SIGINT');
      expect(await run.exited, run.out.stderr).toBe(130);
      expect(run.out.stderr).toBe('wireprobe: interrupted (SIGINT): nothing run\n');
      expect(run.out.stdout).toBe('');
      expect(await processesUsing(tmp)).toEqual([]);
      expect(await ourEntries()).toEqual([]);
    } finally {
      loading.close();
    }
  }, 60_000);

  it('says a module never finished loading when its top-level await waits on nothing, exit 2, never exit 13 in silence', async () => {
    await writeFile(join(dir, 'stuck.mjs'), "await new Promise(() => undefined);\nexport async function send() { return '250 ok'; }\n");
    const run = start(['run', '--scenarios', 'scenarios.yaml', '--client', './stuck.mjs']);
    expect(await run.exited).toBe(2);
    expect(run.out.stderr).toBe('wireprobe: client module "./stuck.mjs" never finished loading (its top-level await did not settle)\n');
  }, 60_000);

  it('kills, once the run is over, the processes a module started and left running (in its group, and setsid), and says so', async () => {
    // Before the fix both outlived wireprobe: the module never ends them, and nothing else knew of them.
    await writeFile(
      join(dir, 'leaves.mjs'),
      [
        "import { execFileSync, spawn } from 'node:child_process';",
        "import { writeFileSync } from 'node:fs';",
        'export async function send() {',
        "  const kept = spawn('sleep', ['300'], { stdio: 'ignore' });",
        '  kept.unref();',
        '  // In a session of its own; the shell prints its own PID (setsid forks only in a group leader).',
        "  const away = execFileSync('sh', ['-c', 'setsid sleep 301 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' }).trim();",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the module's own template string
        "  writeFileSync('pids', `${kept.pid} ${away}`);",
        "  return '250 ok';",
        '}',
      ].join('\n'),
    );
    const run = start(['run', '--scenarios', 'scenarios.yaml', '--client', './leaves.mjs']);
    expect(await run.exited, run.out.stderr).toBe(0);
    expect(run.out.stderr).toBe("wireprobe: 2 processes started during the command still ran at its end (a client module's child?): killed\n");
    const pids = (await readFile(join(dir, 'pids'), 'utf8')).split(' ').map(Number);
    await expect.poll(() => pids.map(alive)).toEqual([false, false]);
  }, 60_000);
});
