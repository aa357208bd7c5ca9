/**
 * A schema check's first problem as the one line the command line prints: the file, the line when the
 * format tells it, the path inside the file (`scenarios[2].fault`) and what is wrong there.
 */
import type * as z from 'zod';
import { UsageError } from '../util/usage-error.js';
import { quote } from '../util/terminal.js';
import type { FileContent } from './read.js';

/** `scenarios[2].fault`, `clients[0].command`, `outcomes.curl`; `(top)` for the file itself. */
export function formatPath(path: readonly PropertyKey[]): string {
  const text = path
    .map((p, i) =>
      typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$-]*$/.test(String(p)) ? `${i ? '.' : ''}${String(p)}` : `[${JSON.stringify(String(p))}]`,
    )
    .join('');
  return text || '(top)';
}

/** One line for a problem at `path` in `file` (as the user named it); `at`: where its line is, if not at `path`. */
export function fileProblem(
  what: string,
  shown: string,
  content: FileContent | undefined,
  path: readonly PropertyKey[],
  problem: string,
  at = path,
): UsageError {
  const line = content?.lineOf(at);
  return new UsageError(`bad ${what} ${quote(shown)}${line ? ` (line ${line})` : ''}: ${formatPath(path)}: ${problem}`);
}

/** The first issue of a failed check, as fileProblem's line; a union's problem is the first branch's when it has one. */
export function schemaProblem(what: string, shown: string, content: FileContent, error: z.ZodError): UsageError {
  // An unknown key first: a typo usually also leaves a required key missing, and the typo is the news.
  const issue = error.issues.find((i) => i.code === 'unrecognized_keys') ?? error.issues[0]!;
  const message = issue.code === 'invalid_type' && / received undefined$/.test(issue.message) ? `missing (expected ${issue.expected})` : issue.message;
  const at = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  return fileProblem(what, shown, content, issue.path, message.replace(/^Invalid input: /, ''), at);
}
