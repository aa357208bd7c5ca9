/**
 * Properties of scenario and config files: whatever a file holds (random text, random JSON, a valid
 * file with one part broken), loading it gives a suite or config, or one UsageError line naming the
 * file; never another error, never a stack trace.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configOf } from '../../src/config/config.js';
import { badFile, parseText } from '../../src/config/read.js';
import { suiteOf } from '../../src/config/scenarios.js';
import { isWireprobeError } from '../../src/util/errors.js';
import { SEED } from '../fuzz/arbitraries.js';

const RUNS = { seed: SEED, numRuns: 400 };

/** Loads `text` as a scenario file and a config file; what each gives or throws. */
function outcomes(text: string, format: 'json' | 'yaml'): unknown[] {
  const shown = `f.${format}`;
  return [
    () => suiteOf(parseText(text, format, badFile('scenario file', shown)), shown, 'f'),
    () => configOf(parseText(text, format, badFile('config file', shown)), `/tmp/${shown}`, shown),
  ].map((load) => {
    try {
      return load();
    } catch (error) {
      return error;
    }
  });
}

/** Passes when `result` is a value, or a one-line usage error naming the file. */
function wellBehaved(result: unknown, format: string): void {
  if (!(result instanceof Error)) return;
  expect(isWireprobeError(result) && result.code === 'EUSAGE', String(result.stack)).toBe(true);
  expect(result.message).toMatch(new RegExp(`^bad (scenario|config) file "f\\.${format}"`));
  expect(result.message).not.toMatch(/\n\s+at /);
}

/** A valid SMTP scenario file, as data. */
const VALID = {
  name: 'fuzz/suite',
  protocol: 'smtp',
  scenarios: [
    { name: 'a', fault: 'reset after DATA +1KiB', size: '64KiB', timeouts: { socket: '2s' }, outcomes: { nodemailer: 'reset@body' } },
    { name: 'b', server: { maxSessions: 2, greetingDelay: 100 }, sends: { count: 3, mode: 'parallel' }, expect: 'accounts' },
  ],
};

/** Values that break a field: wrong types, bad units, huge and odd numbers, prototype keys. */
const junk = fc.oneof(
  fc.constantFrom(null, true, -1, 0, 1.5, 1e308, Number.MAX_SAFE_INTEGER + 2, '', '1 MB', 'soon', 'reset aftr DATA', 'rest@body', '__proto__', 'constructor'),
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ maxLength: 40 }),
);
const key = fc.oneof(
  fc.constantFrom('name', 'fault', 'size', 'timeouts', 'outcomes', 'server', 'sends', 'expect', 'ftp', 'tls', '__proto__', 'constructor', 'toString'),
  fc.string({ maxLength: 12 }),
);

/** `data` with the value at a random path (chosen by `steps`) replaced by `value`. */
function broken(data: unknown, steps: readonly number[], name: string, value: unknown): unknown {
  if (steps.length === 0 || typeof data !== 'object' || data === null) return value;
  const entries = Object.entries(data);
  if (entries.length === 0) return { [name]: value };
  const [k, v] = entries[steps[0]! % entries.length]!;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(data) ? [...data] : { ...data };
  (copy as Record<string, unknown>)[steps.length === 1 ? name : k] = broken(v, steps.slice(1), name, value);
  return copy;
}

describe('loading a scenario or config file', () => {
  it('never throws anything but one usage line, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.constantFrom('json', 'yaml' as const), (text, format) => {
        for (const result of outcomes(text, format)) wellBehaved(result, format);
      }),
      RUNS,
    );
  });

  it('never throws anything but one usage line, whatever the JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        for (const result of outcomes(JSON.stringify(value), 'json')) wellBehaved(result, 'json');
      }),
      RUNS,
    );
  });

  it('names the broken part of an otherwise valid file, in one line', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), key, junk, (steps, name, value) => {
        const text = JSON.stringify(broken(VALID, steps, name, value));
        for (const result of outcomes(text, 'json')) wellBehaved(result, 'json');
      }),
      RUNS,
    );
  });
});
