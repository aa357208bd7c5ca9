/**
 * A scenario or config file's content, by its extension: JSON, YAML, or a module's default export
 * (`.ts` through tsx, `.mjs`/`.js` as they are). A file that cannot be read or parsed is one
 * UsageError line naming it, with the line the parser points at; for JSON and YAML the content also
 * comes with `lineOf`, so a schema problem can name the line of the value it is about.
 *
 *   .json ─► JSON.parse (strict) ──┐   lines: the same text as a YAML document (JSON is YAML)
 *   .yaml ─► yaml parseDocument ───┼─► { data, lineOf(path) }
 *   .ts   ─► tsx tsImport ─────────┤   (modules: no lines)
 *   .mjs  ─► import() ─────────────┘
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { UsageError } from '../util/usage-error.js';
import { quote } from '../util/terminal.js';

/** The extensions a scenario or config file may have. */
export const EXTENSIONS = ['.json', '.yaml', '.yml', '.ts', '.mjs', '.js'] as const;

/** What a file holds, and where in it a value is (1-based line), when the format tells. */
export interface FileContent {
  readonly data: unknown;
  readonly lineOf: (path: readonly PropertyKey[]) => number | undefined;
}

/** `what` names the kind of file in messages: `scenario file`, `config file`. */
export async function readContent(file: string, shown: string, what: string): Promise<FileContent> {
  const ext = extname(file).toLowerCase();
  const bad = badFile(what, shown);
  if (!(EXTENSIONS as readonly string[]).includes(ext)) throw bad(`expected a file ending in ${EXTENSIONS.join(', ')}`);
  if (ext === '.ts' || ext === '.mjs' || ext === '.js') return { data: await loadModule(file, ext, bad), lineOf: () => undefined };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw bad(`cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseText(text, ext === '.json' ? 'json' : 'yaml', bad);
}

/** JSON or YAML text's content; a syntax error is `bad(problem, line)`. */
export function parseText(text: string, format: 'json' | 'yaml', bad: (problem: string, line?: number) => UsageError): FileContent {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (format === 'json') {
    try {
      return { data: JSON.parse(text), lineOf: locator(doc, lines) };
    } catch (error) {
      // Node says where only for some errors ("at position N"); else the YAML parser's view of the same text.
      const at = /at position (\d+)/.exec((error as Error).message);
      const offset = at ? Number(at[1]) : doc.errors[0]?.pos[0];
      const message = (error as Error).message.replace(/, (\.\.\.)?"[\s\S]*$/, '').replace(/ in JSON at position \d+[\s\S]*$/, '');
      throw bad(`not valid JSON: ${message}`, offset === undefined ? undefined : lines.linePos(offset).line);
    }
  }
  const first = doc.errors[0];
  if (first) throw bad(`not valid YAML: ${first.message.split('\n')[0]}`, lines.linePos(first.pos[0]).line);
  try {
    return { data: doc.toJS({ maxAliasCount: 100 }), lineOf: locator(doc, lines) };
  } catch (error) {
    // An alias to nothing, or aliases that would expand past maxAliasCount (a "billion laughs" file).
    throw bad(`not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Makes the one line for a file that cannot be read or parsed. */
export function badFile(what: string, shown: string) {
  return (problem: string, line?: number): UsageError => new UsageError(`bad ${what} ${quote(shown)}${line ? ` (line ${line})` : ''}: ${problem}`);
}

/** The line of the value at `path` (for an unknown key: the key itself), or undefined. */
function locator(doc: Document, lines: LineCounter) {
  return (path: readonly PropertyKey[]): number | undefined => {
    const node = doc.getIn(path as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lines.linePos(node.range[0]).line;
    const parent = doc.getIn(path.slice(0, -1) as unknown[], true);
    const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && p.key.value === path.at(-1)) : undefined;
    const key = pair?.key as { range?: [number, number, number] } | undefined;
    return key?.range ? lines.linePos(key.range[0]).line : undefined;
  };
}

/** A module's default export: `.ts` through tsx (no build step for the user), `.mjs` as it is. */
async function loadModule(file: string, ext: string, bad: (problem: string) => UsageError): Promise<unknown> {
  let module: { default?: unknown };
  try {
    if (ext === '.ts') {
      const { tsImport } = await import('tsx/esm/api');
      module = (await tsImport(pathToFileURL(file).href, import.meta.url)) as { default?: unknown };
    } else module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const missing = e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes(file);
    throw bad(missing ? 'cannot read it (ENOENT)' : `cannot load it: ${String(e.message ?? e).split('\n')[0]}`);
  }
  // A .ts file outside an ESM package is compiled as CommonJS: its exports are the default's properties.
  const value =
    typeof module.default === 'object' && module.default !== null && '__esModule' in module.default
      ? (module.default as { default?: unknown }).default
      : module.default;
  if (value === undefined) throw bad('expected a default export (export default defineScenarios({...}) or defineConfig({...}))');
  return value;
}
