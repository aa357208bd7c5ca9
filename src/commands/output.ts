/**
 * Report paths, checked before a run by doing what the run will do (run, matrix and probe share it):
 * a file is created and removed in the folder (or the nearest existing ancestor of a folder still to
 * be made). Permission bits and `access()` say nothing about /proc, a read-only mount or a full
 * disk; a real create does. After a run, a report that still cannot be written is named on stderr and
 * the others are kept (`writeReports`).
 */
import { mkdtemp, open, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { quote } from '../util/terminal.js';
import { UsageError } from '../util/usage-error.js';

/** The nearest existing ancestor of `path` (itself if it exists). */
async function nearestExisting(path: string): Promise<string> {
  let at = resolve(path);
  for (;;) {
    if (await stat(at).catch(() => undefined)) return at;
    const up = dirname(at);
    if (up === at) return at;
    at = up;
  }
}

/** Why a create failed, in a few words. */
const why = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

/** Creates and removes a folder under `dir`, which proves a report folder (or its parents) can be made there. */
async function tryCreateIn(dir: string, flag: string, given: string): Promise<void> {
  const info = await stat(dir);
  if (!info.isDirectory()) throw new UsageError(`bad --${flag} ${quote(given)}: ${dir} is not a directory`);
  let probe: string;
  try {
    probe = await mkdtemp(join(dir, '.wireprobe-check-'));
  } catch (error) {
    throw new UsageError(`bad --${flag} ${quote(given)}: cannot create anything in ${dir} (${why(error)})`);
  }
  await rmdir(probe);
}

/**
 * Fails (UsageError naming the flag and path) unless the report `path` can be written: a `file`
 * (an existing regular file opened for writing without truncating it, or a new one created and removed
 * beside it) or a `dir` of files (created under its nearest existing ancestor).
 */
export async function checkOutput(flag: string, path: string, kind: 'file' | 'dir'): Promise<void> {
  const target = resolve(path);
  const info = await stat(target).catch(() => undefined);
  if (kind === 'file') {
    if (info?.isDirectory()) throw new UsageError(`bad --${flag} ${quote(path)}: it is a directory`);
    if (info) {
      const handle = await open(target, 'r+').catch((error: unknown) => {
        throw new UsageError(`bad --${flag} ${quote(path)}: it is not writable (${why(error)})`);
      });
      await handle.close();
      return;
    }
    const parent = await nearestExisting(dirname(target));
    if (parent === dirname(target)) {
      // The folder exists: create the very kind of thing the report will be, a file.
      const info = await stat(parent);
      if (!info.isDirectory()) throw new UsageError(`bad --${flag} ${quote(path)}: ${parent} is not a directory`);
      const probe = join(parent, `.wireprobe-check-${process.pid}-${Date.now()}`);
      const handle = await open(probe, 'wx').catch((error: unknown) => {
        throw new UsageError(`bad --${flag} ${quote(path)}: cannot create files in ${parent} (${why(error)})`);
      });
      await handle.close();
      await unlink(probe);
      return;
    }
    return tryCreateIn(parent, flag, path);
  }
  if (info && !info.isDirectory()) throw new UsageError(`bad --${flag} ${quote(path)}: it is not a directory`);
  return tryCreateIn(info ? target : await nearestExisting(target), flag, path);
}

/** One report to write after a run: its flag, path, and the writer. */
export interface ReportJob {
  readonly flag: string;
  readonly path: string;
  write(): Promise<void>;
}

/**
 * Writes each report in turn; one that fails is named on `err` (`cannot write --json "x": EACCES`) and
 * the others are still written. `out` gets `json written to x` for each that worked (none when `out` is
 * undefined: an interrupted run prints one line only). Returns whether all did.
 */
export async function writeReports(jobs: readonly ReportJob[], out: NodeJS.WritableStream | undefined, err: NodeJS.WritableStream): Promise<boolean> {
  let ok = true;
  for (const job of jobs) {
    try {
      await job.write();
      out?.write(`${job.flag} written to ${job.path}\n`);
    } catch (error) {
      ok = false;
      err.write(`wireprobe: cannot write --${job.flag} ${quote(job.path)}: ${why(error)}; the other reports are kept\n`);
    }
  }
  return ok;
}
