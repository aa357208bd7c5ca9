/**
 * Runs `task` with this worker's temporary directory (os.tmpdir(), TMPDIR) pointed at a fresh private
 * one, so "nothing left behind" is checked against this test's own files only: other test files run
 * the same clients and servers in parallel, in the shared temporary directory. Tests within a file run
 * one at a time, so changing TMPDIR here touches no other test. Resolves with the task's result and
 * what it left in the private directory (then removed).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function withPrivateTmp<T>(task: (dir: string) => Promise<T>): Promise<{ result: T; left: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'wireprobe-test-tmp-'));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    const result = await task(dir);
    return { result, left: await readdir(dir) };
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    await rm(dir, { recursive: true, force: true });
  }
}
