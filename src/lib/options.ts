/** Checks and converts the library's start options (sizes with units, ports, faults) before anything starts. */
import type { Fault } from '../faults/types.js';
import { isListenHost } from '../util/address.js';
import { WireprobeError } from '../util/errors.js';
import { parseSize, UnitSyntaxError } from '../util/units.js';
import { faultFor } from './faults.js';
import type { FaultInput, SizeInput, StartCommonOptions } from './types.js';

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
export function startFaults(faults: readonly FaultInput[] | undefined, protocol: 'smtp' | 'ftp'): Fault[] {
  if (faults !== undefined && !Array.isArray(faults)) throw new WireprobeError('faults: expected an array', 'EUSAGE');
  return (faults ?? []).map((f) => faultFor(f, protocol));
}

/** Checks the options every start takes: host, port, keep. */
export function checkCommon(o: { readonly host?: unknown; readonly port?: number; readonly keep?: number }): void {
  if (o.host !== undefined && !(typeof o.host === 'string' && isListenHost(o.host)))
    throw new WireprobeError(`host: expected an address or host name to listen on, such as 127.0.0.1 or ::1, got ${JSON.stringify(o.host)}`, 'EUSAGE');
  if (o.port !== undefined && !(Number.isSafeInteger(o.port) && o.port >= 0 && o.port <= 65535))
    throw new WireprobeError(`port: expected 0 to 65535, got ${o.port}`, 'EUSAGE');
  if (o.keep !== undefined && !(Number.isSafeInteger(o.keep) && o.keep >= 0))
    throw new WireprobeError(`keep: expected a whole number, got ${o.keep}`, 'EUSAGE');
}

/**
 * Refuses an option `known` does not list, naming it: a typo (`sizeLimt`) would otherwise be ignored
 * and the server start without it. `known` lists every key of the options' type (a Record over them).
 */
export function knownOptions(what: string, options: object, known: Readonly<Record<string, true>>): void {
  const stray = Object.keys(options).find((key) => !Object.hasOwn(known, key));
  if (stray !== undefined) throw new WireprobeError(`${what}: unknown option ${JSON.stringify(stray)} (known: ${Object.keys(known).join(', ')})`, 'EUSAGE');
}

/** The keys of StartCommonOptions, for knownOptions. */
export const COMMON_OPTIONS = { faults: true, host: true, port: true, keep: true, signal: true } as const satisfies Record<keyof StartCommonOptions, true>;

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
