/**
 * The schema pieces scenario files and config files share: objects that refuse unknown keys (a typo
 * must not be ignored, so the message lists the keys allowed), and the fields parsed the way the
 * command line parses them: sizes (`1MiB`), durations (`5s`), faults (string or object form), pins.
 */
import * as z from 'zod';
import { formatFault } from '../faults/format.js';
import { fault } from '../lib/faults.js';
import { neverFires } from '../faults/fit.js';
import type { Fault } from '../faults/types.js';
import type { PinnedOutcome, Protocol } from '../engine/types.js';
import { parseDuration, parseSize } from '../util/units.js';
import { parsePin } from './pin.js';

/** An object with exactly these keys (all as declared), naming an unknown key and the ones allowed. */
export function strict<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unknown key ${JSON.stringify(issue.keys[0])} (allowed: ${Object.keys(shape).join(', ')})` : undefined,
  });
}

/**
 * A field parsed by `parse` from what the file holds; a thrown error's message (or `expected`) is the
 * problem reported at the field's path.
 */
function parsed<In, T>(parse: (value: unknown) => T) {
  // custom<In>: accepts anything (parse checks it), typed as what a user writes, for defineScenarios().
  return z.custom<In>().transform((value, ctx): T => {
    try {
      return parse(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });
}

/** A whole number of units in [min, max], or text `parse` reads (`1MiB`, `5s`). */
function measured(what: string, parse: (text: string) => number, min: number, max: number) {
  return parsed<string | number, number>((value) => {
    const n = typeof value === 'string' ? parse(value) : value;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new Error(`expected ${what} from ${min} to ${max}${typeof value === 'string' ? `, got ${JSON.stringify(value)}` : ''}`);
    }
    return n;
  });
}

/** Octets: `1MiB`, `64KiB`, `1000` (1 octet to 4 GiB). */
export const size = (min = 1) => measured('a size such as 64KiB or a number of bytes', parseSize, min, 4 * 1024 ** 3);
/** Milliseconds: `5s`, `500ms`, `1500` (up to an hour). */
export const duration = (min = 0) => measured('a duration such as 5s, 500ms or a number of milliseconds', parseDuration, min, 3_600_000);
/**
 * One of several shapes, chosen by `pick` from the value itself, so a problem is reported inside the
 * shape meant (an unknown key in a command client) rather than as "matches none".
 */
export function byShape<In, Out>(pick: (value: unknown) => z.ZodType<Out>) {
  return z.custom<In>().transform((value, ctx): Out => {
    const checked = pick(value).safeParse(value);
    if (checked.success) return checked.data;
    for (const issue of checked.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  });
}

/** A whole number in [min, max]. */
export const whole = (min: number, max: number) => z.int().min(min).max(max);

/**
 * A fault in the command line's syntax (`reset after DATA +64KiB`) or the library's object form, checked
 * as `fault()` checks it; a fault that could never fire in the protocol's sessions (an FTP data
 * connection's in SMTP, a trigger on another protocol's command) is refused.
 */
export function faultField(protocol: Protocol) {
  return parsed<string | Fault, Fault>((value) => {
    if (typeof value !== 'string' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw new Error('expected a fault such as "reset after DATA +64KiB" or { kind: reset, at: { after: DATA } }');
    }
    const checked = fault(value as Fault);
    if (typeof value === 'object') {
      const stray = strayPath(value, checked);
      if (stray) throw new Error(`${stray} is not part of a ${checked.kind} fault (it reads as ${JSON.stringify(formatFault(checked))})`);
    }
    const never = neverFires(checked, protocol);
    if (never) throw new Error(`${never} and can never fire in an ${protocol.toUpperCase()} scenario`);
    return checked;
  });
}

/**
 * The first field of `given` (an object-form fault) that the parsed fault does not hold as given: a
 * misspelt key or a value of the wrong type would otherwise be dropped without a word.
 */
function strayPath(given: object, parsed: unknown, path = ''): string | undefined {
  for (const [key, value] of Object.entries(given)) {
    const there = (parsed as Record<string, unknown> | undefined)?.[key];
    const at = path ? `${path}.${key}` : key;
    if (typeof value === 'object' && value !== null && typeof there === 'object') {
      const inner = strayPath(value, there, at);
      if (inner) return inner;
    } else if (there !== value && !(typeof value === 'string' && typeof there === 'string' && value.toUpperCase() === there.toUpperCase())) return at;
  }
  return undefined;
}

/** A pinned outcome: `reset@data`, `reply 451@rcpt`, or `{ kind: reply, code: 451, phase: rcpt }`. */
export const pinField = (protocol: Protocol) => parsed<string | PinnedOutcome, PinnedOutcome>((value) => parsePin(value, protocol));
