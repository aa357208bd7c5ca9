/**
 * `match` in a request body: which messages (SMTP `from`, `rcpt`) or transfers (FTP `path`) a fault or
 * plan is for. JSON has no RegExp, so a pattern is written `{ "regex": "@t42$", "flags": "i" }`; a
 * string matches exactly (addresses case-insensitively), as in the library.
 */
import type { MessageMatch } from '../lib/types.js';
import { quote } from '../util/terminal.js';
import { ControlError } from './errors.js';

/** The fields each protocol's match takes. */
const FIELDS = { smtp: ['from', 'rcpt'], ftp: ['path'] } as const;

/** Flags that keep `test()` free of state: `g` and `y` would make each test start where the last ended. */
const FLAGS = /^[imsu]*$/;

const bad = (message: string): ControlError => new ControlError(400, 'EBADREQUEST', message);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** One field's value: a string, or `{ regex, flags? }` compiled. */
function pattern(field: string, value: unknown): string | RegExp {
  if (typeof value === 'string') return value;
  if (!isRecord(value) || typeof value.regex !== 'string') throw bad(`bad match.${field}: expected a string or {"regex": "...", "flags": "i"}`);
  const unknown = Object.keys(value).find((k) => k !== 'regex' && k !== 'flags');
  if (unknown !== undefined) throw bad(`bad match.${field}: unknown field ${quote(unknown)} (fields: regex, flags)`);
  const flags = value.flags ?? '';
  if (typeof flags !== 'string' || !FLAGS.test(flags)) throw bad(`bad match.${field}.flags ${quote(String(flags))}: expected some of i, m, s, u`);
  try {
    return new RegExp(value.regex, flags);
  } catch (error) {
    throw bad(`bad match.${field}.regex ${quote(value.regex)}: ${(error as Error).message}`);
  }
}

/** `match` from a request body, for a server speaking `protocol`; each bad part one 400 naming it. */
export function matchFrom(value: unknown, protocol: 'smtp' | 'ftp'): MessageMatch {
  if (!isRecord(value)) throw bad(`bad match: expected an object with ${FIELDS[protocol].join(', ')}`);
  const allowed: readonly string[] = FIELDS[protocol];
  const match: Record<string, string | RegExp> = {};
  for (const [field, given] of Object.entries(value)) {
    if (!allowed.includes(field)) {
      const other = protocol === 'smtp' ? 'ftp' : 'smtp';
      const why = (FIELDS[other] as readonly string[]).includes(field)
        ? ` (it applies to ${other.toUpperCase()}; this is an ${protocol.toUpperCase()} server)`
        : '';
      throw bad(`bad match: unknown field ${quote(field)}${why} (fields: ${allowed.join(', ')})`);
    }
    match[field] = pattern(field, given);
  }
  if (Object.keys(match).length === 0) throw bad(`bad match: empty (give ${FIELDS[protocol].join(' or ')}, or leave match out to match all)`);
  return match;
}

/** A match as JSON again: each RegExp as `{ regex, flags }`. */
export function matchJson(match: MessageMatch): Record<string, string | { regex: string; flags: string }> {
  const json: Record<string, string | { regex: string; flags: string }> = {};
  for (const [field, value] of Object.entries(match) as [string, string | RegExp | undefined][]) {
    if (value !== undefined) json[field] = typeof value === 'string' ? value : { regex: value.source, flags: value.flags };
  }
  return json;
}
