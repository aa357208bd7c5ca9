/**
 * A Fault back to the command line's short syntax (parse.ts), for reports, transcripts and `--fault`
 * suggestions. Canonical: lower-case keywords, the largest whole unit, options in a fixed order, and
 * only the fields the fault has (`parseFault(formatFault(f))` deep-equals `f`).
 *
 *   { kind: 'reply', code: 552, text: 'Too big', at: { after: 'DATA', bytes: 1048576 }, then: 'close' }
 *     ──► reply 552 "Too big" after DATA +1MiB then close
 */
import type { At, Fault, FaultKind } from './types.js';
import { NEED_AT } from './parse.js';


/** The largest unit that divides `n` exactly, first match wins. */
function inUnits(n: number, units: readonly (readonly [string, number])[], plain: string): string {
  const [name, size] = units.find(([, s]) => n > 0 && n % s === 0) ?? [plain, 1];
  return `${n / size}${name}`;
}

/** Bytes as `1GiB`, `64KiB`, `1536` (binary units only, so parseSize gives the same number back). */
export function formatSize(bytes: number): string {
  return inUnits(bytes, [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]], '');
}

/** Milliseconds as `2m`, `90s`, `1500ms` (so parseDuration gives the same number back). */
export function formatDuration(ms: number): string {
  return inUnits(ms, [['m', 60_000], ['s', 1000]], 'ms');
}

/** A reply text in double quotes, with `"` and `\` escaped. */
function quoted(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

/** A trigger: `on connect`, `after DATA +64KiB`, `before reply to RCPT`, `before dot`. */
export function formatAt(at: At): string {
  if (at === 'connect') return 'on connect';
  if ('to' in at) return `before reply to ${at.to}`;
  if ('before' in at) return `before ${at.before}`;
  return at.bytes === undefined ? `after ${at.after}` : `after ${at.after} +${formatSize(at.bytes)}`;
}

/** The kind and its own arguments, e.g. `slice 1KiB gap 10ms`. */
function head(f: Fault): string[] {
  switch (f.kind) {
    case 'reset':
    case 'stall':
    case 'lf':
      return [f.kind];
    case 'close':
      return f.then === undefined ? [f.kind] : [f.kind, f.then];
    case 'delay':
    case 'coalesce':
      return [f.kind, formatDuration(f.ms)];
    case 'throttle':
      return [f.kind, `${formatSize(f.bytesPerSecond)}/s`];
    case 'slice':
      return [f.kind, formatSize(f.size), ...(f.gapMs === undefined ? [] : ['gap', formatDuration(f.gapMs)])];
    case 'reply':
      return [f.kind, String(f.code), ...(f.text === undefined ? [] : [quoted(f.text)])];
    case 'refuse':
      return [f.kind, formatDuration(f.ms), ...(f.mode === undefined ? [] : [f.mode])];
    case 'limit':
      return [f.kind, String(f.max), ...(f.over === undefined ? [] : [f.over])];
    case 'dataport':
      return [f.kind, f.how];
  }
}

/**
 * The canonical short syntax of a fault: kind and arguments, the trigger (left out when it is the
 * kind's default, `connect`), then `then`/`drop`, `toward`, `connection`.
 * Steps are written as they are, so the round trip holds for the normalised steps parseFault makes.
 */
export function formatFault(f: Fault): string {
  const parts = head(f);
  // Kinds that need no trigger default to `on connect`, so it is left out for them.
  if (!(f.at === 'connect' && !NEED_AT[f.kind])) parts.push(formatAt(f.at));
  if (f.kind === 'reply' && f.then !== undefined) parts.push('then', f.then);
  if (f.kind === 'refuse' && f.drop !== undefined) parts.push('drop', f.drop);
  if (f.toward !== undefined) parts.push('toward', f.toward);
  if (f.channel !== undefined) parts.push('channel', f.channel);
  if (f.connection !== undefined) parts.push('connection', String(f.connection));
  return parts.join(' ');
}
