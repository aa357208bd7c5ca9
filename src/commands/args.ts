/**
 * Typed values out of option text, each bad value one UsageError line naming it (quoted, escaped, cut:
 * a 100k-character value is not echoed whole). Secrets (`--user`, `--password-env`, `--password-file`)
 * are never echoed.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseDuration, parseSize } from '../util/units.js';
import { neverFires } from '../faults/fit.js';
import type { Fault } from '../faults/types.js';
import type { Family } from '../engine/types.js';
import { TLS_VARIANTS, type TlsVariant } from '../engine/tls-variant.js';
import { rcptProblem } from '../probe/smtp-session.js';
import { DEFAULT_PROBE_LIMITS } from '../probe/types.js';
import { quote } from '../util/terminal.js';
import { UsageError } from '../util/usage-error.js';
import { isListenHost, unmapped } from '../util/address.js';

/** Splits repeated and comma-separated values: `--suite a,b --suite c`; a flag given with no name in it is refused. */
export function names(flag: string, values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const list = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  if (list.length === 0) throw new UsageError(`bad --${flag} ${quote(values.join(','))}: no name in it`);
  return list;
}

/** A whole number in [min, max]; `fallback` when the flag is absent. */
export function integer(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw new UsageError(`bad --${flag} ${quote(text)}: expected a whole number from ${min} to ${max}`);
  return n;
}

/** One of `allowed`; `fallback` when the flag is absent. */
export function oneOf<T extends string>(flag: string, text: string | undefined, allowed: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`bad --${flag} ${quote(text)}: expected ${allowed.join(', ')}`);
  return text as T;
}

/** A duration like `30s`; 0 when absent. */
export function durationFlag(flag: string, text: string | undefined): number {
  if (text === undefined) return 0;
  try {
    return parseDuration(text);
  } catch {
    throw new UsageError(`bad --${flag} ${quote(text)}: expected a duration like 30s or 500ms`);
  }
}

/** A size like `10MiB`. */
export function sizeFlag(flag: string, text: string): number {
  try {
    return parseSize(text);
  } catch {
    throw new UsageError(`bad --${flag} ${quote(text)}: expected a size like 10MiB or 1000000`);
  }
}

/** Where a password comes from besides the command line (which `ps` shows): an environment variable or a file. */
export interface PasswordSource {
  /** `--password-env VAR`. */
  readonly env?: string;
  /** `--password-file FILE`: its first line. */
  readonly file?: string;
}

/**
 * The password from `--password-env` or `--password-file` (as curl's and lftp's netrc/env do), or
 * undefined when neither is given. The value is never echoed; an unset variable or unreadable file is.
 */
export function passwordFrom(source: PasswordSource, env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (source.env !== undefined && source.file !== undefined) throw new UsageError('give --password-env or --password-file, not both');
  if (source.env !== undefined) {
    const value = env[source.env];
    if (value === undefined) throw new UsageError(`bad --password-env ${quote(source.env)}: the variable is not set`);
    return value;
  }
  if (source.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(source.file, 'utf8');
    } catch (error) {
      throw new UsageError(`bad --password-file ${quote(source.file)}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return text.split(/\r?\n/)[0]!;
  }
  return undefined;
}

/**
 * `--user NAME:PASSWORD` or `--user NAME` (its password from `password`, i.e. `--password-env` or
 * `--password-file`), repeatable: the mock server's accounts. The value is never echoed: it holds a password.
 */
export function users(values: readonly string[] | undefined, password: string | undefined): Record<string, string> {
  const accounts: Record<string, string> = {};
  for (const value of values ?? []) {
    const colon = value.indexOf(':');
    if (colon === -1 && value !== '' && password !== undefined) accounts[value] = password;
    else if (colon < 1) throw new UsageError('bad --user: expected NAME:PASSWORD, or NAME with --password-env VAR or --password-file FILE');
    else accounts[value.slice(0, colon)] = value.slice(colon + 1);
  }
  if (password !== undefined && !(values ?? []).some((v) => !v.includes(':'))) {
    throw new UsageError('--password-env/--password-file need a --user NAME (without ":PASSWORD") to apply to');
  }
  return accounts;
}

/** True for a loopback address or `localhost`: listening there exposes nothing to the network. */
export function isLoopback(host: string): boolean {
  const h = unmapped(host.toLowerCase());
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * `--host` (or `flag`): an address (IPv6 bare or in brackets, `::1` or `[::1]`) or a host name; refused
 * when empty (Node would listen on every interface); a warning (returned, for stderr) when not loopback,
 * since a deliberately misbehaving server on a real network is a hazard.
 */
export function listenHost(text: string | undefined, flag = 'host'): { host: string; warning?: string } {
  if (text === undefined) return { host: '127.0.0.1' };
  const trimmed = text.trim();
  // `[::1]` as in a URL (RFC 3986 §3.2.2) is the address ::1.
  const host = /^\[[^\]]*\]$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed;
  if (host === '') throw new UsageError(`bad --${flag} ${quote(text)}: expected an address to listen on, such as 127.0.0.1 or ::1`);
  if (!isListenHost(host) || (host !== trimmed && isIP(host) !== 6)) throw new UsageError(`bad --${flag} ${quote(text)}: not an address or host name`);
  if (isLoopback(host)) return { host };
  const every = host === '0.0.0.0' || host === '::' ? ' (every interface)' : '';
  return { host, warning: `warning: --${flag} ${host}${every} is not loopback: this deliberately misbehaving server is reachable from the network` };
}

/** `--family 4|6|both`: the address families clients reach the proxy over; default 4 (none named in the results). */
export function families(text: string | undefined): readonly Family[] | undefined {
  if (text === undefined) return undefined;
  const chosen = ({ '4': [4], '6': [6], both: [4, 6] } as const)[text.trim()];
  if (!chosen) throw new UsageError(`bad --family ${quote(text)}: expected 4, 6 or both`);
  return chosen;
}

/**
 * `--tls none|starttls|implicit|all` of `run` and `matrix`: the TLS variants plaintext SMTP scenarios run
 * in (src/engine/tls-variant.ts); `all` the three. Default none given: the scenarios as written.
 */
export function tlsVariants(text: string | undefined): readonly TlsVariant[] | undefined {
  if (text === undefined) return undefined;
  const word = text.trim();
  const chosen = word === 'all' ? TLS_VARIANTS : TLS_VARIANTS.filter((v) => v === word);
  if (chosen.length === 0) throw new UsageError(`bad --tls ${quote(text)}: expected none, starttls, implicit or all`);
  return chosen;
}

/**
 * `--control HOST:PORT` (`[::1]:PORT` for IPv6; PORT 0: any free port): where the control API listens,
 * checked as `--host` is (a warning when not loopback: whoever reaches it can arm faults and read mail).
 */
export function controlAddress(text: string): { host: string; port: number; warning?: string } {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) throw new UsageError(`bad --control ${quote(text)}: expected HOST:PORT, such as 127.0.0.1:8025 (PORT 0: any free port)`);
  const host = m[1] ?? m[2]!;
  if (m[1] !== undefined && isIP(host) !== 6) throw new UsageError(`bad --control ${quote(text)}: [${host}] is not an IPv6 address`);
  return { ...listenHost(host, 'control'), port };
}

/** Refuses the faults that could never fire in `protocol`'s sessions (neverFires). `texts`: as typed. */
export function refuseNeverFiring(faults: readonly Fault[], texts: readonly string[], protocol: 'smtp' | 'ftp', command: string): void {
  for (const [i, fault] of faults.entries()) {
    const never = neverFires(fault, protocol);
    if (never) throw new UsageError(`bad --fault ${quote(texts[i] ?? '')}: ${never} and can never fire on "${command}"`);
  }
}

/** --rcpt: one address (quoted in the message, so a line break or control character cannot reach the terminal). */
export function rcpt(text: string | undefined): string {
  if (text === undefined) return DEFAULT_PROBE_LIMITS.rcpt;
  const problem = rcptProblem(text);
  if (problem) throw new UsageError(`bad --rcpt ${quote(text)}: ${problem}`);
  return text;
}
