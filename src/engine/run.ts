/**
 * Runs scenarios: every scenario with every client of its protocol (FTP: in each mode) on each server
 * asked for, a few at a time; each run through `runOne` with its protocol's part (smtp-run, ftp-run).
 * Scenarios whose verdict weighs time run apart, after the rest (Scenario.schedule). A caller may keep
 * only some of the runs (a shard's, the failed ones: RunOptions.select) before any starts. Runs whose
 * content would not fit in memory together wait for room (./memory-budget.ts).
 *
 *   scenarios × servers × clients × modes × families ─► select ─► shared: concurrency workers ─┐
 *                                                    └► apart: ≤ MEASURED_CONCURRENCY, by idle cores ─┴► runOne(smtpRun | ftpRun) ─► Result, in input order
 */
import { getMaxListeners, setMaxListeners } from 'node:events';
import { installed } from '../clients/process.js';
import type { ClientAdapter, FtpMode } from '../clients/types.js';
import type { CaptureSink } from '../proxy/capture.js';
import { apartWidth, idleCores } from './apart-width.js';
import { ftpRun } from './ftp-run.js';
import { MOCK_SERVERS, notApplicable, type RunOf } from './identity.js';
import { runOne } from './protocol-run.js';
import { smtpRun } from './smtp-run.js';
import { protocolOfServer, type Targets } from './targets.js';
import type { Family, Result, Scenario } from './types.js';
import { tlsVariantsOf, withTlsVariant, type TlsVariant } from './tls-variant.js';
import { Admission, LoopLag } from './admission.js';
import { MemoryBudget, weightOf } from './memory-budget.js';

/**
 * Scenario runs in flight at most unless the user says otherwise (`--concurrency`); beyond
 * MEASURED_CONCURRENCY only while the runner keeps up. Measured on 2 cores, idle and beside a CPU
 * burner: 16 gave every verdict as 4 did, against the mocks with every client and against the real
 * servers wireprobe starts (README, "Load and verdicts").
 */
export const DEFAULT_CONCURRENCY = 16;

/**
 * The same when runs go to a user's own server (`--target`): every run shares it, its session limits
 * and whoever else uses it, so wireprobe keeps to as many sessions at once as the expectations were
 * measured with unless told otherwise.
 */
export const TARGET_CONCURRENCY = 4;

/**
 * The concurrency every expectation was measured at (test/suites.test.ts runs 4 at a time): shared runs
 * start whenever one ends up to this many, beyond it only while the runner keeps up (./admission.ts);
 * `apart` runs, whose timeouts were scaled at it, never go more at once, whatever the concurrency.
 */
export const MEASURED_CONCURRENCY = 4;

export interface RunOptions {
  /** The servers runs may use, by name (the command builds the registry: src/commands/targets.ts). */
  readonly targets: Targets;
  /** Scenario runs in flight at once; default DEFAULT_CONCURRENCY. */
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
  /** Told each key log line (NSS format) of every TLS session the proxy terminates (`--keylog`); default none. */
  readonly keylog?: (line: Buffer) => void;
  /**
   * The runs to make out of all the scenarios, clients and servers make (a shard's, the failed ones:
   * src/engine/shard.ts), in input order; chosen before anything starts. Default: all.
   */
  readonly select?: (runs: readonly RunOf[]) => readonly RunOf[];
  /**
   * The address families clients reach the proxy over (`--family`), each a run of its own whose result
   * names it; default: IPv4 only, the results naming none.
   */
  readonly families?: readonly Family[];
  /**
   * The TLS variants (`--tls`, src/engine/tls-variant.ts), each a run of its own whose result names it, for
   * the scenarios that have them; default: the scenarios as written, the results naming none.
   */
  readonly tls?: readonly TlsVariant[];
  /**
   * Apart runs in flight at once (at most the concurrency); default: up to MEASURED_CONCURRENCY, as many
   * as the machine's idle cores allow when they start (./apart-width.ts).
   */
  readonly apartConcurrency?: number;
  /** Octets of scenario content the runs in flight may hold at once (./memory-budget.ts); default a quarter of the machine's memory. */
  readonly memoryBudget?: number;
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
  const all: RunOf[] = scenarios.flatMap((scenario) =>
    serversFor(scenario).flatMap((server) =>
      clients
        .filter((c) => c.protocol === scenario.protocol)
        .flatMap((client) =>
          modesOf(scenario).flatMap((mode) =>
            tlsVariantsOf(scenario, options.tls).flatMap((tls) =>
              familiesOf(options.families).map((family) => ({ scenario, client, server, ...(mode ? { mode } : {}), ...tls, ...family })),
            ),
          ),
        ),
    ),
  );
  const runs = options.select ? options.select(all) : all;
  options.onStart?.(runs.length);
  const missing = new Map(await Promise.all(clients.map(async (c) => [c, await unavailable(c)] as const)));
  const results: (Result | undefined)[] = new Array<Result | undefined>(runs.length);
  const stop = options.signal;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  // The runner's event loop, sampled only when runs may go beyond MEASURED_CONCURRENCY (./admission.ts).
  const lag = concurrency > MEASURED_CONCURRENCY ? new LoopLag() : undefined;
  const budget = new MemoryBudget(options.memoryBudget);
  /** Runs `run` once the content it holds fits in the budget (./memory-budget.ts); undefined if interrupted first. */
  const runHeld = async (run: RunOf): Promise<Result | undefined> => {
    const release = await budget.take(weightOf(run), stop);
    if (!release) return undefined;
    try {
      return await runScenario(run, options.targets, stop, options.capture?.(run), options.keylog);
    } finally {
      release();
    }
  };
  /** Runs the runs at `indices`, at most `width` at a time, above MEASURED_CONCURRENCY only while the runner keeps up (./admission.ts). */
  const pool = async (indices: readonly number[], width: number): Promise<void> => {
    let next = 0;
    const admission = new Admission(MEASURED_CONCURRENCY, width, lag);
    const worker = async (): Promise<void> => {
      while (next < indices.length && !stop?.aborted) {
        if (!(await admission.enter(stop))) return;
        try {
          if (next >= indices.length) return;
          const i = indices[next++]!;
          const run = runs[i]!;
          const why = missing.get(run.client);
          const result = why ? notApplicable(run, why) : await runHeld(run);
          // A run the interrupt cut short says nothing about the client: left out.
          if (stop?.aborted || result === undefined) return;
          results[i] = result;
          options.onResult?.(result);
        } finally {
          admission.leave();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(width, indices.length)) }, worker));
  };
  // Each run in flight listens to `stop` once (withDeadline), and each worker waiting for its turn
  // (Admission.enter, MemoryBudget.take) once, beside the caller's own listeners.
  if (stop) setMaxListeners(getMaxListeners(stop) + 3 * concurrency, stop);
  const [shared, apart] = scheduled(runs);
  try {
    await pool(shared, concurrency);
    if (apart.length > 0 && !stop?.aborted) await pool(apart, await apartRuns(concurrency, options.apartConcurrency));
  } finally {
    lag?.stop();
  }
  return results.filter((r): r is Result => r !== undefined);
}

/** Apart runs in flight at once: the caller's number, else as the idle cores allow (./apart-width.ts); never above `concurrency`. */
async function apartRuns(concurrency: number, asked: number | undefined): Promise<number> {
  const limit = Math.min(concurrency, asked ?? MEASURED_CONCURRENCY);
  return asked !== undefined || limit === 1 ? limit : apartWidth(limit, await idleCores());
}

/**
 * The indices of the runs that share the machine, and of those that run apart (see
 * Scenario.schedule), each in input order.
 */
export function scheduled(runs: readonly RunOf[]): [shared: number[], apart: number[]] {
  const indices = runs.map((_, i) => i);
  return [indices.filter((i) => runs[i]!.scenario.schedule !== 'apart'), indices.filter((i) => runs[i]!.scenario.schedule === 'apart')];
}

/** Why a client cannot run on this machine (its program is not installed), or undefined. */
export async function unavailable(client: ClientAdapter): Promise<string | undefined> {
  const needs = client.requires;
  if (!needs) return undefined;
  if (needs.locate ? (await needs.locate()) !== undefined : await installed(needs.command)) return undefined;
  return `${needs.command} not found: ${needs.install}`;
}

/** Each family asked for as a run's `family`; none asked for: one run with none (IPv4). */
function familiesOf(families: readonly Family[] | undefined): readonly { readonly family?: Family }[] {
  return families?.length ? families.map((family) => ({ family })) : [{}];
}

/** The FTP modes a scenario runs in (one run per mode); SMTP has none. */
function modesOf(scenario: Scenario): readonly (FtpMode | undefined)[] {
  return scenario.protocol === 'ftp' ? (scenario.ftp.modes ?? ['passive', 'active']) : [undefined];
}

/**
 * Runs one scenario with one client (FTP: in one mode, default passive) on one server of `targets`
 * (default the protocol's mock). Never throws: wireprobe's own failures become `error`. `stop` cuts the
 * client short (see RunOptions.signal); `keylog` is RunOptions.keylog.
 */
export async function runScenario(run: RunOf, targets: Targets, stop?: AbortSignal, capture?: CaptureSink, keylog?: (line: Buffer) => void): Promise<Result> {
  const { client } = run;
  const scenario = withTlsVariant(run.scenario, run.tls);
  if (scenario.protocol === 'ftp' && client.protocol === 'ftp') {
    const ftp = { ...run, mode: run.mode ?? 'passive', server: run.server ?? MOCK_SERVERS.ftp } as const;
    return runOne(ftp, ftpRun(scenario, client, ftp.mode, targets, ftp.server, capture, run.family, keylog), stop);
  }
  if (scenario.protocol === 'smtp' && client.protocol === 'smtp') {
    const server = run.server ?? MOCK_SERVERS.smtp;
    return runOne({ ...run, server }, smtpRun(scenario, client, targets, server, capture, run.family, keylog), stop);
  }
  return notApplicable(run, `${client.name} speaks ${client.protocol}, the scenario ${scenario.protocol}`);
}
