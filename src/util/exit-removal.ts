/**
 * Folders removed synchronously when the process exits without removing them itself: `process.exit`
 * on a second Ctrl-C (which does not wait for servers to close), a crash. The mocks' spool folders
 * hold every upload and message; each server registers its own, and one `exit` listener serves them
 * all (one per server would pass Node's limit of 10 listeners with a run's servers in flight).
 */
import { rmSync } from 'node:fs';

const folders = new Set<string>();

function removeAll(): void {
  for (const dir of folders) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Not ours to remove any more (EACCES, EBUSY): the others still go.
    }
  }
  folders.clear();
}

/** Removes `dir` at the process's exit unless the returned function is called first (the folder removed otherwise). */
export function removeAtExit(dir: string): () => void {
  if (folders.size === 0) process.once('exit', removeAll);
  folders.add(dir);
  return () => {
    folders.delete(dir);
    if (folders.size === 0) process.removeListener('exit', removeAll);
  };
}
