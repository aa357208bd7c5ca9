/**
 * Runs scenarios: every scenario with every client of its protocol (FTP: in each mode) on each server
 * asked for, a few at a time; each run through `runOne` with its protocol's part (smtp-run, ftp-run).
 *
 *   scenarios × servers × clients × modes ─► workers ─► runOne(smtpRun | ftpRun) ─► Result, in input order
 */
import { installed } from '../clients/process.js';
import type { ClientAdapter, FtpMode } from '../clients/types.js';
import type { CaptureSink } from '../proxy/capture.js';
import { ftpRun } from './ftp-run.js';
import { MOCK_SERVERS, notApplicable, type RunOf } from './identity.js';
import { runOne } from './protocol-run.js';
import { smtpRun } from './smtp-run.js';
import { protocolOfServer, type Targets } from './targets.js';
import type { Result, Scenario } from './types.js';

export interface RunOptions {
  /** The servers runs may use, by name (the command builds the registry: src/commands/targets.ts). */
  readonly targets: Targets;
  /** Scenario runs in flight at once; default 4. */
  readonly concurrency?: number;
  /** Called once before the first run with the number of runs. */
  readonly onStart?: (total: number) => void;
  /** Called as each run finishes. */
  readonly onResult?: (result: Result) => void;
  /**
   * Servers to run each scenario against (`mock-smtp`, `postfix`, `mock-ftp`, `vsftpd`...): each scenario
   * runs on those of its protocol; a protocol with none named here runs on its mock. Default: the mocks.
   */
  readonly servers?: readonly string[];
  /**
   * Aborted when the user interrupts (Ctrl-C): no further run starts, runs in flight are cut (their
   * clients killed, servers and proxies closed) and left out of the results. Default: none.
   */
  readonly signal?: AbortSignal;
  /** A capture of each run's proxied sessions (`--pcap`), closed after the run's proxy; default none. */
  readonly capture?: (run: RunOf) => CaptureSink;
}

/**
 * Runs every scenario with every client of its protocol; results in input order. After `signal`
 * aborted: only the runs that finished before it, in input order.
 */
export async function runScenarios(scenarios: readonly Scenario[], clients: readonly ClientAdapter[], options: RunOptions): Promise<Result[]> {
  const serversFor = (s: Scenario): readonly string[] => {
    const named = (options.servers ?? []).filter((name) => protocolOfServer(options.targets, name) === s.protocol);
    return named.length ? named : [MOCK_SERVERS[s.protocol]];
  };
  const runs: RunOf[] = scenarios.flatMap((scenario) =>
    serversFor(scenario).flatMap((server) =>
      clients
        .filter((c) => c.protocol === scenario.protocol)
        .flatMap((client) => modesOf(scenario).map((mode) => ({ scenario, client, server, ...(mode ? { mode } : {}) }))),
    ),
  );
  options.onStart?.(runs.length);
  const missing = new Map(await Promise.all(clients.map(async (c) => [c, await unavailable(c)] as const)));
  const results: (Result | undefined)[] = new Array<Result | undefined>(runs.length);
  const stop = options.signal;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < runs.length && !stop?.aborted) {
      const i = next++;
      const run = runs[i]!;
      const why = missing.get(run.client);
      const result = why ? notApplicable(run, why) : await runScenario(run, options.targets, stop, options.capture?.(run));
      // A run the interrupt cut short says nothing about the client: left out.
      if (stop?.aborted) return;
      results[i] = result;
      options.onResult?.(result);
    }
  };
  const width = Math.max(1, Math.min(options.concurrency ?? 4, runs.length));
  await Promise.all(Array.from({ length: width }, worker));
  return results.filter((r): r is Result => r !== undefined);
}

/** Why a client cannot run on this machine (its program is not installed), or undefined. */
export async function unavailable(client: ClientAdapter): Promise<string | undefined> {
  const needs = client.requires;
  if (!needs || (await installed(needs.command))) return undefined;
  return `${needs.command} not found: ${needs.install}`;
}

/** The FTP modes a scenario runs in (one run per mode); SMTP has none. */
function modesOf(scenario: Scenario): readonly (FtpMode | undefined)[] {
  return scenario.protocol === 'ftp' ? (scenario.ftp.modes ?? ['passive', 'active']) : [undefined];
}

/**
 * Runs one scenario with one client (FTP: in one mode, default passive) on one server of `targets`
 * (default the protocol's mock). Never throws: wireprobe's own failures become `error`. `stop` cuts the
 * client short (see RunOptions.signal).
 */
export async function runScenario(run: RunOf, targets: Targets, stop?: AbortSignal, capture?: CaptureSink): Promise<Result> {
  const { scenario, client } = run;
  if (scenario.protocol === 'ftp' && client.protocol === 'ftp') {
    const ftp = { ...run, mode: run.mode ?? 'passive', server: run.server ?? MOCK_SERVERS.ftp } as const;
    return runOne(ftp, ftpRun(scenario, client, ftp.mode, targets, ftp.server, capture), stop);
  }
  if (scenario.protocol === 'smtp' && client.protocol === 'smtp') {
    const server = run.server ?? MOCK_SERVERS.smtp;
    return runOne({ ...run, server }, smtpRun(scenario, client, targets, server, capture), stop);
  }
  return notApplicable(run, `${client.name} speaks ${client.protocol}, the scenario ${scenario.protocol}`);
}
