/**
 * npm starts a script (`npm run`, `npm test`) and `npx wireprobe ...` (npm exec) as npm ─► sh -c ─► node.
 * A SIGTERM sent to npm alone (a cancelled CI job, a supervisor that signals one process) is passed by
 * npm to that shell, and the shell (dash, Debian's /bin/sh) dies of it without passing it on:
 * wireprobe ran on, orphaned, its servers and clients with it (measured with npm 11.19). So when npm's
 * shell started wireprobe, the shell's end counts as a SIGTERM: wireprobe lives as long as the script
 * npm runs, also one that put it in the background (`wireprobe serve smtp & ...`). Started any other
 * way (a terminal, `nohup`, a process of the user's own), nothing is watched.
 *
 *   parent is `sh -c $npm_lifecycle_script` ─► poll process.ppid ─► changed (reparented) ─► onGone() ─► stop as on SIGTERM
 */
import { readFileSync } from 'node:fs';

/** How often the parent is checked, ms: the time an orphaned wireprobe runs on at most. */
export const LAUNCHER_POLL_MS = 500;

/**
 * Whether process `pid` is the shell npm runs a script in: `sh -c SCRIPT`, SCRIPT the one npm names
 * (`env`), followed by the arguments npm passes on (`npx wireprobe serve smtp`: `'wireprobe' serve smtp`).
 */
function isNpmShell(pid: number, env: NodeJS.ProcessEnv): boolean {
  const named = env.npm_lifecycle_script;
  if (named === undefined) return false;
  try {
    const [, flag, script = ''] = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
    return flag === '-c' && (script === named || script.startsWith(`${named} `));
  } catch {
    return false; // no /proc (not Linux), or the parent is gone already
  }
}

/**
 * Calls `onGone` once the shell npm started this process through has ended; returns how to stop
 * watching. `onGone` runs after any signal already waiting has been handled (setImmediate: signals are
 * read in the loop's poll phase, before it). The timer does not keep the process alive.
 */
export function watchLauncher(env: NodeJS.ProcessEnv, onGone: () => void, pollMs = LAUNCHER_POLL_MS): () => void {
  const parent = process.ppid;
  if (!isNpmShell(parent, env)) return () => undefined;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    setImmediate(onGone);
  }, pollMs);
  timer.unref();
  return () => clearInterval(timer);
}
