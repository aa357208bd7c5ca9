/**
 * Under npx, wireprobe runs as npm ─► sh -c ─► node, and a SIGTERM npm passes on kills only the shell.
 * These tests build that shape without npm: a shell that runs `wireprobe serve smtp` and waits for it,
 * with npm exec's environment (npm_command=exec), and then SIGTERM to the shell alone.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'wireprobe.js');

/** wireprobe processes a test started, killed afterwards if the test left them running. */
const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already, as it should be.
    }
  }
});

it('stops as on SIGTERM, and cleans up, when the shell npm exec started it through is killed', async () => {
  // `; true` keeps the shell waiting for wireprobe rather than becoming it, as the shell npm starts does.
  const shell = spawn('sh', ['-c', `"${process.execPath}" "${BIN}" serve smtp --port 0; true`], {
    env: { ...process.env, npm_command: 'exec', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  shell.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // Both pipes end only once every process holding them has exited: the shell, and wireprobe.
  const closed = Promise.all([once(shell.stdout!, 'end'), once(shell.stderr!, 'end')]);
  for await (const line of createInterface({ input: shell.stdout! })) if (/listening on smtp:\/\//.test(line)) break;
  const [wireprobe] = (await readFile(`/proc/${shell.pid}/task/${shell.pid}/children`, 'utf8')).trim().split(' ').map(Number);
  started.push(wireprobe!);
  shell.kill('SIGTERM');
  shell.stdout!.resume();
  await closed;
  expect(stderr).toMatch(/^wireprobe: interrupted \(SIGTERM\): SMTP server on smtp:\/\/127\.0\.0\.1:\d+ stopped$/m);
});
