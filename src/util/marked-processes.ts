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
 * The variable holds a list: a mark is added to the one inherited (`a,b`), so a wireprobe started by
 * a client of another keeps the outer mark on what it starts. Only where /proc exists (Linux);
 * elsewhere the group kill is all there is. A process that clears its own environment is not found.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';

/** The environment variable a started process's mark is in. */
export const MARK_VARIABLE = 'WIREPROBE_PROCESS';

/** Passes at most: each kills what the one before saw; a process forking as fast as it is killed ends the loop too. */
const MAX_PASSES = 8;

/** A new mark, for `withMark`. */
export function newMark(): string {
  return randomUUID();
}

/** The value of MARK_VARIABLE for what is started: `mark` added to the marks `inherited` (its value in this process). */
export function withMark(inherited: string | undefined, mark: string): string {
  return inherited ? `${inherited},${mark}` : mark;
}

/**
 * Kills (SIGKILL) every process whose environment holds `mark`, this process excepted, and resolves
 * with how many it killed. Processes it may not read or kill (another user's) are left alone.
 */
export async function killMarked(mark: string): Promise<number> {
  const killed = new Set<number>();
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const found = await marked(mark);
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

/** The processes whose environment holds `mark`. */
async function marked(mark: string): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return []; // no /proc: not Linux
  }
  const pids = entries.filter((name) => /^\d+$/.test(name)).map(Number);
  const hits = await Promise.all(pids.map(async (pid) => (pid !== process.pid && (await holds(pid, mark)) ? pid : undefined)));
  return hits.filter((pid) => pid !== undefined);
}

/** Whether process `pid`'s environment holds `mark` among the marks in MARK_VARIABLE. */
async function holds(pid: number, mark: string): Promise<boolean> {
  let environment: Buffer;
  try {
    environment = await readFile(`/proc/${pid}/environ`);
  } catch {
    return false; // gone, or another user's
  }
  if (!environment.includes(mark)) return false; // most processes: one search, nothing split
  const name = `${MARK_VARIABLE}=`;
  const variable = environment
    .toString('latin1')
    .split('\0')
    .find((entry) => entry.startsWith(name));
  return variable?.slice(name.length).split(',').includes(mark) ?? false;
}
