/**
 * The command line's short syntax for faults, e.g. `--fault 'reset after DATA +64KiB'`. Pure.
 *   text ──tokenise──► words, "texts" ──► kind, args ──► trigger, options (any order) ──► Fault
 *
 *   fault  := kind args (at | option)*       at most one `at`, each option at most once
 *   kind args := each registered kind's `syntax` (src/faults/registry.ts), e.g. close [discard|abort]
 *   at     := on connect | after <step> [+<size>] | before reply to <step> | before <step> | before handshake
 *             (a `reply-only` kind, strip, takes only `before reply to <step>`; a `handshake-only`
 *             kind, alert, only `before handshake`)
 *   option := toward client|server | connection <n> | the kind's own options (reply's then, refuse's drop)
 *           | channel control|data                                            (FTP)
 *   step   := greeting | dot | BDAT LAST | a command verb [A-Za-z]{3,8}, upper-cased; `+<size>` only
 *             after DATA or BDAT, or on the data channel after a transfer verb (STOR, RETR, APPE...);
 *             `channel data` takes only `on connect` or `after <transfer verb> +<size>`
 * Keywords are case-insensitive. `at` defaults to `connect`, except for kinds whose trigger is `required`;
 * `connect-only` kinds take only `on connect`. See formatFault too.
 */
import { WireprobeError } from '../util/errors.js';
import { quote } from '../util/terminal.js';
import { TRANSFER_VERBS } from '../protocol/ftp.js';
import { BDAT_LAST } from '../protocol/smtp.js';
import { type At, HANDSHAKE } from './base.js';
import { Cursor, int, orList, q, size, type Token } from './cursor.js';
import type { KindOption } from './descriptor.js';
import { descriptorOf, KINDS, type Fault } from './registry.js';

/** Bad short syntax, size or duration: one line naming the input and the offending token. */
export class FaultSyntaxError extends WireprobeError<'EFAULTSYNTAX'> {
  override readonly name = 'FaultSyntaxError';
  /** `token`: the offending token as typed (quotes included), or `null` when the input ended too soon;
   *  `what` names the input in the message: `bad fault "..."`, `bad size "..."`. */
  constructor(
    readonly input: string,
    readonly token: string | null,
    readonly problem: string,
    what = 'fault',
  ) {
    // Both cut: a 100k-character spec must not be echoed whole, twice.
    const where = token === null ? ' at end of input' : token === input ? '' : ` at ${quote(token, 40)}`;
    super(`bad ${what} ${quote(input)}: ${problem}${where}`, 'EFAULTSYNTAX');
  }
}

const AT_FORMS = ['"on connect"', '"after <step>"', '"before <step>"', '"before reply to <step>"'];
/** Options every kind takes, around the kind's own ones (this order is the order errors offer them). */
const BEFORE_OWN: readonly { word: string; choices?: readonly string[] }[] = [{ word: 'toward', choices: ['client', 'server'] }, { word: 'connection' }];
const AFTER_OWN: readonly KindOption[] = [{ word: 'channel', choices: ['control', 'data'] }];

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

/** Steps whose message octets `+<size>` counts on the control connection: the DATA body, BDAT chunk data. */
const MESSAGE_STEPS: ReadonlySet<string> = new Set(['DATA', 'BDAT']);

/** A step; `BDAT LAST` (the last chunk, RFC 3030 §2) is one step of two words. */
function readStep(c: Cursor, client: boolean): string {
  const step = c.step(client);
  return step === 'BDAT' && c.pick(['last'] as const) ? BDAT_LAST : step;
}

/** The trigger after its keyword (`on`, `after` or `before`, already consumed). */
function trigger(c: Cursor, keyword: string): At {
  if (keyword === 'on') return c.pick(['connect'] as const) ?? c.fail('expected "connect"');
  const replyTo = keyword === 'before' && c.word() === 'reply' && c.word(c.i + 1) === 'to';
  c.i += replyTo ? 2 : 0;
  if (keyword === 'before' && replyTo && c.word() === HANDSHAKE) c.fail('the server does not reply to the handshake: use "before handshake"');
  if (keyword === 'before') return replyTo ? { before: 'reply', to: readStep(c, true) } : { before: readStep(c, true) };
  const after = readStep(c, false);
  if (!c.word()?.startsWith('+')) return { after };
  if (!MESSAGE_STEPS.has(after) && !TRANSFER_VERBS.has(after)) c.fail('"+<size>" is only allowed after DATA, BDAT or a transfer verb (STOR, RETR...)');
  return {
    after,
    bytes: c.value(
      '"+<size>" such as +64KiB',
      (r) => size(r.slice(1)),
      (n) => n > 0,
    ),
  };
}

/**
 * Parses the short syntax into a Fault, e.g. `reply 552 "5.3.4 Message too big" after DATA +1MiB then
 * close`. What the text leaves out, the Fault leaves out: no defaults are filled in, except `at`.
 * @throws FaultSyntaxError naming the offending token.
 */
export function parseFault(text: string): Fault {
  const c = new Cursor(text, tokenise(text), (token, problem) => {
    throw new FaultSyntaxError(text, token, problem);
  });
  const kind = c.pick(KINDS) ?? c.fail(`expected a fault kind: ${orList(KINDS.map(q))}`);
  const d = descriptorOf(kind);
  const fields = d.args(c);
  const [field, offer] = d.optionalArg ?? [];
  const hint = { at: c.i, offer: field !== undefined && fields[field] === undefined && offer ? [offer] : [] };
  const options = [...BEFORE_OWN, ...(d.options ?? []), ...AFTER_OWN];
  const connectOnly = d.trigger === 'connect-only';
  const replyOnly = d.trigger === 'reply-only';
  const handshakeOnly = d.trigger === 'handshake-only';
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
      if (connectOnly && at !== 'connect') c.fail(`"${kind}" only takes "on connect"`, start);
      if (replyOnly && (at === 'connect' || !('to' in at))) c.fail(`"${kind}" only takes "before reply to <step>"`, start);
      // Only the ClientHello is answered in plaintext: inside TLS every record is encrypted (src/faults/alert.ts).
      if (handshakeOnly && (at === 'connect' || !('before' in at) || at.before !== HANDSHAKE))
        c.fail(`"${kind}" only takes "before handshake": inside TLS records are encrypted, and the proxy cannot send an alert there`, start);
    } else if (o === undefined) {
      const ats =
        at !== undefined ? [] : connectOnly ? ['"on connect"'] : replyOnly ? ['"before reply to <step>"'] : handshakeOnly ? ['"before handshake"'] : AT_FORMS;
      const unused = options.filter((x) => !Object.hasOwn(opts, x.word));
      const rest = unused.map((x) => `"${x.word} ${x.choices?.join('|') ?? '<n>'}"`);
      c.fail(`expected ${orList([...(start === hint.at ? hint.offer : []), ...ats, ...rest])}`, start);
    } else if (Object.hasOwn(opts, w)) {
      c.fail(`${q(w)} is given twice`, start);
    } else {
      opts[w] =
        o.choices === undefined
          ? c.value('a connection number (1 or more)', int, (n) => n >= 1)
          : (c.pick(o.choices) ?? c.fail(`expected ${orList(o.choices.map(q))}`));
    }
  }
  if (at === undefined && d.trigger === 'required') c.fail(`"${kind}" needs a trigger: ${orList(AT_FORMS)}`);
  if (at === undefined && replyOnly) c.fail(`"${kind}" needs a trigger: "before reply to <step>"`);
  if (at === undefined && handshakeOnly) c.fail(`"${kind}" needs a trigger: "before handshake"`);
  // The ClientHello it answers is the client's, on the control connection (FTP data connections are not covered).
  if (handshakeOnly && opts['toward'] === 'server') c.fail(`"${kind}" answers the client's ClientHello: it only acts toward the client`);
  if (handshakeOnly && opts['channel'] === 'data') c.fail(`"${kind}" answers the control connection's ClientHello: "channel data" is not supported`);
  // A caught BDAT's chunk data follows it unasked (RFC 3030 §2): relaying on would hand it to the server as commands.
  const caught = at !== undefined && at !== 'connect' && 'before' in at && !('to' in at) ? at.before : undefined;
  if (kind === 'reply' && opts['then'] === 'continue' && (caught === 'BDAT' || caught === BDAT_LAST)) {
    c.fail('"then continue" cannot follow a caught BDAT: its chunk data would reach the server as commands; use "then close" or "then reset"', atToken);
  }
  // On connect the reply takes the greeting's place: relaying on would show the client the server's own greeting behind it.
  if (kind === 'reply' && opts['then'] === 'continue' && (at ?? 'connect') === 'connect') {
    c.fail('"then continue" cannot follow a reply on connect: the server\'s own greeting would come behind it; use "then close" or "then reset"');
  }
  // The server answered DATA with 354 and takes what comes next as the message: the client's RSET after a
  // refusal in that 354's place would reach it as message text (the mirror of the BDAT rule above).
  const replaced = at !== undefined && at !== 'connect' && 'to' in at ? at.to : undefined;
  if (kind === 'reply' && opts['then'] === 'continue' && replaced === 'DATA' && (fields as { code?: number }).code !== 354) {
    c.fail(
      '"then continue" cannot replace the reply to DATA: the server answered 354 and would take the client\'s next commands as the message; use "then close" or "then reset"',
      atToken,
    );
  }
  // What strip rewrites is a server reply: only the client ever sees it.
  if (kind === 'strip' && opts['toward'] === 'server') c.fail('"strip" rewrites a server reply: it only acts toward the client');
  const bytesAfter = at !== undefined && at !== 'connect' && 'bytes' in at ? at.after : undefined;
  if (opts['channel'] === 'data' && bytesAfter !== undefined && MESSAGE_STEPS.has(bytesAfter))
    c.fail('on the data channel "+<size>" follows a transfer verb such as STOR');
  // A data connection has no steps of its own: only these two points exist on it (see FaultBase.channel).
  if (opts['channel'] === 'data' && at !== undefined && at !== 'connect' && bytesAfter === undefined) {
    c.fail('on the data channel the trigger is "on connect" or "after <transfer verb> +<size>"', atToken);
  }
  if (opts['channel'] === undefined && bytesAfter !== undefined && !MESSAGE_STEPS.has(bytesAfter))
    c.fail('"+<size>" after a transfer verb needs "channel data" or "channel control"');
  const fault = Object.entries({ kind, ...fields, at: at ?? 'connect', ...opts }).filter(([, v]) => v !== undefined);
  return Object.fromEntries(fault) as unknown as Fault;
}
