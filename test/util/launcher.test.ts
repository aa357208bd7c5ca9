/**
 * npm runs `npx wireprobe ...` and package.json scripts as npm ─► sh -c SCRIPT ─► node, and a SIGTERM npm
 * passes on kills only the shell. These tests build that shape without npm: a shell whose script runs
 * `wireprobe serve smtp` and waits for it, with the environment npm gives it (npm_lifecycle_script: the
 * script), then SIGTERM to the shell alone. Each tree is a process group of its own, killed afterwards.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'wireprobe.js');

/** Process groups a test started: SIGKILLed afterwards, whatever the test left running. */
const groups: number[] = [];
afterEach(() => {
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Gone already, as it should be.
    }
  }
});

it('stops as on SIGTERM, and cleans up, when the shell npm started it through is killed', async () => {
  // `; true` keeps the shell waiting for wireprobe rather than becoming it, as the shell npm starts does.
  // npx names the command (`'wireprobe'`) and runs it with the arguments after it.
  const command = `"${process.execPath}" "${BIN}"`;
  const shell = spawn('sh', ['-c', `${command} serve smtp --port 0; true`], {
    env: { ...process.env, npm_lifecycle_event: 'npx', npm_lifecycle_script: command, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  groups.push(shell.pid!);
  let stderr = '';
  shell.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // Both pipes end only once every process holding them has exited: the shell, and wireprobe.
  const closed = Promise.all([once(shell.stdout!, 'end'), once(shell.stderr!, 'end')]);
  for await (const line of createInterface({ input: shell.stdout! })) if (/listening on smtp:\/\//.test(line)) break;
  shell.kill('SIGTERM');
  shell.stdout!.resume();
  let timer: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([closed.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 20_000)))]);
  clearTimeout(timer);
  expect(stopped, `wireprobe ran on after its shell was killed; stderr: ${stderr}`).toBe(true);
  expect(stderr).toMatch(/^wireprobe: interrupted \(SIGTERM\): SMTP server on smtp:\/\/127\.0\.0\.1:\d+ stopped$/m);
});
