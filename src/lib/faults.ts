/**
 * Fault inputs as the library takes them: the CLI's short syntax, or the object form, checked the same
 * way (an object goes through formatFault and parseFault, so a malformed one fails as a typo would).
 */
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

/** A plan's entries: faults, and `'pass'` as it is. */
export function planEntries(entries: readonly (FaultInput | 'pass')[]): PlanEntry[] {
  if (!Array.isArray(entries)) throw new WireprobeError('plan: expected an array of faults or "pass"', 'EUSAGE');
  return entries.map((e) => (e === 'pass' ? 'pass' : fault(e)));
}

/** Checks `connection` (a 1-based connection number) in arm options. */
export function checkedArmOptions(options: ArmOptions = {}): ArmOptions {
  const { connection } = options;
  if (connection !== undefined && !(Number.isSafeInteger(connection) && connection >= 1))
    throw new WireprobeError(`arm: connection must be a whole number from 1, got ${String(connection)}`, 'EUSAGE');
  return options;
}
