/**
 * What a run may leave behind, as seen from outside: folders appearing in a (private) temporary
 * directory, processes whose arguments or working directory point into it, and the ports the real
 * servers it launched listened on (read from their config files while they ran).
 */
import { watch } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Watches `dir` for entries whose names start with `prefix`: `until(n)` resolves once `n` distinct ones
 * have appeared (each folder is seen even when it is gone again by the time it is looked at).
 * `onEntry` runs for each new entry (e.g. to read a config file while it exists).
 */
export function watchEntries(dir: string, prefix: string, onEntry: (name: string) => void = () => undefined) {
  const names = new Set<string>();
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const note = (name: string | null): void => {
    if (!name?.startsWith(prefix) || names.has(name)) return;
    names.add(name);
    onEntry(name);
    for (const w of waiters.filter((x) => names.size >= x.count)) w.resolve();
  };
  const watcher = watch(dir, (_event, name) => note(name));
  void readdir(dir).then(
    (existing) => existing.forEach(note),
    () => undefined,
  );
  return {
    names,
    until: (count: number): Promise<void> => (names.size >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve }))),
    close: () => watcher.close(),
  };
}

/** The `listen_port` of every vsftpd config under `dir` now (wireprobe-vsftpd-* folders). */
export async function vsftpdPorts(dir: string): Promise<number[]> {
  const folders = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith('wireprobe-vsftpd-'));
  const texts = await Promise.all(folders.map((f) => readFile(join(dir, f, 'vsftpd.conf'), 'utf8').catch(() => '')));
  return texts.flatMap((t) => {
    const m = /^listen_port=(\d+)$/m.exec(t);
    return m ? [Number(m[1])] : [];
  });
}

/** Living processes (not zombies) whose command line or working directory mentions `dir`: `pid command`. */
export async function processesUsing(dir: string): Promise<string[]> {
  const pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p));
  const found = await Promise.all(
    pids.map(async (pid) => {
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ').trim();
      const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
      // A zombie has an empty command line and no working directory: it runs nothing.
      return cmdline.includes(dir) || cwd.startsWith(dir) ? [`${pid} ${cmdline}`] : [];
    }),
  );
  return found.flat();
}

/**
 * Resolves with the processes still using `dir` once there are none, or after `ms`: a process killed
 * from outside (a parent-death signal) goes away soon after, not at once.
 */
export async function untilNoProcessUses(dir: string, ms = 10_000): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = await processesUsing(dir);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The child processes of this process (every thread's), from /proc. */
export async function ownChildren(): Promise<number[]> {
  const tasks = await readdir(`/proc/${process.pid}/task`);
  const lists = await Promise.all(tasks.map((t) => readFile(`/proc/${process.pid}/task/${t}/children`, 'utf8').catch(() => '')));
  return lists.flatMap((l) => l.split(' ').filter(Boolean).map(Number));
}

/** SIGKILLs every process still using `dir` (after a failed test, so that it disturbs no other). */
export async function killUsing(dir: string): Promise<void> {
  for (const entry of await processesUsing(dir)) {
    try {
      process.kill(Number(entry.split(' ')[0]), 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}
