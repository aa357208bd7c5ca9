/**
 * Properties of the fault short syntax (src/faults/parse.ts, src/faults/format.ts): every valid Fault
 * survives formatFault then parseFault unchanged; any text either parses (and then its canonical form
 * parses to the same Fault) or throws FaultSyntaxError, never anything else; sizes and durations round
 * trip; huge inputs return.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatFault } from '../../src/faults/format.js';
import { FaultSyntaxError, parseFault } from '../../src/faults/parse.js';
import { formatDuration, formatSize, parseDuration, parseSize, UnitSyntaxError } from '../../src/util/units.js';
import { descriptorOf, KINDS } from '../../src/faults/registry.js';
import type { At, Fault, FaultKind } from '../../src/faults/types.js';
import { TRANSFER_VERBS } from '../../src/protocol/ftp.js';
import { SEED } from './arbitraries.js';

const RUNS = { seed: SEED, numRuns: 3000 };

/** A command verb as parseFault normalises it: 3 to 8 letters, upper case, not a keyword step. */
const verb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'EHLO',
    'MAIL',
    'RCPT',
    'DATA',
    'QUIT',
    'AUTH',
    'STARTTLS',
    'RSET',
    'USER',
    'PASS',
    'EPSV',
    'REPLY',
    'TOWARD',
    'CONNECT',
    'BEFORE',
    'AFTER',
    ...TRANSFER_VERBS,
  ),
  fc.stringMatching(/^[A-Z]{3,8}$/).filter((v) => v !== 'GREETING' && v !== 'DOT'),
);
/** A step the client sends: `dot` or a verb. */
const clientStep = fc.oneof(fc.constant('dot'), verb);
const positive = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const natural = fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
/** Round numbers too, so the larger units (KiB, MiB, s, m) are written. */
const scaledBy = (units: readonly number[], base: fc.Arbitrary<number>): fc.Arbitrary<number> =>
  fc.oneof(
    base,
    fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.constantFrom(...units)).map(([n, u]) => n * u),
  );
const bytesArb = scaledBy([1024, 1024 ** 2, 1024 ** 3, 1000], positive).filter((n) => n > 0);
const msArb = scaledBy([1000, 60_000], natural);

/** Fields every fault may carry, and the trigger, consistent with the rules parseFault enforces. */
const common = fc.record({ connection: positive, toward: fc.constantFrom('client', 'server'), channel: fc.constantFrom('control', 'data') } as const, {
  requiredKeys: [],
});
const trigger = (channel: string | undefined): fc.Arbitrary<At> => {
  const byteVerbs = channel === 'data' ? [...TRANSFER_VERBS] : channel === 'control' ? ['DATA', ...TRANSFER_VERBS] : ['DATA'];
  const bytesAfter = fc.tuple(fc.constantFrom(...byteVerbs), bytesArb).map(([after, bytes]): At => ({ after, bytes }));
  if (channel === 'data') return fc.oneof(fc.constant<At>('connect'), bytesAfter);
  return fc.oneof(
    fc.constant<At>('connect'),
    fc.oneof(fc.constantFrom('greeting', 'dot'), verb).map((after): At => ({ after })),
    bytesAfter,
    clientStep.map((before): At => ({ before })),
    clientStep.map((to): At => ({ before: 'reply', to })),
  );
};

/** The kind's own fields. */
const kinds: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.constantFrom({ kind: 'reset' }, { kind: 'stall' }, { kind: 'lf' }, { kind: 'truncate' }),
  fc.record({ kind: fc.constant('close'), then: fc.constantFrom('discard', 'abort') }, { requiredKeys: ['kind'] }),
  fc.record({ kind: fc.constantFrom('delay', 'coalesce'), ms: msArb }),
  fc.record({ kind: fc.constant('throttle'), bytesPerSecond: bytesArb }),
  fc.record({ kind: fc.constant('slice'), size: bytesArb, gapMs: msArb }, { requiredKeys: ['kind', 'size'] }),
  fc.record(
    {
      kind: fc.constant('reply'),
      code: fc.integer({ min: 100, max: 599 }),
      text: fc.string({ unit: 'binary', maxLength: 40 }),
      then: fc.constantFrom('continue', 'close', 'reset'),
    },
    { requiredKeys: ['kind', 'code'] },
  ),
  fc.record(
    { kind: fc.constant('refuse'), ms: msArb, mode: fc.constantFrom('refuse', 'reset'), drop: fc.constantFrom('close', 'reset') },
    { requiredKeys: ['kind', 'ms'] },
  ),
  fc.record({ kind: fc.constant('limit'), max: natural, over: fc.constantFrom('reply', 'close', 'reset', 'queue') }, { requiredKeys: ['kind', 'max'] }),
  fc.record({ kind: fc.constant('dataport'), how: fc.constantFrom('wrong-address', 'refused', 'blackholed') }),
  fc.constant({ kind: 'corrupt' }),
  fc.record({ kind: fc.constant('rcvbuf'), bytes: bytesArb }),
  fc.record({ kind: fc.constant('alert'), description: fc.integer({ min: 0, max: 255 }) }, { requiredKeys: ['kind'] }),
  fc.record({
    kind: fc.constant('strip'),
    keyword: fc.stringMatching(/^[A-Z0-9][A-Z0-9-]{0,11}$/).filter((k) => !['ON', 'AFTER', 'BEFORE', 'TOWARD', 'CONNECTION', 'CHANNEL'].includes(k)),
  }),
);

/** Whether a kind fires on connect only (`limit`, `dataport`). */
const connectOnly = (kind: unknown): boolean => descriptorOf(kind as FaultKind).trigger === 'connect-only';

/** A Fault parseFault accepts: `connect-only` kinds fire on connect only. */
const fault: fc.Arbitrary<Fault> = fc
  .tuple(kinds, common)
  .chain(([own, all]) => {
    // A `reply-only` kind (strip) rewrites a reply toward the client, on the control connection; a
    // `handshake-only` one (alert) answers the client's ClientHello there.
    const replyOnly = descriptorOf(own['kind'] as FaultKind).trigger === 'reply-only';
    const handshakeOnly = descriptorOf(own['kind'] as FaultKind).trigger === 'handshake-only';
    const { toward, channel, ...rest } = all;
    const opts = replyOnly || handshakeOnly ? { ...rest, ...(toward === 'client' ? { toward } : {}), ...(channel === 'control' ? { channel } : {}) } : all;
    if (replyOnly) return clientStep.map((to) => ({ ...own, at: { before: 'reply', to }, ...opts }) as unknown as Fault);
    if (handshakeOnly) return fc.constant({ ...own, at: { before: 'handshake' }, ...opts } as unknown as Fault);
    const at = connectOnly(own['kind']) ? fc.constant<At>('connect') : trigger(opts.channel);
    return at.map((a) => ({ ...own, at: a, ...opts }) as unknown as Fault);
  })
  .filter((f) => !continuesBlind(f));

/**
 * A `reply ... then continue` the parser refuses: on connect (the server's greeting would follow it), in
 * DATA's 354's place (the server takes what follows as the message), or after a caught BDAT (its chunk).
 */
function continuesBlind(f: Fault): boolean {
  if (f.kind !== 'reply' || f.then !== 'continue') return false;
  if (f.at === 'connect') return true;
  if ('to' in f.at) return f.at.to.toUpperCase() === 'DATA';
  return 'before' in f.at && (f.at.before === 'BDAT' || f.at.before === 'BDAT LAST');
}

/** What types.ts documents of a Fault beyond its fields' types: where `+<size>` and `channel data` apply. */
function documented(f: Fault): boolean {
  if (continuesBlind(f)) return false;
  const bytesAfter = f.at !== 'connect' && 'bytes' in f.at ? f.at.after : undefined;
  if (connectOnly(f.kind) && f.at !== 'connect') return false;
  if (bytesAfter !== undefined && bytesAfter !== 'DATA' && !TRANSFER_VERBS.has(bytesAfter)) return false;
  if (f.channel === 'data') return f.at === 'connect' || (bytesAfter !== undefined && bytesAfter !== 'DATA');
  return f.channel !== undefined || bytesAfter === undefined || bytesAfter === 'DATA';
}

/** `text` parsed, or the FaultSyntaxError it threw; anything else thrown fails the property. */
function attempt<T>(parse: (text: string) => T, text: string): T | FaultSyntaxError {
  try {
    return parse(text);
  } catch (error) {
    if (error instanceof FaultSyntaxError && error.code === 'EFAULTSYNTAX' && !error.message.includes('\n')) return error;
    throw error;
  }
}

/** `text` read as a size or duration, or the UnitSyntaxError it threw; anything else thrown fails. */
function attemptUnits(parse: (text: string) => number, text: string): number | UnitSyntaxError {
  try {
    return parse(text);
  } catch (error) {
    if (error instanceof UnitSyntaxError && error.code === 'EUNITSYNTAX' && !error.message.includes('\n')) return error;
    throw error;
  }
}

/** A valid fault's text with some words dropped, doubled, moved, re-cased or replaced: near misses. */
const mutated: fc.Arbitrary<string> = fc
  .tuple(
    fault,
    fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('drop', 'double', 'swap', 'upper', 'word')), { maxLength: 3 }),
    fc.constantFrom(
      'on',
      'after',
      'before',
      'reply',
      'to',
      'then',
      'gap',
      '+1k',
      '"x y"',
      'DATA',
      'connection',
      '0',
      'channel data',
      'channel control',
      'after STOR',
      'before reply to dot',
    ),
  )
  .map(([f, edits, extra]) => {
    const words = formatFault(f).split(' ');
    for (const [a, b, edit] of edits) {
      const i = a % words.length;
      const j = b % words.length;
      if (edit === 'drop' && words.length > 1) words.splice(i, 1);
      else if (edit === 'double') words.splice(i, 0, words[i]!);
      else if (edit === 'swap') [words[i], words[j]] = [words[j]!, words[i]!];
      else if (edit === 'upper') words[i] = words[i]!.toUpperCase();
      else words.splice(a % (words.length + 1), 0, extra);
    }
    return words.join(' ');
  });

/** Text made of the syntax's own words, numbers, sizes and quoted text, so a good share of it parses. */
const sentence: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constantFrom(
          'reset',
          'close',
          'stall',
          'delay',
          'throttle',
          'slice',
          'coalesce',
          'lf',
          'reply',
          'refuse',
          'limit',
          'dataport',
          'discard',
          'abort',
          'gap',
          'on',
          'connect',
          'after',
          'before',
          'reply',
          'to',
          'toward',
          'client',
          'server',
          'connection',
          'then',
          'continue',
          'drop',
          'channel',
          'control',
          'data',
          'greeting',
          'dot',
          'DATA',
          'STOR',
          'RCPT',
          'wrong-address',
          'refused',
          'blackholed',
          'queue',
          'REPLY',
          'Before',
          'ON',
        ),
      },
      {
        weight: 3,
        arbitrary: fc
          .tuple(fc.nat(5000), fc.constantFrom('', 'k', 'KiB', 'MB', 'ms', 's', 'm', '/s', 'KiB/s', '.5s', '.25k', 'x'), fc.constantFrom('', '+'))
          .map(([n, u, p]) => `${p}${n}${u}`),
      },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }).map((s) => JSON.stringify(s)) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
    ),
    { maxLength: 9 },
  )
  .map((words) => words.join(' '));

describe('fault short syntax', () => {
  it('generates every registered kind, so the round trip below covers each', () => {
    const seen = new Set(fc.sample(fault, { seed: SEED, numRuns: 2000 }).map((f) => f.kind));
    expect([...seen].sort()).toEqual([...KINDS].sort());
  });

  it('parses what formatFault writes back to the same Fault', () => {
    fc.assert(
      fc.property(fault, (f) => {
        expect(documented(f)).toBe(true);
        expect(parseFault(formatFault(f))).toEqual(f);
      }),
      RUNS,
    );
  });

  it('on any text returns a Fault whose canonical form parses back to it, or throws FaultSyntaxError', () => {
    fc.assert(
      fc.property(fc.oneof(sentence, mutated, fc.string({ unit: 'binary', maxLength: 60 })), (text) => {
        const parsed = attempt(parseFault, text);
        if (parsed instanceof FaultSyntaxError) return;
        expect(parseFault(formatFault(parsed))).toEqual(parsed);
        expect(documented(parsed)).toBe(true);
      }),
      RUNS,
    );
  });

  // Regression: a data-channel fault with a control step for trigger was accepted, and never fired.
  it.each([
    'close after DATA channel data',
    'reset after greeting channel data',
    'stall before STOR channel data',
    'close before reply to RETR channel data',
    'delay 1s after STOR channel data',
  ])('refuses %j: a data connection has no such step', (text) => {
    const error = attempt(parseFault, text);
    expect(error).toBeInstanceOf(FaultSyntaxError);
    expect(error).toMatchObject({ token: text.split(' ').find((w) => ['after', 'before'].includes(w)) });
  });

  it('reads sizes and durations as whole non-negative numbers or throws UnitSyntaxError; formatted ones read back', () => {
    const unitText = fc
      .tuple(fc.stringMatching(/^\d{0,20}(\.\d{0,20})?$/), fc.constantFrom('', 'b', 'k', 'KiB', 'kb', 'M', 'g', 'GiB', 'ms', 's', 'm', 'x'))
      .map(([n, u]) => n + u);
    fc.assert(
      fc.property(fc.oneof(unitText, fc.string({ unit: 'binary', maxLength: 20 })), (text) => {
        for (const parse of [parseSize, parseDuration]) {
          const n = attemptUnits(parse, text);
          if (!(n instanceof UnitSyntaxError)) expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
        }
      }),
      RUNS,
    );
    fc.assert(
      fc.property(natural, (n) => {
        expect(parseSize(formatSize(n))).toBe(n);
        expect(parseDuration(formatDuration(n))).toBe(n);
      }),
      RUNS,
    );
  });

  // Regression: a megabyte-long number took a second in BigInt arithmetic (more for longer), and trimming
  // a fraction's zeros must not be quadratic either (`1.000…01`).
  it('returns on huge inputs (a megabyte of one token, of spaces, of an unclosed quote, of digits)', () => {
    const mb = 1 << 20;
    const inputs = [
      `reset after ${'A'.repeat(mb)}`,
      `${' '.repeat(mb)}x`,
      `reply 250 "${'\\"'.repeat(mb / 2)}`,
      `reply 250 "${'a'.repeat(mb)}" after greeting`,
      `delay ${'9'.repeat(mb)}`,
      `delay 1.${'0'.repeat(mb)}s`,
      `delay 1.${'0'.repeat(mb)}1s`,
      `slice ${'1'.repeat(mb)}k`,
      `reset ${'after DATA '.repeat(mb / 16)}`,
      '\0\x1b[31m\r\n\u2028'.repeat(mb / 8),
    ];
    for (const text of inputs) expect(attempt(parseFault, text)).toBeDefined();
    expect(attemptUnits(parseSize, `${'7'.repeat(mb)}KiB`)).toBeInstanceOf(UnitSyntaxError);
    expect(attemptUnits(parseDuration, `1.${'0'.repeat(mb)}s`)).toBe(1000);
  });
});
