/**
 * The command line's short syntax for faults, e.g. `--fault 'reset after DATA +64KiB'`. Pure.
 *   text ──tokenise──► words, "texts" ──► kind, args ──► trigger, options (any order) ──► Fault
 *
 *   fault  := kind args (at | option)*       at most one `at`, each option at most once
 *   kind   := reset | close [discard|abort] | stall | delay <duration> | throttle <size>/s
 *           | slice <size> [gap <duration>] | coalesce <duration> | lf | reply <code> ["text"]
 *           | refuse <duration> [refuse|reset] | limit <n> [reply|close|reset|queue]
 *           | dataport wrong-address|refused|blackholed                       (FTP)
 *   at     := on connect | after <step> [+<size>] | before reply to <step> | before <step>
 *   option := toward client|server | connection <n> | then continue|close|reset | drop close|reset
 *           | channel control|data                                            (FTP)
 *   step   := greeting | dot | a command verb [A-Za-z]{3,8}, upper-cased; `+<size>` only after DATA,
 *             or on the data channel after a transfer verb (STOR, RETR, APPE...); `channel data` takes
 *             only `on connect` or `after <transfer verb> +<size>`
 * Keywords are case-insensitive. `at` defaults to `connect`, except that reset, close, stall and reply
 * need one; limit takes only `on connect`. `then` is reply's, `drop` refuse's. See formatFault too.
 */
import { WireprobeError } from '../util/errors.js';
import { quote } from '../util/terminal.js';
import { TRANSFER_VERBS } from '../protocol/ftp.js';
import type { At, Fault, FaultKind, Step } from './types.js';

/** Bad short syntax, size or duration: one line naming the input and the offending token. */
export class FaultSyntaxError extends WireprobeError<'EFAULTSYNTAX'> {
  override readonly name = 'FaultSyntaxError';
  /** `token`: the offending token as typed (quotes included), or `null` when the input ended too soon;
   *  `what` names the input in the message: `bad fault "..."`, `bad size "..."`. */
  constructor(readonly input: string, readonly token: string | null, readonly problem: string, what = 'fault') {
    // Both cut: a 100k-character spec must not be echoed whole, twice.
    const where = token === null ? ' at end of input' : token === input ? '' : ` at ${quote(token, 40)}`;
    super(`bad ${what} ${quote(input)}: ${problem}${where}`, 'EFAULTSYNTAX');
  }
}

type Units = Readonly<Record<string, number>>;
/** `k`, `m`, `g` and `KiB`, `MiB`, `GiB` are powers of 1024; `KB`, `MB`, `GB` powers of 1000. */
const SIZE_UNITS: Units = Object.freeze({ '': 1, b: 1, k: 1024, kib: 1024, kb: 1000, m: 1024 ** 2,
  mib: 1024 ** 2, mb: 1000 ** 2, g: 1024 ** 3, gib: 1024 ** 3, gb: 1000 ** 3 });
const DURATION_UNITS: Units = Object.freeze({ '': 1, ms: 1, s: 1000, m: 60_000 }); // plain: ms
const SIZE = 'a whole number of bytes such as 512, 2k, 64KiB or 1.5MiB';
const DURATION = 'a whole number of milliseconds such as 500, 500ms, 1.5s or 2m';
/** Every kind, and whether it needs a trigger (else `at` defaults to `connect`). */
export const NEED_AT: Readonly<Record<FaultKind, boolean>> = { reset: true, close: true, stall: true, delay: false,
  throttle: false, slice: false, coalesce: false, lf: false, reply: true, refuse: false, limit: false,
  dataport: false };
const KINDS = Object.keys(NEED_AT) as FaultKind[];
/** Each kind's optional argument: the field it sets, and how an error right after the args offers it. */
const OPTIONAL_ARG: Partial<Record<FaultKind, readonly [string, string]>> = {
  close: ['then', '"discard", "abort"'], slice: ['gapMs', '"gap <duration>"'], reply: ['text', '"quoted text"'],
  refuse: ['mode', '"refuse", "reset"'], limit: ['over', '"reply", "close", "reset", "queue"'] };
const AT_FORMS = ['"on connect"', '"after <step>"', '"before <step>"', '"before reply to <step>"'];
const OPTIONS: readonly { word: string; choices?: readonly string[]; only?: FaultKind }[] = [
  { word: 'toward', choices: ['client', 'server'] }, { word: 'connection' },
  { word: 'then', choices: ['continue', 'close', 'reset'], only: 'reply' },
  { word: 'drop', choices: ['close', 'reset'], only: 'refuse' },
  { word: 'channel', choices: ['control', 'data'] },
];

const q = (s: string): string => JSON.stringify(s);
const orList = (xs: readonly string[]): string =>
  xs.length < 2 ? (xs[0] ?? 'end of input') : `${xs.slice(0, -1).join(', ')} or ${xs.at(-1)}`;
/** `1.5KiB` -> 1536, in exact decimal arithmetic; undefined unless a whole, safe, non-negative number. */
function scaled(text: string, units: Units): number | undefined {
  const m = /^(\d+)(?:\.(\d+))?([a-z]*)$/i.exec(text);
  const unit = m?.[3]?.toLowerCase() ?? '';
  if (!m || !Object.hasOwn(units, unit)) return undefined;
  // Zeros that change nothing go first; then more than 50 digits is never a whole safe number (a whole
  // result keeps at most 30 decimals, as the largest unit holds 2^30), refused before big arithmetic.
  let frac = m[2] ?? '';
  while (frac.endsWith('0')) frac = frac.slice(0, -1); // not /0+$/: quadratic on 0000…01
  const digits = (m[1] + frac).replace(/^0+(?=\d)/, '');
  if (digits.length > 50) return undefined;
  const n = BigInt(digits) * BigInt(units[unit] ?? 1);
  const div = 10n ** BigInt(frac.length);
  const value = Number(n / div);
  return n % div === 0n && Number.isSafeInteger(value) ? value : undefined;
}
const int = (raw: string): number | undefined => (/^\d+$/.test(raw) ? scaled(raw, { '': 1 }) : undefined);
const size = (raw: string): number | undefined => scaled(raw, SIZE_UNITS);
const rate = (raw: string): number | undefined => (/\/s$/i.test(raw) ? size(raw.slice(0, -2)) : undefined);
function measured(text: string, units: Units, what: string, expected: string): number {
  const n = scaled(text.trim(), units);
  if (n === undefined) throw new FaultSyntaxError(text, text, `expected ${expected}`, what);
  return n;
}

/** Bytes in `512`, `2k`, `64KiB`, `1.5MiB`, `10MB`: units (any case) B, k, m, g, KiB, MiB, GiB (1024)
 *  and KB, MB, GB (1000). The result must be a whole number of bytes. */
export function parseSize(text: string): number {
  return measured(text, SIZE_UNITS, 'size', SIZE);
}

/** Milliseconds in `500ms`, `2s`, `1.5s`, `1m` or a plain `500`; must be a whole number of ms. */
export function parseDuration(text: string): number {
  return measured(text, DURATION_UNITS, 'duration', DURATION);
}

/** `raw`: as typed, quotes included (what errors name); `value`: the word, or the unescaped text. */
type Token = { readonly raw: string; readonly value: string; readonly quoted: boolean };
/** Splits on whitespace; `"..."` is one token, with `\"` and `\\` escapes. */
function tokenise(input: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\[\s\S])*)"|([^\s"]+)|("[\s\S]*))/y; // built per call: sticky = state
  for (let m = re.exec(input); m; m = re.exec(input)) {
    if (m[3] !== undefined) throw new FaultSyntaxError(input, m[3], 'unterminated quoted text');
    const raw = m[0].trimStart();
    if (m[1] === undefined) tokens.push({ raw, value: m[2] ?? '', quoted: false });
    else tokens.push({ raw, value: m[1].replace(/\\([\s\S])/g, '$1'), quoted: true });
  }
  return tokens;
}

/** One parse: the tokens and a position. Made per call, never shared. */
class Cursor {
  i = 0;
  constructor(readonly text: string, readonly toks: readonly Token[]) {}
  fail(problem: string, at = this.i): never {
    throw new FaultSyntaxError(this.text, this.toks[at]?.raw ?? null, problem);
  }
  /** The token at `at` as a lower-case keyword; undefined for quoted text and past the end. */
  word(at = this.i): string | undefined {
    return this.toks[at]?.quoted ? undefined : this.toks[at]?.value.toLowerCase();
  }
  /** Consumes the current token if it is one of `choices`. */
  pick<T extends string>(choices: readonly T[]): T | undefined {
    const found = choices.find((c) => c === this.word());
    if (found !== undefined) this.i++;
    return found;
  }
  /** Consumes a word that `read` turns into a number accepted by `ok`, or fails with "expected ...". */
  value(expected: string, read: (raw: string) => number | undefined, ok = (n: number) => n >= 0): number {
    const n = this.word() === undefined ? undefined : read(this.toks[this.i]?.value ?? '');
    return n !== undefined && ok(n) ? (this.i++, n) : this.fail(`expected ${expected}`);
  }
  /** A step; `client`: one the client sends, so not the greeting. */
  step(client = false): Step {
    const w = this.word() ?? '';
    if (w === 'greeting' && client) this.fail('expected a client step (the server sends the greeting)');
    if (w === 'greeting' || w === 'dot') return (this.i++, w);
    const expected = 'expected a step: greeting, dot or a command verb such as DATA';
    return /^[a-z]{3,8}$/.test(w) ? (this.i++, w.toUpperCase()) : this.fail(expected);
  }
}

/** The trigger after its keyword (`on`, `after` or `before`, already consumed). */
function trigger(c: Cursor, keyword: string): At {
  if (keyword === 'on') return c.pick(['connect'] as const) ?? c.fail('expected "connect"');
  const replyTo = keyword === 'before' && c.word() === 'reply' && c.word(c.i + 1) === 'to';
  c.i += replyTo ? 2 : 0;
  if (keyword === 'before') return replyTo ? { before: 'reply', to: c.step(true) } : { before: c.step(true) };
  const after = c.step();
  if (!c.word()?.startsWith('+')) return { after };
  if (after !== 'DATA' && !TRANSFER_VERBS.has(after)) c.fail('"+<size>" is only allowed after DATA or a transfer verb (STOR, RETR...)');
  return { after, bytes: c.value('"+<size>" such as +64KiB', (r) => size(r.slice(1)), (n) => n > 0) };
}

/** The kind's own arguments; an optional one not given is left undefined. */
function args(c: Cursor, kind: FaultKind): Record<string, unknown> {
  const duration = (): number => c.value(DURATION, (r) => scaled(r, DURATION_UNITS));
  const positive = (n: number): boolean => n > 0;
  switch (kind) {
    case 'close': return { kind, then: c.pick(['discard', 'abort']) };
    case 'delay': case 'coalesce': return { kind, ms: duration() };
    case 'throttle': return { kind, bytesPerSecond: c.value('a rate such as 2MiB/s', rate, positive) };
    case 'slice': return { kind, size: c.value(SIZE, size, positive), gapMs: c.pick(['gap']) && duration() };
    case 'reply': return { kind, code: c.value('a reply code 100..599', int, (n) => n >= 100 && n <= 599),
      text: c.toks[c.i]?.quoted ? c.toks[c.i++]?.value : undefined }; // evaluated in this order
    case 'refuse': return { kind, ms: duration(), mode: c.pick(['refuse', 'reset']) };
    case 'limit': return { kind, max: c.value('a count', int), over: c.pick(['reply', 'close', 'reset', 'queue']) };
    case 'dataport': return { kind, how: c.pick(['wrong-address', 'refused', 'blackholed']) ?? c.fail('expected "wrong-address", "refused" or "blackholed"') };
    default: return { kind };
  }
}

/**
 * Parses the short syntax into a Fault, e.g. `reply 552 "5.3.4 Message too big" after DATA +1MiB then
 * close`. What the text leaves out, the Fault leaves out: no defaults are filled in, except `at`.
 * @throws FaultSyntaxError naming the offending token.
 */
export function parseFault(text: string): Fault {
  const c = new Cursor(text, tokenise(text));
  const kind = c.pick(KINDS) ?? c.fail(`expected a fault kind: ${orList(KINDS.map(q))}`);
  const fields = args(c, kind);
  const [field, offer] = OPTIONAL_ARG[kind] ?? [];
  const hint = { at: c.i, offer: field !== undefined && fields[field] === undefined && offer ? [offer] : [] };
  const options = OPTIONS.filter((o) => o.only === undefined || o.only === kind);
  const opts: Record<string, unknown> = {};
  let at: At | undefined;
  let atToken = 0;
  while (c.i < c.toks.length) {
    const w = c.word() ?? '';
    const start = c.i++;
    const o = options.find((x) => x.word === w);
    if (w === 'on' || w === 'after' || w === 'before') {
      if (at !== undefined) c.fail('only one trigger is allowed', start);
      atToken = start;
      at = trigger(c, w);
      if ((kind === 'limit' || kind === 'dataport') && at !== 'connect') c.fail(`"${kind}" only takes "on connect"`, start);
    } else if (o === undefined) {
      const ats = at !== undefined ? [] : kind === 'limit' || kind === 'dataport' ? ['"on connect"'] : AT_FORMS;
      const unused = options.filter((x) => !Object.hasOwn(opts, x.word));
      const rest = unused.map((x) => `"${x.word} ${x.choices?.join('|') ?? '<n>'}"`);
      c.fail(`expected ${orList([...(start === hint.at ? hint.offer : []), ...ats, ...rest])}`, start);
    } else if (Object.hasOwn(opts, w)) {
      c.fail(`${q(w)} is given twice`, start);
    } else {
      opts[w] = o.choices === undefined
        ? c.value('a connection number (1 or more)', int, (n) => n >= 1)
        : (c.pick(o.choices) ?? c.fail(`expected ${orList(o.choices.map(q))}`));
    }
  }
  if (at === undefined && NEED_AT[kind]) c.fail(`"${kind}" needs a trigger: ${orList(AT_FORMS)}`);
  const bytesAfter = at !== undefined && at !== 'connect' && 'bytes' in at ? at.after : undefined;
  if (opts['channel'] === 'data' && bytesAfter === 'DATA') c.fail('on the data channel "+<size>" follows a transfer verb such as STOR');
  // A data connection has no steps of its own: only these two points exist on it (see FaultBase.channel).
  if (opts['channel'] === 'data' && at !== undefined && at !== 'connect' && bytesAfter === undefined) {
    c.fail('on the data channel the trigger is "on connect" or "after <transfer verb> +<size>"', atToken);
  }
  if (opts['channel'] === undefined && bytesAfter !== undefined && bytesAfter !== 'DATA') c.fail('"+<size>" after a transfer verb needs "channel data" or "channel control"');
  const fault = Object.entries({ ...fields, at: at ?? 'connect', ...opts }).filter(([, v]) => v !== undefined);
  return Object.fromEntries(fault) as unknown as Fault;
}
