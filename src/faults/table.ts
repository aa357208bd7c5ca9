/**
 * The fault tables people read (`--help`, `wireprobe list`, the README between its `faults:` markers),
 * generated from the registered descriptors so they cannot drift from what the parser accepts.
 */
import type { FaultDescriptor } from './descriptor.js';
import { DESCRIPTORS, type Fault } from './registry.js';

/** The README's markers around the generated table (scripts/fault-table.ts rewrites what is between). */
export const README_MARKERS = { start: '<!-- faults:start -->', end: '<!-- faults:end -->' } as const;

/** A kind's syntax with its own options, e.g. `reply <code> ["text"] [then continue|close|reset]`. */
export function kindSyntax(d: FaultDescriptor<Fault>): string {
  return [d.syntax, ...(d.options ?? []).map((o) => `[${o.word} ${o.choices.join('|')}]`)].join(' ');
}

/** Where each kind may fire, in a few words. */
const TRIGGER: Readonly<Record<FaultDescriptor<Fault>['trigger'], string>> = {
  required: 'needs a trigger',
  optional: 'default on connect',
  'connect-only': 'on connect only',
  'reply-only': 'before reply to only',
  'handshake-only': 'before handshake only',
};

/** Syntax this long or longer puts its help on the next line, so the help column stays narrow. */
const SYNTAX_COLUMN = 30;

/** Lines for a terminal: per kind its syntax, then what it does, each line indented by `indent`. */
export function faultLines(indent = '  '): string[] {
  const help = `${indent}${' '.repeat(SYNTAX_COLUMN)}`;
  return DESCRIPTORS.flatMap((d) => {
    const syntax = `${indent}${kindSyntax(d)}`;
    return syntax.length < help.length ? [`${syntax.padEnd(help.length)}${d.help}`] : [syntax, `${help}${d.help}`];
  });
}

/** `|` escaped, so a cell's text is not read as a column break. */
const cell = (text: string): string => text.replaceAll('|', '\\|');

/** The README's Markdown table: one row per kind. */
export function faultMarkdown(): string {
  const rows = DESCRIPTORS.map((d) => `| \`${cell(kindSyntax(d))}\` | ${d.scope} | ${TRIGGER[d.trigger]} | ${cell(d.help)} | \`${cell(d.example)}\` |`);
  return ['| fault | acts on | trigger | what the peer sees | example |', '|---|---|---|---|---|', ...rows].join('\n');
}

/**
 * `text` with the part between the README markers replaced by `table`; undefined when the markers are
 * missing or out of order.
 */
export function withTable(text: string, table: string): string | undefined {
  const start = text.indexOf(README_MARKERS.start);
  const end = text.indexOf(README_MARKERS.end);
  if (start === -1 || end < start) return undefined;
  return `${text.slice(0, start + README_MARKERS.start.length)}\n${table}\n${text.slice(end)}`;
}
