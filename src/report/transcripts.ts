/**
 * Transcript files: one text file per result at `dir/<id>.txt` (an id's `/` become folders), a short
 * header saying what was run and concluded, then the proxy's transcript lines as given (already
 * timestamped and redacted); every line with its control characters escaped (`\x1b`), as on the console.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Result } from '../engine/types.js';
import { formatFault } from '../faults/format.js';
import { formatOutcome } from './console.js';
import { makeDirs } from '../util/dirs.js';
import { visible } from '../util/terminal.js';

/**
 * Writes one transcript file per result under `dir`, creating folders, and returns the paths written,
 * in the order of `results`. Throws on an id that is not a clean relative path (bad input).
 */
export async function writeTranscripts(dir: string, results: readonly Result[]): Promise<string[]> {
  const paths: string[] = [];
  for (const r of results) {
    const file = `${join(dir, ...idSegments(r.id))}.txt`;
    await makeDirs(dirname(file));
    await writeFile(file, renderTranscript(r), 'utf8');
    paths.push(file);
  }
  return paths;
}

/** The file's text: header, a blank line, the transcript lines, a trailing newline. */
function renderTranscript(r: Result): string {
  const fault = r.fault === null ? 'none' : `${formatFault(r.fault)}${r.faultFired ? '' : ' (never fired)'}`;
  const outcome = r.outcome === null ? '-' : `${formatOutcome(r.outcome)}, ${r.outcome.bytesSent} body bytes sent`;
  const header = [
    `id:       ${r.id}`,
    `client:   ${r.client}`,
    `server:   ${r.server}`,
    `fault:    ${fault}`,
    `outcome:  ${outcome}`,
    ...(r.outcome?.detail !== undefined ? [`detail:   ${r.outcome.detail}`] : []),
    `expected: ${r.expected}`,
    `verdict:  ${r.verdict}`,
    `reason:   ${r.reason}`,
  ];
  // Peers' and users' text (a client's error quoting a server's reply, a command's stderr, names from a
  // scenario file) is escaped as on the console: a file read with cat or less is a terminal too.
  return `${[...header, '', ...r.transcript].map(visible).join('\n')}\n`;
}

/** Splits an id into path segments, refusing anything that could escape `dir` or name nothing. */
function idSegments(id: string): string[] {
  const segments = id.split('/');
  const bad = segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\\') || s.includes('\0'));
  if (bad) throw new Error(`result id is not a relative path of names: ${JSON.stringify(id)}`);
  return segments;
}
