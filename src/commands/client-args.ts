/**
 * The clients a run uses, from `--client`/`--clients` and the config file's `clients`: built-in names
 * (`nodemailer`, `curl`, `all`), the user's command clients (`cmd:NAME=TEMPLATE`, or the object form
 * with `protocol` and `exitCodes`) and module clients (`./my-client.mjs`, `.ts`).
 *
 *   "nodemailer,curl" ──► built-in names (split on commas)
 *   "cmd:my-mailer=..." ─► parseCommandClient ─► commandClient     (taken whole: a template may hold commas)
 *   "./client.mjs" ─────► loadModuleClient                          (taken whole unless split below)
 *   "nodemailer,./client.mjs" ─► split on commas: each a built-in name or a module path
 */
import { type CommandClientSpec, checkCommandClient, commandClient, parseCommandClient } from '../clients/command.js';
import { CLIENTS, OPT_IN_CLIENTS } from '../clients/index.js';
import { isModulePath, loadModuleClient } from '../clients/module.js';
import type { ClientAdapter } from '../clients/types.js';
import { quote } from '../util/terminal.js';
import { names } from './args.js';
import { selectClients } from './select.js';
import { UsageError } from '../util/usage-error.js';

/** One client as a config file gives it: a flag's text, a command client spec, or a module's path. */
export type ClientEntry = string | CommandClientSpec | { readonly module: string };

/** A built-in client's name (or `all`) as a list may hold it: no path, no extension. */
const BUILTIN_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * `text` as the client entries it holds: a `cmd:` template whole (it may hold commas); else split on
 * commas when every part is a built-in name or a module path (`nodemailer,./my-mailer.mjs`), and
 * whole otherwise, so a module whose path holds a comma (`./a,b.mjs`) is taken as it is.
 */
function entriesOf(text: string): string[] {
  if (text.startsWith('cmd:')) return [text];
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some(isModulePath) && parts.every((p) => isModulePath(p) || BUILTIN_NAME.test(p))) return parts;
  return [text];
}

/**
 * Clients a config file defines, which `--client`/`--clients` may name instead of taking them all
 * (`--client ncftp` runs only the config's `ncftp`): its entries, their paths relative to `dir`.
 */
export interface DefinedClients {
  readonly entries: readonly ClientEntry[];
  readonly dir: string;
  /** The config file, as shown in an error. */
  readonly file: string;
}

/** The user's clients `entries` give, relative paths resolved against `cwd`; built-in names in them go to `builtin`. */
async function ownClients(flag: string, entries: readonly ClientEntry[], cwd: string, builtin: string[], signal?: AbortSignal): Promise<ClientAdapter[]> {
  const own: ClientAdapter[] = [];
  for (const given of entries) {
    if (typeof given !== 'string') {
      own.push(...('module' in given ? await loadModuleClient(given.module, cwd, signal) : [commandClient(checkCommandClient(given), cwd)]));
      continue;
    }
    for (const entry of entriesOf(given)) {
      if (entry.startsWith('cmd:')) own.push(commandClient(parseCommandClient(entry), cwd));
      else if (isModulePath(entry.trim())) own.push(...(await loadModuleClient(entry.trim(), cwd, signal)));
      else builtin.push(...(names(flag, [entry]) ?? []));
    }
  }
  return own;
}

/** Whether a config entry is a module client (loading it runs its code), not a command client whose name is in the config. */
const isModuleEntry = (entry: ClientEntry): boolean =>
  typeof entry === 'string' ? !entry.startsWith('cmd:') && entriesOf(entry).some((part) => isModulePath(part)) : 'module' in entry;

/**
 * The config's clients `names` name (none a built-in's). Its command clients are found by their names
 * first; its modules are loaded only for a name still unknown (importing one runs its code), and a
 * module that fails to load matters only then.
 */
async function definedClients(
  flag: string,
  names: readonly string[],
  defined: DefinedClients,
  builtins: ReadonlySet<string>,
  signal?: AbortSignal,
): Promise<ClientAdapter[]> {
  const commands = await ownClients(
    flag,
    defined.entries.filter((e) => !isModuleEntry(e)),
    defined.dir,
    [],
    signal,
  );
  const found = (name: string, among: readonly ClientAdapter[]): ClientAdapter[] => among.filter((client) => client.name === name);
  const missing = names.filter((name) => found(name, commands).length === 0);
  let modules: ClientAdapter[] = [];
  if (missing.length > 0) modules = await ownClients(flag, defined.entries.filter(isModuleEntry), defined.dir, [], signal);
  const all = [...commands, ...modules];
  for (const name of names) {
    if (found(name, all).length > 0) continue;
    const theirs = [...new Set(all.map((c) => c.name))];
    throw new UsageError(`unknown client ${quote(name)} (built in: ${[...builtins].join(', ')}; in ${defined.file}: ${theirs.join(', ') || 'none'})`);
  }
  return names.flatMap((name) => found(name, all));
}

/**
 * The clients `entries` name, relative paths resolved against `cwd`; undefined when none is given (the
 * command's default applies). A name that is no built-in client's is one of `defined`'s (a config file's
 * own clients, loaded only then). A user client may not take a built-in client's name or another's.
 * `signal` (Ctrl-C) stops the wait for a module that does not finish loading: rejects with its reason.
 */
export async function clientsFrom(
  flag: string,
  entries: readonly ClientEntry[] | undefined,
  cwd: string,
  signal?: AbortSignal,
  defined?: DefinedClients,
): Promise<ClientAdapter[] | undefined> {
  if (entries === undefined) return undefined;
  const named: string[] = [];
  const own = await ownClients(flag, entries, cwd, named, signal);
  const builtins = new Set([...CLIENTS, ...OPT_IN_CLIENTS].map((c) => c.name));
  // A name given twice would run twice under one result id: refused, as a user client's name twice is.
  const twice = named.find((name, i) => named.indexOf(name) !== i);
  if (twice !== undefined) throw new UsageError(`bad --${flag}: the client ${quote(twice)} is named twice (each client runs once)`);
  const builtin = named.filter((name) => name === 'all' || builtins.has(name));
  const others = named.filter((name) => !builtin.includes(name));
  if (others.length > 0 && defined) own.push(...(await definedClients(flag, others, defined, builtins, signal)));
  else builtin.push(...others); // refused by selectClients: not a client's name
  // One name may stand for one client per protocol (a module with send and transfer), never for a built-in's.
  const seen = new Set<string>();
  for (const client of own) {
    const key = `${client.protocol} ${client.name}`;
    if (builtins.has(client.name) || seen.has(key)) {
      throw new UsageError(`bad --${flag}: the client name ${quote(client.name)} is taken (built-in clients and yours need distinct names)`);
    }
    seen.add(key);
  }
  if (builtin.length === 0 && own.length === 0) throw new UsageError(`bad --${flag}: no client in it`);
  return [...(builtin.length > 0 ? selectClients(builtin) : []), ...own];
}
