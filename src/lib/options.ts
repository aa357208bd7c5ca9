/** Checks and converts the library's start options (sizes with units, ports, faults) before anything starts. */
import type { Fault } from '../faults/types.js';
import { WireprobeError } from '../util/errors.js';
import { parseSize, UnitSyntaxError } from '../util/units.js';
import { fault } from './faults.js';
import type { FaultInput, SizeInput } from './types.js';

/** Octets in `size` (`10MiB`, `64KiB`, 1024). */
export function octets(name: string, size: SizeInput): number {
  if (typeof size === 'number') {
    if (Number.isSafeInteger(size) && size >= 0) return size;
    throw new WireprobeError(`${name}: expected a whole number of octets, got ${size}`, 'EUSAGE');
  }
  try {
    return parseSize(String(size));
  } catch (error) {
    if (error instanceof UnitSyntaxError) throw new WireprobeError(`${name}: ${error.message}`, 'EUSAGE');
    throw error;
  }
}

/** The start-up faults, each checked (a typo rejects the start, naming the token). */
export function startFaults(faults: readonly FaultInput[] | undefined): Fault[] {
  if (faults !== undefined && !Array.isArray(faults)) throw new WireprobeError('faults: expected an array', 'EUSAGE');
  return (faults ?? []).map(fault);
}

/** Checks the options every start takes: host, port, keep. */
export function checkCommon(o: { readonly port?: number; readonly keep?: number }): void {
  if (o.port !== undefined && !(Number.isSafeInteger(o.port) && o.port >= 0 && o.port <= 65535))
    throw new WireprobeError(`port: expected 0 to 65535, got ${o.port}`, 'EUSAGE');
  if (o.keep !== undefined && !(Number.isSafeInteger(o.keep) && o.keep >= 0))
    throw new WireprobeError(`keep: expected a whole number, got ${o.keep}`, 'EUSAGE');
}

/** `value` when it is one of `allowed` (undefined stays undefined); else a WireprobeError naming it. */
export function oneOfOption<T extends string>(name: string, value: T | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined || allowed.includes(value)) return value;
  throw new WireprobeError(`${name}: expected ${allowed.join(', ')}, got ${JSON.stringify(value)}`, 'EUSAGE');
}

/** `value` when it is a boolean (undefined stays undefined); else a WireprobeError naming it. */
export function booleanOption(name: string, value: boolean | undefined): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new WireprobeError(`${name}: expected true or false, got ${JSON.stringify(value)}`, 'EUSAGE');
}
