/**
 * Fault inputs as the library takes them: the CLI's short syntax, or the object form, checked the same
 * way (an object goes through formatFault and parseFault, so a malformed one fails as a typo would).
 */
import { neverFires } from '../faults/fit.js';
import { formatFault } from '../faults/format.js';
import { FaultSyntaxError, parseFault } from '../faults/parse.js';
import type { Fault } from '../faults/types.js';
import type { PlanEntry } from '../proxy/armory.js';
import { WireprobeError } from '../util/errors.js';
import type { ArmOptions, FaultInput } from './types.js';

/**
 * A fault from the CLI's syntax (`fault('reset after DATA +64KiB')`) or its object form, checked.
 * @throws FaultSyntaxError (code EFAULTSYNTAX) naming what is wrong.
 */
export function fault(input: FaultInput): Fault {
  if (typeof input === 'string') return parseFault(input);
  let text: string;
  try {
    text = formatFault(input);
  } catch {
    throw new FaultSyntaxError(JSON.stringify(input) ?? String(input), null, 'not a fault object: expected { kind, at, ... }');
  }
  return parseFault(text);
}

/**
 * `fault(input)` for a server of `protocol`: a fault that could never fire there (src/faults/fit.ts: an
 * FTP data connection's on SMTP, a trigger on the other protocol's command) is refused the same way.
 */
export function faultFor(input: FaultInput, protocol: 'smtp' | 'ftp'): Fault {
  const checked = fault(input);
  const never = neverFires(checked, protocol);
  if (never === undefined) return checked;
  const text = formatFault(checked);
  throw new FaultSyntaxError(text, text, `${never} and can never fire on an ${protocol.toUpperCase()} server`);
}

/** A plan's entries: faults, and `'pass'` as it is. */
export function planEntries(entries: readonly (FaultInput | 'pass')[], protocol: 'smtp' | 'ftp'): PlanEntry[] {
  if (!Array.isArray(entries)) throw new WireprobeError('plan: expected an array of faults or "pass"', 'EUSAGE');
  return entries.map((e) => (e === 'pass' ? 'pass' : faultFor(e, protocol)));
}

/** Checks `connection` (a 1-based connection number) in arm options. */
export function checkedArmOptions(options: ArmOptions = {}): ArmOptions {
  const { connection } = options;
  if (connection !== undefined && !(Number.isSafeInteger(connection) && connection >= 1))
    throw new WireprobeError(`arm: connection must be a whole number from 1, got ${String(connection)}`, 'EUSAGE');
  return options;
}
