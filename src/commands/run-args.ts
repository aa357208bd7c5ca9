/**
 * `run` and `matrix` from the command line's values: what to run (suites, clients, servers) and the
 * reports asked for, handed to runCommand as typed values.
 */
import { DEFAULT_CONCURRENCY, TARGET_CONCURRENCY } from '../engine/run.js';
import { quote } from '../util/terminal.js';
import { families, integer, names, tlsVariants } from './args.js';
import { VERSION } from './help.js';
import { type CliIo, onlyFor, REPORTS, TARGET_OPTIONS, type Values } from './options.js';
import { cellSelection, SHARDING } from './shard-args.js';
import { UsageError } from '../util/usage-error.js';
import type { Suite } from '../../suites/index.js';
import type { ClientAdapter } from '../clients/types.js';
import type { Targets } from '../engine/targets.js';
import type { UserConfigs } from './targets.js';

/** `wireprobe run`: the suites, clients and servers named (defaults: every suite, the in-process clients, the mocks). */
export async function runArgs(flags: Values, io: CliIo): Promise<number> {
  onlyFor('run', flags, ['suite', 'client', 'server', 'scenarios', 'config', ...REPORTS, ...SHARDING, ...TARGET_OPTIONS]);
  const { checkPins, selectClients, selectServers, selectSuites, suiteOptions } = await import('./select.js');
  const { clientsFrom } = await import('./client-args.js');
  // The config file's values fill in the flags not given (its targets as --target and the flags that go
  // with it); its clients, text and objects, are `configured(...).clients` for the client parsers.
  const { values, suites: user, clients: entries, clientsDir, defined } = await (await import('../config/flags.js')).configured(flags, io);
  const suites = selectSuites(names('suite', values.suite), suiteOptions(io.env), user);
  const clients = (await clientsFrom('client', entries, clientsDir, io.signal, defined)) ?? selectClients(undefined);
  checkPins(suites, clients);
  return runChosen(values, io, suites, clients, (configs, targets) => selectServers(names('server', values.server), undefined, configs, targets));
}

/** `wireprobe matrix smtp|ftp`: every suite of the protocol, clients x servers x faults. */
export async function matrixArgs(flags: Values, positionals: readonly string[], io: CliIo): Promise<number> {
  const { checkPins, selectClients, selectServers, selectSuites, suiteOptions } = await import('./select.js');
  const { clientsFrom } = await import('./client-args.js');
  const sizes = suiteOptions(io.env);
  const protocol = positionals[1];
  if (protocol !== 'smtp' && protocol !== 'ftp') {
    throw new UsageError(
      `matrix needs a protocol: "wireprobe matrix smtp" or "wireprobe matrix ftp" (got ${protocol === undefined ? 'none' : quote(protocol)})`,
    );
  }
  if (positionals.length > 2) throw new UsageError(`unexpected argument ${quote(positionals[2]!)}`);
  onlyFor(`matrix ${protocol}`, flags, ['suite', 'clients', 'servers', 'scenarios', 'config', ...REPORTS, ...SHARDING, ...TARGET_OPTIONS]);
  const configured = await (await import('../config/flags.js')).configured(flags, io, true);
  const { values } = configured;
  const user = configured.suites.filter((s) => s.protocol === protocol);
  const suites = selectSuites(names('suite', values.suite) ?? (user.length ? undefined : [protocol]), sizes, user);
  const foreign = suites.find((s) => s.protocol !== protocol);
  if (foreign) throw new UsageError(`suite ${quote(foreign.name)} is not one of the ${protocol} suites`);
  const wanted = configured.clients;
  const clients = ((await clientsFrom('clients', wanted, configured.clientsDir, io.signal, configured.defined)) ?? selectClients(['all'])).filter(
    (c) => c.protocol === protocol,
  );
  if (clients.length === 0) throw new UsageError(`no ${protocol} client among --clients ${quote(values.clients?.join(',') ?? '')}`);
  checkPins(suites, clients);
  // With targets, the servers are those unless --servers names more.
  return runChosen(values, io, suites, clients, (configs, targets) =>
    selectServers(names('servers', values.servers) ?? (targets ? [] : ['all']), protocol, configs, targets),
  );
}

/**
 * What run and matrix do once their suites and clients are chosen: the cells this machine runs, the
 * user's targets and server configs, the servers `serversFor` picks (the targets' names added), the run.
 */
async function runChosen(
  values: Values,
  io: CliIo,
  suites: readonly Suite[],
  clients: readonly ClientAdapter[],
  serversFor: (configs: UserConfigs, targets: Targets | undefined) => string[],
): Promise<number> {
  const { runCommand } = await import('./run.js');
  const { withTargets } = await import('./target-args.js');
  const { builtinTargets, UserConfigs } = await import('./targets.js');
  const selection = await cells(values);
  const configs = new UserConfigs();
  const own = await withTargets(values, io, suites, clients, configs);
  const servers = [...new Set([...serversFor(configs, own?.targets), ...(own?.names ?? [])])];
  return runCommand({
    suites,
    clients,
    servers,
    targets: own?.targets ?? builtinTargets(configs),
    greetings: own?.greetings,
    ...reporting(values, io, own ? TARGET_CONCURRENCY : DEFAULT_CONCURRENCY),
    ...selection,
  });
}

/** The cells this machine runs (`--shard`, `--only-failed`), read after every other flag is checked. */
async function cells(values: Values) {
  return (await cellSelection(values, VERSION)) ?? {};
}

/**
 * What `run` and `matrix` share: concurrency (`concurrency` unless `--concurrency` says otherwise), the
 * reports asked for, exit policy, and the console's looks.
 */
function reporting(values: Values, io: CliIo, concurrency: number) {
  const tty = io.stdout.isTTY === true;
  if (values['fail-on-change'] && values.baseline === undefined) throw new UsageError('--fail-on-change needs --baseline FILE: the report to compare with');
  return {
    ...(io.signal ? { signal: io.signal } : {}),
    err: io.stderr,
    concurrency: integer('concurrency', values.concurrency, concurrency, 1, 64),
    families: families(values.family),
    tls: tlsVariants(values.tls),
    json: values.json,
    blob: values.blob,
    baseline: values.baseline,
    failOnChange: values['fail-on-change'] === true,
    junit: values.junit,
    html: values.html,
    transcripts: values.transcripts,
    pcap: values.pcap,
    keylog: values.keylog,
    failOnDeviation: values['fail-on-deviation'] === true,
    version: VERSION,
    out: io.stdout,
    color: tty && !values['no-color'] && io.env.NO_COLOR === undefined,
    live: tty,
    verbose: values.verbose === true,
  };
}
