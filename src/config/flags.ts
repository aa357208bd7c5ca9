/**
 * The config file as flags: `run`, `matrix` and `list` read its values where no flag is given (a flag
 * given replaces that key whole), and the user's scenario files (`--scenarios`, else the config's) as
 * suites.
 */
import { dirname, relative, resolve } from 'node:path';
import type { Suite } from '../../suites/types.js';
import type { CliIo, Values } from '../commands/options.js';
import { type ClientSpec, type LoadedConfig, loadConfig, serverPaths, type TargetSpec } from './config.js';
import { fileProblem } from './problem.js';
import type { DefinedClients } from '../commands/client-args.js';
import { loadScenarioFiles } from './scenarios.js';

/** What a command takes from the flags and the config together. */
export interface Configured {
  /** The flags, with the config's values where a flag was not given. */
  readonly values: Values;
  /** The user's suites, from `--scenarios` or the config's `scenarios`; none when neither. */
  readonly suites: Suite[];
  /** `--client` (run) or `--clients` (matrix) as given, else the config's clients: for clientsFrom (src/commands/client-args.ts). */
  readonly clients?: readonly ClientSpec[];
  /** Where the clients' relative paths start (a `cmd:` program, a module): the config file's folder for its clients, else the working directory. */
  readonly clientsDir: string;
  /** With `--client` given, the config's own clients, which it may name (`--client ncftp`). */
  readonly defined?: DefinedClients;
  readonly config?: LoadedConfig;
}

/**
 * The flags with the config's values filled in, and the user's suites. `plural`: the config's `clients`
 * and `servers` stand in for `--clients`/`--servers` (matrix) rather than `--client`/`--server` (run).
 */
export async function configured(values: Values, io: CliIo, plural = false): Promise<Configured> {
  const cwd = io.cwd ?? process.cwd();
  const config = await loadConfig(values.config, cwd);
  const r = config?.reports ?? {};
  const shown = (file: string): string => relative(cwd, file) || file;
  const scenarioFiles = values.scenarios ?? config?.scenarios?.map(shown);
  const clientFlag = plural ? values.clients : values.client;
  const clients = clientFlag ?? config?.clients;
  // A user's server config named by a flag (`postfix:./main.cf`) is read from where the command line was given.
  const serverFlag = (plural ? values.servers : values.server)
    ?.flatMap((v) => v.split(','))
    .map((s) => (io.cwd ? serverPaths(s.trim(), (p) => resolve(io.cwd!, p)) : s));
  const servers = serverFlag ?? config?.servers;
  // Report paths from flags start where the command line was given (io.cwd: a test's folder); the config's are absolute.
  const flagPath = (p: string | undefined): string | undefined => (p !== undefined && io.cwd ? resolve(io.cwd, p) : p);
  const merged: Values = {
    ...values,
    ...((values.suite ?? config?.suites) ? { suite: [...(values.suite ?? config?.suites ?? [])] } : {}),
    ...(servers ? { [plural ? 'servers' : 'server']: [...servers] } : {}),
    ...(clients ? { [plural ? 'clients' : 'client']: clients.map(clientName) } : {}),
    json: flagPath(values.json) ?? r.json,
    junit: flagPath(values.junit) ?? r.junit,
    html: flagPath(values.html) ?? r.html,
    transcripts: flagPath(values.transcripts) ?? r.transcripts,
    pcap: flagPath(values.pcap) ?? r.pcap,
    keylog: flagPath(values.keylog) ?? r.keylog,
    concurrency: values.concurrency ?? config?.concurrency?.toString(),
    'fail-on-deviation': values['fail-on-deviation'] ?? config?.failOnDeviation,
    family: values.family ?? config?.family,
    tls: values.tls ?? config?.tls,
    ...(values.target === undefined && config?.targets ? targetFlags(config.targets, values, shown(config.file)) : {}),
  };
  const given = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as Values;
  return {
    values: given,
    suites: scenarioFiles ? await loadScenarioFiles(scenarioFiles, cwd) : [],
    ...(clients ? { clients } : {}),
    clientsDir: clientFlag === undefined && config ? dirname(config.file) : cwd,
    ...(clientFlag !== undefined && config?.clients ? { defined: { entries: config.clients, dir: dirname(config.file), file: shown(config.file) } } : {}),
    ...(config ? { config } : {}),
  };
}

/** The `--target` flag's fields of a config target object, and the flag each stands in for. */
const TARGET_FLAGS = [
  ['from', 'from'],
  ['rcpt', 'rcpt'],
  ['maildir', 'maildir'],
  ['maxMessages', 'max-messages'],
  ['passwordEnv', 'password-env'],
  ['passwordFile', 'password-file'],
] as const;

/**
 * The config's targets as `--target` and the flags that go with it (given flags win). Those flags
 * apply to every target, so two targets that give one of them differently are refused.
 */
function targetFlags(targets: readonly TargetSpec[], values: Values, file: string): Partial<Values> {
  const flags: Record<string, string> = {};
  targets.forEach((spec, i) => {
    if (typeof spec === 'string') return;
    for (const [key, flag] of TARGET_FLAGS) {
      const value = spec[key]?.toString();
      if (value === undefined || values[flag] !== undefined) continue;
      if (flags[flag] !== undefined && flags[flag] !== value) {
        throw fileProblem('config file', file, undefined, ['targets', i, key], `differs from another target's: one --${flag} applies to every target`);
      }
      flags[flag] = value;
    }
  });
  const target = targets.map((spec) => (typeof spec === 'string' ? spec : spec.name ? `${spec.name}=${spec.url}` : spec.url));
  return { target, ...flags };
}

/** The name a client spec is selected by: its text, a command client's name, a module's path. */
export function clientName(spec: ClientSpec): string {
  if (typeof spec === 'string') return spec;
  return 'module' in spec ? spec.module : spec.name;
}
