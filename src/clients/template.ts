/**
 * A command template: words split as a shell splits them, then placeholders filled in inside each
 * word, so a value with spaces stays one argument and no value is ever read as shell syntax. No shell
 * runs: what a shell would do beyond splitting (operators, globs, `$VAR`, comments) is refused.
 *
 *   "curl smtp://{host}:{port} --mail-from {from}" ─► shell-quote parse ─► words of text and placeholders ─► fill(values) ─► argv
 */
import { parse } from 'shell-quote';
import { UsageError } from '../util/usage-error.js';
import { quote } from '../util/terminal.js';

/** Every placeholder a template may use (each protocol takes a subset, see command.ts). */
export const PLACEHOLDERS = ['host', 'port', 'from', 'to', 'message', 'user', 'path', 'file', 'mode', 'direction', 'connect-timeout', 'timeout'] as const;

export type Placeholder = (typeof PLACEHOLDERS)[number];

/** A piece of one word: literal text, or a placeholder filled in at run time. */
export type Part = { readonly text: string } | { readonly placeholder: Placeholder };

/** A parsed template: the program to run (literal), its argument words, and the placeholders used. */
export interface Template {
  readonly program: string;
  readonly args: readonly (readonly Part[])[];
  readonly uses: ReadonlySet<Placeholder>;
}

/** `{{` and `}}` are literal braces (as in Python's str.format); `{name}` is a placeholder. */
const BRACES = /\{\{|\}\}|\{([A-Za-z][A-Za-z0-9_-]*)\}/g;

/** Marks a `$VAR` the parser met, so it is refused instead of expanded. */
interface Expansion {
  readonly expansion: string;
}

/**
 * Parses `command` into a Template. `label` names the client in errors (`command client "mine"`).
 * Throws UsageError naming the first thing a shell would have done and this will not.
 */
export function parseTemplate(command: string, label: string): Template {
  const bad = (why: string): UsageError => new UsageError(`${label}: ${why} in ${quote(command)}`);
  // shell-quote passes what sh refuses (an unclosed quote) and backquotes as text, and throws a bare
  // Error at a ${ it cannot close: each is looked for first, and named.
  const problem = syntaxProblem(command);
  if (problem !== undefined) throw bad(problem);
  let entries: ReturnType<typeof parse<Expansion>>;
  try {
    entries = parse<Expansion>(command, (name) => ({ expansion: name }));
  } catch {
    // Only at a ${...} that syntaxProblem let through (`${x:-a b}`, which sh reads): refused as any $VAR.
    throw bad(`a \${...} substitution would need a shell (no shell runs the command; quote a literal "$" with single quotes, or run sh -c yourself)`);
  }
  const words: string[] = [];
  for (const entry of entries) {
    if (typeof entry === 'string') words.push(entry);
    else if ('expansion' in entry)
      throw bad(`$${entry.expansion} would need a shell (no shell runs the command; quote a literal "$" with single quotes, or run sh -c yourself)`);
    else if ('comment' in entry) throw bad('a comment ("#") would need a shell (no shell runs the command; quote a literal "#")');
    else if (entry.op === 'glob') throw bad(`the glob ${quote(entry.pattern)} would need a shell (no shell runs the command; quote it to pass it as is)`);
    else throw bad(`the shell operator ${quote(entry.op)} would need a shell (no shell runs the command; run sh -c yourself if you need one)`);
  }
  const [program, ...rest] = words;
  if (program === undefined || program === '') throw bad('no program to run');
  const first = partsOf(program, bad);
  if (first.some((p) => 'placeholder' in p)) throw bad('the program (the first word) cannot be a placeholder');
  if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(program)) throw bad(`${quote(program)} looks like a variable assignment, which would need a shell`);
  const args = rest.map((word) => partsOf(word, bad));
  const uses = new Set(args.flatMap((parts) => parts.flatMap((p) => ('placeholder' in p ? [p.placeholder] : []))));
  return { program: textOf(first), args, uses };
}

/** What may stand between `${` and `}` for sh: a name, a number or a special parameter, then an operator or nothing (`#` first: a length). */
const SUBSTITUTION = /^#?(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])(?:$|:?[-=?+]|%|#)/;

/**
 * What sh would refuse in `command`, or would do that no split can (a `...` command substitution), as
 * the words of an error; undefined when there is none. Scans as sh does: backslash escapes (outside
 * single quotes), single and double quotes, a comment from a `#` that starts a word.
 */
function syntaxProblem(command: string): string | undefined {
  let open: { readonly quote: string; readonly at: number } | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (open?.quote === "'") {
      if (c === "'") open = undefined;
      continue;
    }
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '`') return 'the command substitution `...` would need a shell (no shell runs the command; quote a literal "`" with single quotes)';
    if (c === '$' && command[i + 1] === '{') {
      // sh reads to the next "}", spaces and all (`${x {from}` is "x {from"), and wants a name first.
      const end = command.indexOf('}', i + 2);
      if (end === -1) return `the \${ at character ${i + 1} is never closed (sh would refuse it)`;
      if (!SUBSTITUTION.test(command.slice(i + 2, end))) return `${quote(command.slice(i, end + 1))} is a bad substitution (sh would refuse it)`;
    }
    if (open?.quote === '"') {
      if (c === '"') open = undefined;
      continue;
    }
    if (c === "'" || c === '"') open = { quote: c, at: i };
    else if (c === '#' && (i === 0 || /\s/.test(command[i - 1]!))) {
      // A comment, refused by parseTemplate: what follows it on its line is no word of the command.
      const end = command.indexOf('\n', i);
      if (end === -1) break;
      i = end;
    }
  }
  return open && `the ${open.quote} quote at character ${open.at + 1} is never closed (sh would refuse it)`;
}

function partsOf(word: string, bad: (why: string) => UsageError): Part[] {
  const parts: Part[] = [];
  let text = '';
  let last = 0;
  for (const match of word.matchAll(BRACES)) {
    text += word.slice(last, match.index);
    last = match.index + match[0].length;
    const name = match[1];
    if (name === undefined) {
      text += match[0][0];
      continue;
    }
    if (!isPlaceholder(name)) {
      throw bad(`unknown placeholder {${name}} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}; write {{ and }} for literal braces)`);
    }
    if (text) parts.push({ text });
    text = '';
    parts.push({ placeholder: name });
  }
  text += word.slice(last);
  if (text || parts.length === 0) parts.push({ text });
  return parts;
}

function isPlaceholder(name: string): name is Placeholder {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}

function textOf(parts: readonly Part[]): string {
  return parts.map((p) => ('text' in p ? p.text : '')).join('');
}

/** The argument list for one run: every placeholder replaced by its value, inside its word. */
export function fill(template: Template, values: Readonly<Partial<Record<Placeholder, string>>>): string[] {
  return template.args.map((parts) =>
    parts.map((p, i) => ('text' in p ? p.text : p.placeholder === 'host' ? hostAt(parts, i, values.host ?? '') : (values[p.placeholder] ?? ''))).join(''),
  );
}

/**
 * The {host} at `parts[i]`: an IPv6 address written right before a ":" (a URL's
 * authority, `smtp://{host}:{port}`, or a `{host}:{port}` pair) goes in brackets, as RFC 3986 §3.2.2
 * writes it (`smtp://::1:25` is no URL); alone (`-h {host}`) or already bracketed it stays as it is.
 */
function hostAt(parts: readonly Part[], i: number, host: string): string {
  const [before, after] = [parts[i - 1], parts[i + 1]];
  const beforeColon = after !== undefined && 'text' in after && after.text.startsWith(':');
  const bracketed = before !== undefined && 'text' in before && before.text.endsWith('[');
  return host.includes(':') && beforeColon && !bracketed ? `[${host}]` : host;
}
