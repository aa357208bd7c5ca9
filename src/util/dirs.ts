/**
 * `mkdir -p` without Node's recursive mkdir, which spins forever (at full CPU) where a parent exists
 * but refuses children with ENOENT, as /proc does (`--transcripts /proc/x` hung after the results).
 * Each missing level is made in turn, so such a folder fails at once with its error.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Makes `dir` and its missing parents; resolves when it exists as a folder, rejects with the first failure. */
export async function makeDirs(dir: string): Promise<void> {
  const missing: string[] = [];
  let at = resolve(dir);
  while (!(await stat(at).catch(() => undefined))) {
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const level of missing) {
    await mkdir(level).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
}
