/**
 * The mocks' spool folders go when the process exits before their servers closed (`process.exit` on a
 * second Ctrl-C in `run`), with one `exit` listener for all of them. Each child gets a private TMPDIR,
 * so what is left there is its own.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let tmp = '';
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'wireprobe-test-tmp-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Runs `script` (an ES module with top-level await) in a child with TMPDIR set; its exit code and what it printed. */
async function child(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { ...process.env, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  run.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  run.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(run, 'exit')) as [number | null];
  return { code, stdout: stdout.trim(), stderr };
}

describe('spool folders at exit', () => {
  it('leave no exit listener once every server closed', async () => {
    const script = `
      import { startFtpServer } from './servers/ftp.ts';
      import { startSmtpServer } from './servers/smtp.ts';
      const before = process.listenerCount('exit');
      const servers = [await startFtpServer(), await startSmtpServer({ spool: 'on' })];
      const open = process.listenerCount('exit') - before;
      for (const server of servers) await server.close();
      console.log(open, process.listenerCount('exit') - before);
    `;
    expect(await child(script)).toEqual({ code: 0, stdout: '1 0', stderr: '' });
  });

  it('are removed when the process exits with servers still open, an upload preloaded in one', async () => {
    const script = `
      import { readdirSync } from 'node:fs';
      import { tmpdir } from 'node:os';
      import { startFtpServer } from './servers/ftp.ts';
      import { startSmtpServer } from './servers/smtp.ts';
      const before = process.listenerCount('exit');
      const servers = [];
      for (let i = 0; i < 12; i++) servers.push(await startFtpServer({ files: { '/a.bin': Buffer.alloc(1000) } }));
      for (let i = 0; i < 12; i++) servers.push(await startSmtpServer({ spool: 'on' }));
      await servers.pop().close();
      const listed = () => readdirSync(tmpdir()).filter((name) => name.startsWith('wireprobe-')).length;
      console.log(listed(), process.listenerCount('exit') - before);
      // Two closed, each folder let go (removed by close, not left for the exit): the listener stays for the rest.
      await servers.pop().close();
      await servers.shift().close();
      console.log(listed(), process.listenerCount('exit') - before);
      process.exit(130);
    `;
    const { code, stdout, stderr } = await child(script);
    // 23 folders open, one exit listener added for them, no MaxListenersExceededWarning.
    expect({ code, stdout, stderr }).toEqual({ code: 130, stdout: '23 1\n21 1', stderr: '' });
    expect((await readdir(tmp)).filter((name) => name.startsWith('wireprobe-'))).toEqual([]);
  });
});
