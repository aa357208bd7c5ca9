/**
 * What /proc says of a server's processes (children, descendants, state, start time, SIGTERM handler),
 * and a signal that tolerates a process already gone. Linux only, as the launchers are.
 */
import { readdir, readFile } from 'node:fs/promises';
import { pause, POLL_MS } from './deadlines.js';

/** Child pids of `pid` (every thread's), from /proc; [] when it is gone. */
export async function childrenOf(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const lists = await Promise.all(tasks.map((tid) => readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '')));
  return lists.flatMap((list) => list.split(' ').filter(Boolean).map(Number));
}

/** `pid` and all its descendants that exist now (zombies included), parents before children. */
export async function family(pid: number): Promise<number[]> {
  const found: number[] = [];
  let level = [pid];
  while (level.length > 0) {
    found.push(...level);
    level = (await Promise.all(level.map(childrenOf))).flat();
  }
  return [...new Set(found)];
}

/** Living (not zombie) descendants of `pid`, each with its parent. */
export async function livingDescendants(pid: number): Promise<Map<number, number>> {
  const found = new Map<number, number>();
  let level = [pid];
  while (level.length > 0) {
    const next: number[] = [];
    for (const parent of level) {
      for (const child of await childrenOf(parent)) {
        const info = await stat(child);
        if (found.has(child) || !info || info.state === 'Z') continue;
        found.set(child, parent);
        next.push(child);
      }
    }
    level = next;
  }
  return found;
}

/** Resolves once none of `pids` exists any more (reaped), or after `ms`. */
export async function untilGone(pids: readonly number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = (await Promise.all(pids.map(stat))).filter(Boolean);
    if (left.length === 0) return true;
    if (Date.now() >= deadline) return false;
    await pause(POLL_MS);
  }
}

/** What /proc/PID/stat says of a process: state, process group, start time (ticks); undefined when gone. */
export interface ProcStat {
  readonly state: string;
  readonly pgrp: number;
  readonly start: string;
}

/** Reads /proc/PID/stat (fields after the command name: state is field 3, pgrp 5, starttime 22). */
export async function stat(pid: number): Promise<ProcStat | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', pgrp: Number(fields[2]), start: fields[19] ?? '' };
}

/** Whether `pid` has a SIGTERM handler installed (SigCgt in /proc/PID/status). */
export async function catchesSigterm(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const caught = /^SigCgt:\s*([0-9a-f]+)/m.exec(status)?.[1];
  return caught !== undefined && (BigInt(`0x${caught}`) & (1n << 14n)) !== 0n; // SIGTERM is 15: bit 14
}

/** `pids` with their start times, so that a pid reused by another process is never signalled later. */
export async function identify(pids: readonly number[]): Promise<Array<{ readonly pid: number; readonly start: string }>> {
  const infos = await Promise.all(pids.map(stat));
  return pids.flatMap((pid, i) => (infos[i] ? [{ pid, start: infos[i].start }] : []));
}

export const signal = (target: number, name: NodeJS.Signals): void => {
  try {
    process.kill(target, name);
  } catch {
    // Already gone.
  }
};
