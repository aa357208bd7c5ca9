/**
 * `npx wireprobe ...` (npm exec) runs wireprobe as npm ─► sh -c ─► node. A SIGTERM sent to npm alone (a
 * CI job cancelled, `timeout`, a supervisor) is passed by npm to that shell, and the shell (dash, Debian's
 * /bin/sh) dies of it without passing it on: wireprobe ran on, orphaned, its servers and clients with it
 * (measured with npm 11.19). So under npm exec the end of the process that started wireprobe counts as
 * a SIGTERM. Anywhere else a parent may go on purpose (`nohup`, `&` in a shell that exits): nothing is watched.
 *
 *   npm exec (env npm_command=exec) ─► poll process.ppid ─► changed (reparented) ─► onGone() ─► stop as on SIGTERM
 */

/** How often the parent is checked, ms: the time an orphaned wireprobe runs on at most. */
export const LAUNCHER_POLL_MS = 500;

/**
 * Calls `onGone` once the process that started this one has ended, when `env` says npm exec started
 * it; returns how to stop watching. The timer does not keep the process alive.
 */
export function watchLauncher(env: NodeJS.ProcessEnv, onGone: () => void, pollMs = LAUNCHER_POLL_MS): () => void {
  if (env.npm_command !== 'exec') return () => undefined;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, pollMs);
  timer.unref();
  return () => clearInterval(timer);
}
