/**
 * Writing a report file, for every report of run and probe alike: missing parent folders made first
 * (src/util/dirs.ts, which fails at once where Node's recursive mkdir would spin), then the text, UTF-8.
 */
import { writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makeDirs } from '../util/dirs.js';

/** Writes `text` to `file`, creating its parent folders. */
export async function writeReportFile(file: string, text: string): Promise<void> {
  await makeDirs(dirname(file));
  await writeFile(file, text, 'utf8');
}

/** Writes `value` as a JSON report: pretty-printed (two spaces) with a trailing newline. */
export function writeJsonFile(file: string, value: unknown): Promise<void> {
  return writeReportFile(file, `${JSON.stringify(value, null, 2)}\n`);
}
