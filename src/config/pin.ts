/**
 * Pinned outcomes as a scenario file writes them: `reset@data`, `reply 451@rcpt`, `closed` (any
 * phase), `delivered`, or the object `{ kind, phase, code }`. Kinds and phases are checked against the
 * ones a run can report, so a typo (`rest@data`, `reset@rpct`) is refused instead of never matching.
 */
import type { OutcomeKind, PinnedOutcome, Protocol } from '../engine/types.js';

const KINDS: readonly OutcomeKind[] = ['delivered', 'reset', 'closed', 'timeout', 'refused', 'reply', 'hung'];

/** SMTP phases (src/protocol/smtp.ts SmtpPhase): the steps a client waits on, `body`, `dot`, `tls`. */
const SMTP_PHASES = ['connect', 'greeting', 'ehlo', 'helo', 'starttls', 'tls', 'auth', 'mail', 'rcpt', 'data', 'body', 'dot', 'rset', 'noop', 'quit'];
/** FTP phases besides a command verb (src/protocol/ftp.ts FtpPhase). */
const FTP_PHASES = ['connect', 'greeting', 'tls', 'transfer'];

function phaseProblem(phase: string, protocol: Protocol): string | undefined {
  if (protocol === 'smtp') return SMTP_PHASES.includes(phase) ? undefined : `unknown SMTP phase ${JSON.stringify(phase)} (known: ${SMTP_PHASES.join(', ')})`;
  // FTP commands are 3 or 4 letters (RFC 959 §4.1); the phase is the verb in lower case.
  return FTP_PHASES.includes(phase) || /^[a-z]{3,4}$/.test(phase)
    ? undefined
    : `unknown FTP phase ${JSON.stringify(phase)} (expected ${FTP_PHASES.join(', ')} or a command in lower case such as stor)`;
}

/** The pin `value` means, checked; throws an Error whose message is the problem. */
export function parsePin(value: unknown, protocol: Protocol): PinnedOutcome {
  const pin = typeof value === 'string' ? fromText(value) : fromObject(value);
  if (!KINDS.includes(pin.kind)) throw new Error(`unknown outcome kind ${JSON.stringify(pin.kind)} (known: ${KINDS.join(', ')})`);
  if (pin.code !== undefined && pin.kind !== 'reply') throw new Error(`only a reply has a code, not ${pin.kind}`);
  if (pin.code !== undefined && !(Number.isInteger(pin.code) && pin.code >= 200 && pin.code <= 599)) {
    throw new Error(`bad reply code ${JSON.stringify(pin.code)}: expected 200 to 599`);
  }
  if (pin.kind === 'delivered' && pin.phase !== undefined) throw new Error('delivered has no phase');
  const problem = pin.phase === undefined ? undefined : typeof pin.phase === 'string' ? phaseProblem(pin.phase, protocol) : 'a phase is text';
  if (problem) throw new Error(problem);
  return pin;
}

function fromText(text: string): PinnedOutcome {
  const m = /^\s*([a-z]+)(?:\s+(\d+))?(?:\s*@\s*([a-z]+))?\s*$/i.exec(text);
  if (!m) throw new Error(`bad outcome ${JSON.stringify(text)}: expected KIND[ CODE][@PHASE] such as reset@data or reply 451@rcpt`);
  return {
    kind: m[1]!.toLowerCase() as OutcomeKind,
    ...(m[2] === undefined ? {} : { code: Number(m[2]) }),
    ...(m[3] === undefined ? {} : { phase: m[3].toLowerCase() }),
  };
}

function fromObject(value: unknown): PinnedOutcome {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('expected an outcome such as "reset@data" or { kind: reply, code: 451, phase: rcpt }');
  }
  const unknown = Object.keys(value).find((k) => !['kind', 'phase', 'code'].includes(k));
  if (unknown !== undefined) throw new Error(`unknown key ${JSON.stringify(unknown)} (allowed: kind, phase, code)`);
  const { kind, phase, code } = value as Record<string, unknown>;
  if (typeof kind !== 'string') throw new Error(`expected kind, one of ${KINDS.join(', ')}`);
  if (code !== undefined && typeof code !== 'number') throw new Error('a code is a number such as 451');
  return { kind: kind as OutcomeKind, ...(phase === undefined ? {} : { phase: phase as string }), ...(code === undefined ? {} : { code }) };
}
