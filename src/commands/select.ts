/** Picks suites, clients and servers by the names a user typed, with one clear line for a name that is not known. */
import { CLIENTS, DEFAULT_CLIENTS, OPT_IN_CLIENTS } from '../clients/index.js';
import type { ClientAdapter } from '../clients/types.js';
import { builtinSuites, type Suite, type SuiteOptions } from '../../suites/index.js';
import type { Protocol } from '../engine/types.js';
import { quote } from '../util/terminal.js';
import { readFileSync } from 'node:fs';
import { REAL_SERVERS } from '../../servers/real/index.js';
import { type ConfigurableServer, isConfigurable, NOT_CONFIGURABLE, UserConfigSyntaxError } from '../../servers/real/user-config.js';
import { parseMainCf } from '../../servers/real/user-config-postfix.js';
import { parseProftpdConf } from '../../servers/real/user-config-proftpd.js';
import { parseVsftpdConf } from '../../servers/real/user-config-vsftpd.js';
import { builtinTargets, UserConfigs } from './targets.js';
import type { Targets } from '../engine/targets.js';
import { UsageError } from '../util/usage-error.js';

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

/**
 * The suites named (a whole protocol like `smtp` selects all its suites), sized by `options`, among the
 * built-in ones and the user's (`--scenarios`); default all. The user's suites always come first, and
 * are the default alone when there are any: names given add the suites they name to them.
 */
export function selectSuites(names: readonly string[] | undefined, options: SuiteOptions = {}, user: readonly Suite[] = []): Suite[] {
  const builtin = builtinSuites(options);
  const clash = user.find((u) => builtin.some((b) => b.name === u.name));
  if (clash) throw new UsageError(`suite ${quote(clash.name)} from a scenario file has the name of a built-in suite: give it another name`);
  const suites = [...builtin, ...user];
  const expanded = names?.flatMap((n) => (suites.some((s) => s.protocol === n) ? suites.filter((s) => s.protocol === n).map((s) => s.name) : [n]));
  return [...new Set([...user, ...pick('suite', suites, expanded, user.length ? user : suites)])];
}

/** The environment variable that sizes ftp/uploads, MiB. */
const UPLOAD_MIB_ENV = 'WIREPROBE_FTP_UPLOAD_MIB';

/**
 * The suites' inputs from the environment the CLI was given (suites never read it themselves); a bad
 * value is a usage error.
 */
export function suiteOptions(env: Readonly<Record<string, string | undefined>>): SuiteOptions {
  const uploadMib = env[UPLOAD_MIB_ENV];
  if (uploadMib === undefined) return {};
  if (!(/^\d+$/.test(uploadMib) && Number(uploadMib) >= 1 && Number(uploadMib) <= 1024)) {
    throw new UsageError(`bad ${UPLOAD_MIB_ENV} ${quote(uploadMib)}: expected a whole number of MiB from 1 to 1024`);
  }
  return { ftpUploadMib: Number(uploadMib) };
}

/**
 * Refuses a pinned outcome (a scenario file's `outcomes`) for a client that is neither built in nor
 * among `clients`: a misspelt name would otherwise never be compared, silently.
 */
export function checkPins(suites: readonly Suite[], clients: readonly ClientAdapter[]): void {
  const known = new Set([...CLIENTS, ...OPT_IN_CLIENTS, ...clients].map((c) => c.name));
  for (const scenario of suites.flatMap((s) => s.scenarios)) {
    const stray = Object.keys(scenario.pinned ?? {}).find((key) => !known.has(key.replace(/\/(passive|active)$/, '')));
    if (stray !== undefined) {
      throw new UsageError(`scenario ${quote(scenario.id)} pins an outcome for ${quote(stray)}, which is not a client here (known: ${[...known].join(', ')})`);
    }
  }
}

/** The clients named; default the in-process ones. */
export function selectClients(names: readonly string[] | undefined): ClientAdapter[] {
  // An opt-in client is run only by its name; `all` stays the matrix's clients.
  const optIn = OPT_IN_CLIENTS.filter((c) => names?.includes(c.name));
  const rest = names?.filter((name) => !optIn.some((c) => c.name === name));
  if (optIn.length > 0 && rest?.length === 0) return [...optIn];
  return [...pick('client', [...CLIENTS, ...(names?.includes('all') ? [] : OPT_IN_CLIENTS)], rest, DEFAULT_CLIENTS), ...optIn];
}

/**
 * The servers named (`mock-smtp`, `postfix`, `mock-ftp`, `vsftpd`...), `all` for every one (of
 * `protocol` when given) among `targets`, a user's config (`postfix:./main.cf`) added to `configs`;
 * default none, which runs each scenario on its protocol's mock.
 */
export function selectServers(
  names: readonly string[] | undefined,
  protocol?: Protocol,
  configs: UserConfigs = new UserConfigs(),
  targets: Targets = builtinTargets(configs),
): string[] {
  const known = (protocol ? [protocol] : (['smtp', 'ftp'] as const)).flatMap((p) => targets.names(p));
  if (!names || names.length === 0) return [];
  if (names.includes('all')) return known;
  const selected = names.map((name) => {
    if (known.includes(name)) return name;
    const learnt = userConfigServer(name, protocol, configs);
    if (learnt === undefined) throw new UsageError(`unknown server ${quote(name)} (known: ${known.join(', ')}, or LAUNCHER:CONFIG-FILE)`);
    return learnt;
  });
  return [...new Set(selected)];
}

const PARSERS: Readonly<Record<ConfigurableServer, (text: string) => unknown>> = {
  postfix: parseMainCf,
  vsftpd: parseVsftpdConf,
  proftpd: parseProftpdConf,
};

/**
 * `postfix:./main.cf`, `vsftpd:FILE`, `proftpd:FILE`: the user's own configuration, checked (a
 * launcher that takes one, a file that reads and parses) and learnt by the built-in registry, whose
 * name for it is returned; undefined when `name` is not LAUNCHER:FILE.
 */
function userConfigServer(name: string, protocol: Protocol | undefined, configs: UserConfigs): string | undefined {
  const colon = name.indexOf(':');
  const launcher = REAL_SERVERS.find((l) => l.name === name.slice(0, colon));
  if (colon < 1 || !launcher) return undefined;
  const file = name.slice(colon + 1);
  const refusal = NOT_CONFIGURABLE[launcher.name];
  if (refusal !== undefined || !isConfigurable(launcher.name)) throw new UsageError(`server ${quote(name)}: ${refusal ?? 'takes no config file'}`);
  if (protocol && launcher.protocol !== protocol) throw new UsageError(`server ${quote(name)} is not an ${protocol} server`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`server ${quote(name)}: cannot read ${quote(file)} (${why}): expected ${launcher.name}'s config file`);
  }
  try {
    PARSERS[launcher.name](text);
  } catch (error) {
    if (error instanceof UserConfigSyntaxError) throw new UsageError(`server ${quote(name)}: ${quote(file)} ${error.message}`);
    throw error;
  }
  return configs.learn(launcher.name, file);
}
