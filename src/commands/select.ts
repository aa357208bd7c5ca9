/** Picks suites, clients and servers by the names a user typed, with one clear line for a name that is not known. */
import { CLIENTS, DEFAULT_CLIENTS } from '../clients/index.js';
import type { ClientAdapter } from '../clients/types.js';
import { SUITES, type Suite } from '../../suites/index.js';
import { serverNames } from '../engine/targets.js';
import type { Protocol } from '../engine/types.js';
import { quote } from '../util/terminal.js';
import { UsageError } from './usage-error.js';

function pick<T extends { readonly name: string }>(what: string, known: readonly T[], names: readonly string[] | undefined, fallback: readonly T[]): T[] {
  if (!names || names.length === 0) return [...fallback];
  if (names.includes('all')) return [...known];
  const names_known = [...new Set(known.map((k) => k.name))];
  return names.flatMap((name) => {
    const found = known.filter((k) => k.name === name);
    if (found.length === 0) throw new UsageError(`unknown ${what} ${quote(name)} (known: ${names_known.join(', ')})`);
    return found;
  });
}

/** The suites named (a whole protocol like `smtp` selects all its suites); default all. */
export function selectSuites(names: readonly string[] | undefined): Suite[] {
  const expanded = names?.flatMap((n) => (SUITES.some((s) => s.protocol === n) ? SUITES.filter((s) => s.protocol === n).map((s) => s.name) : [n]));
  return pick('suite', SUITES, expanded, SUITES);
}

/** The clients named; default the in-process ones. */
export function selectClients(names: readonly string[] | undefined): ClientAdapter[] {
  return pick('client', CLIENTS, names, DEFAULT_CLIENTS);
}

/**
 * The servers named (`mock-smtp`, `postfix`, `mock-ftp`, `vsftpd`...), `all` for every one (of
 * `protocol` when given); default none, which runs each scenario on its protocol's mock.
 */
export function selectServers(names: readonly string[] | undefined, protocol?: Protocol): string[] {
  const known = (protocol ? [protocol] : (['smtp', 'ftp'] as const)).flatMap((p) => serverNames(p));
  if (!names || names.length === 0) return [];
  if (names.includes('all')) return known;
  for (const name of names) {
    if (!known.includes(name)) throw new UsageError(`unknown server ${quote(name)} (known: ${known.join(', ')})`);
  }
  return [...new Set(names)];
}
