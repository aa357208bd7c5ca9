import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { killMarked, MARK_VARIABLE, newMark, withMark } from '../../src/util/marked-processes.js';

/** Alive: in /proc and not a zombie (a killed orphan waits there until init reaps it). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Runs `script` with `env` and resolves with the PIDs it printed, one a line, once it has exited. */
async function started(script: string, env: Record<string, string>): Promise<number[]> {
  const child = spawn('sh', ['-c', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  await new Promise((resolve) => child.once('close', resolve));
  return out.trim().split('\n').map(Number);
}

describe('killMarked', () => {
  let dir: string;
  const strays: number[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wireprobe-marked-'));
  });
  afterEach(() => {
    for (const pid of strays.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('kills what carries the mark, in a session of its own or orphaned by a double fork, and nothing else', async () => {
    const mark = newMark();
    // One in a new session, one whose parent is gone (a daemon's double fork): both out of any group a kill would reach.
    const marked = await started(
      `setsid sleep 300 >/dev/null 2>&1 & echo $!; (setsid sh -c 'sleep 301 >/dev/null 2>&1 & echo $! > ${dir}/orphan' &) ; while [ ! -s ${dir}/orphan ]; do sleep 0.05; done; cat ${dir}/orphan`,
      { [MARK_VARIABLE]: mark },
    );
    // A mark added to one inherited (a wireprobe a client of another started): ours too.
    marked.push(...(await started('sleep 303 >/dev/null 2>&1 & echo $!', { [MARK_VARIABLE]: withMark(withMark(undefined, newMark()), mark) })));
    // The same value under another name, inside another mark, and another mark: not ours.
    const others = await started('sleep 302 >/dev/null 2>&1 & echo $!', { [`X_${MARK_VARIABLE}`]: mark, [MARK_VARIABLE]: `${newMark()},x${mark}` });
    strays.push(...marked, ...others);
    expect([...marked, ...others].map(running)).toEqual([true, true, true, true]);
    expect(await killMarked(mark)).toBe(3);
    await expect.poll(() => marked.map(running)).toEqual([false, false, false]);
    expect(others.map(running)).toEqual([true]);
  });

  it('finds nothing when nothing carries the mark', async () => {
    expect(await killMarked(newMark())).toBe(0);
  });
});
