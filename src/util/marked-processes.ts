/**
 * A process that leaves its process group (setsid(), a daemon's double fork) escapes the group kill
 * that ends a client: a user's script that starts `setsid some-helper &` left it running after
 * wireprobe had gone. Its environment does not leave with it: every process wireprobe starts carries
 * a mark of its own in an environment variable, which each descendant inherits whatever group or
 * session it moves to, and which finds them in /proc once the group is gone.
 *
 *   runProcess ─► spawn(env + MARK_VARIABLE=<mark>) ─► ... the client's exit, or its deadline
 *              ─► kill(-group) ─► killMarked(mark): /proc/<pid>/environ holds the mark ─► SIGKILL, again
 *                                until a pass finds none (one that forked meanwhile is caught by the next)
 *
 * Only where /proc exists (Linux); elsewhere the group kill is all there is. A process that clears
 * its own environment is not found.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';

/** The environment variable a started process's mark is in. */
export const MARK_VARIABLE = 'WIREPROBE_PROCESS';

/** Passes at most: each kills what the one before saw; a process forking as fast as it is killed ends the loop too. */
const MAX_PASSES = 8;

/** A new mark: `{ [MARK_VARIABLE]: mark }` goes into the environment of what is started. */
export function newMark(): string {
  return randomUUID();
}

/**
 * Kills (SIGKILL) every process whose environment holds `mark`, this process excepted, and resolves
 * with how many it killed. Processes it may not read or kill (another user's) are left alone.
 */
export async function killMarked(mark: string): Promise<number> {
  const needle = Buffer.from(`${MARK_VARIABLE}=${mark}\0`);
  const killed = new Set<number>();
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const found = await marked(needle);
    for (const pid of found) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch {
        // Gone since, or not ours to kill.
      }
    }
    if (found.length === 0) break;
  }
  return killed.size;
}

/** The processes whose environment holds `needle` (`NAME=value\0`). */
async function marked(needle: Buffer): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return []; // no /proc: not Linux
  }
  const pids = entries.filter((name) => /^\d+$/.test(name)).map(Number);
  const hits = await Promise.all(pids.map(async (pid) => (pid !== process.pid && (await holds(pid, needle)) ? pid : undefined)));
  return hits.filter((pid) => pid !== undefined);
}

/** Whether process `pid`'s environment holds `needle`, a whole variable (the block is NUL-separated). */
async function holds(pid: number, needle: Buffer): Promise<boolean> {
  try {
    const environment = await readFile(`/proc/${pid}/environ`);
    const at = environment.indexOf(needle);
    return at === 0 || (at > 0 && environment[at - 1] === 0);
  } catch {
    return false; // gone, or another user's
  }
}
