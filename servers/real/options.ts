/** Checks of the options a real server is asked for, common to every launcher. */
import { isLoopbackV4, LOOPBACK, LOOPBACK6 } from './ports.js';
import type { RealServerOptions } from './types.js';

/**
 * Why `options` cannot be honoured whatever the server (bad ports, a non-loopback PASV address, a
 * limit that is not a positive integer, a timeout that is not a positive integer of ms), or undefined.
 * Each launcher adds what its own server cannot express.
 */
export function invalidOptions(options: RealServerOptions): string | undefined {
  const port = (p: number): boolean => Number.isInteger(p) && p >= 1 && p <= 65535;
  if (options.port !== undefined && options.port !== 0 && !port(options.port)) return `port must be 0 or 1..65535, got ${options.port}`;
  const range = options.pasvRange;
  if (range && !(port(range[0]) && port(range[1]) && range[0] <= range[1]))
    return `pasvRange must be [min, max] with 1 <= min <= max <= 65535, got [${range.join(', ')}]`;
  if (options.host !== undefined && options.host !== LOOPBACK && options.host !== LOOPBACK6)
    return `host must be ${LOOPBACK} or ${LOOPBACK6}, got ${options.host}`;
  if (options.pasvAddress !== undefined && !isLoopbackV4(options.pasvAddress))
    return `pasvAddress must be an IPv4 loopback address (127.x.y.z), got ${options.pasvAddress}`;
  for (const key of ['maxSessions', 'maxPerAddress', 'idleTimeoutMs', 'dataTimeoutMs', 'messageSizeLimit'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) return `${key} must be a positive integer, got ${value}`;
  }
  return undefined;
}

/** Why a duration of `ms` cannot be written in whole `unit`s (ms per unit) of at least one, or undefined. */
export function notWhole(ms: number | undefined, unitMs: number, what: string): string | undefined {
  if (ms === undefined || (ms % unitMs === 0 && ms >= unitMs)) return undefined;
  const unit = unitMs === 1000 ? 'seconds' : unitMs === 60_000 ? 'minutes' : `units of ${unitMs} ms`;
  return `${what} takes whole ${unit} (at least one): ${ms} ms cannot be expressed exactly`;
}
