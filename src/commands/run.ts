/** `wireprobe run`: runs suites with clients and writes the reports asked for. */
import type { ClientAdapter } from '../clients/types.js';
import { checkOutput, writeReports, type ReportJob } from './output.js';
import { builtinTargets } from './targets.js';
import { UsageError } from '../util/usage-error.js';
import { runScenarios } from '../engine/run.js';
import { runCaptures } from '../pcap/files.js';
import { openKeylog } from '../tls/keylog.js';
import type { RunOf } from '../engine/identity.js';
import type { Targets } from '../engine/targets.js';
import type { Family } from '../engine/types.js';
import type { TlsVariant } from '../engine/tls-variant.js';
import { type CellSelection, selectCells } from '../engine/shard.js';
import { createConsoleReporter, finalLine } from '../report/console.js';
import { writeJsonReport } from '../report/json.js';
import { writeHtml } from '../report/html.js';
import { writeJunitReport } from '../report/junit.js';
import { summarize } from '../report/summary.js';
import { writeTranscripts } from '../report/transcripts.js';
import { visible } from '../util/terminal.js';
import { collectProvenance, formatProvenance, ranIn } from '../report/provenance.js';
import { MOCK_SERVERS } from '../engine/identity.js';
import { checkBaseline, loadBaseline } from './diff.js';
import { stoppedBy } from '../util/interrupt.js';
import type { Suite } from '../../suites/index.js';

export interface RunCommand {
  readonly suites: readonly Suite[];
  readonly clients: readonly ClientAdapter[];
  /** Servers to run on (see runScenarios); empty: each protocol's mock. */
  readonly servers: readonly string[];
  /** The servers those names stand for; default the built-in ones (the mocks and the real servers' launchers). */
  readonly targets?: Targets;
  /** What the user's `--target` servers said in greeting, by name: their versions in the report. */
  readonly greetings?: Readonly<Record<string, string>>;
  readonly concurrency: number;
  /** The address families clients reach the proxy over (`--family`; see runScenarios); default IPv4 only. */
  readonly families?: readonly Family[] | undefined;
  /** The TLS variants plaintext SMTP scenarios run in (`--tls`; see runScenarios); default the scenarios as written. */
  readonly tls?: readonly TlsVariant[] | undefined;
  readonly json?: string;
  /** The JSON report with each result's title and transcript: what `wireprobe merge` rebuilds HTML and JUnit from. */
  readonly blob?: string;
  readonly junit?: string;
  /** A self-contained HTML report (src/report/html.ts). */
  readonly html?: string;
  readonly transcripts?: string;
  /** A folder for a pcapng file per proxied session (src/pcap/files.ts). */
  readonly pcap?: string;
  /** A file the TLS session keys of every terminated session are appended to (src/tls/keylog.ts). */
  readonly keylog?: string;
  readonly failOnDeviation: boolean;
  /** A JSON report (or blob) of an earlier run: the cells that differ from it are printed after the run. */
  readonly baseline?: string;
  /** With `baseline`: exit 1 when any cell differs from it. */
  readonly failOnChange?: boolean;
  readonly version: string;
  readonly out: NodeJS.WritableStream;
  /** Where a report that could not be written, and an interrupt, are named; default `out`. */
  readonly err?: NodeJS.WritableStream;
  /** Every n/a result on its own line (default: one line per reason, with its count). */
  readonly verbose?: boolean;
  /** ANSI colours. */
  readonly color: boolean;
  /** A progress line rewritten in place (a TTY). */
  readonly live: boolean;
  /** Aborted by Ctrl-C or SIGTERM (src/util/interrupt.ts); default: never. */
  readonly signal?: AbortSignal;
  /** The cells this machine runs (`--shard`, `--only-failed`: src/engine/shard.ts); default all. */
  readonly cells?: CellSelection;
  /** Lines for `err` once the report paths passed their checks, before the run (src/commands/shard-args.ts). */
  readonly notes?: readonly string[];
}

/**
 * Runs and reports; returns the exit code: 0, or 1 when `failOnDeviation` and any result deviates, is
 * unfired or an error (`n/a` is neither: a client that is not installed does not fail a run), or when
 * `failOnChange` and a cell differs from the `baseline` (the differences are printed either way); 2 when a
 * report could not be written (named on `err`; the others are kept). When `signal` aborts (an
 * interrupt, or a client module's crash: src/util/interrupt.ts stoppedBy): the runs that finished are
 * written, marked incomplete, one line says so, and the exit code is 130 (SIGINT), 143 (SIGTERM) or 3
 * (a client module's crash).
 */
export async function runCommand(cmd: RunCommand): Promise<number> {
  const scenarios = cmd.suites.flatMap((s) => s.scenarios);
  if (!scenarios.some((s) => cmd.clients.some((c) => c.protocol === s.protocol))) {
    const protocols = (items: readonly { protocol: string }[]): string => [...new Set(items.map((i) => i.protocol))].join('/') || 'none';
    throw new UsageError(
      `nothing to run: the suites chosen are ${protocols(cmd.suites)} (${scenarios.length} scenarios) and the clients ${protocols(cmd.clients)} (${cmd.clients.map((c) => c.name).join(', ') || 'none'}); a scenario runs only with clients of its protocol`,
    );
  }
  const outputs = [
    ['json', cmd.json],
    ['blob', cmd.blob],
    ['junit', cmd.junit],
    ['html', cmd.html],
  ] as const;
  for (const [flag, file] of outputs) if (file) await checkOutput(flag, file, 'file');
  if (cmd.transcripts) await checkOutput('transcripts', cmd.transcripts, 'dir');
  if (cmd.pcap) await checkOutput('pcap', cmd.pcap, 'dir');
  if (cmd.keylog) await checkOutput('keylog', cmd.keylog, 'file');
  const baseline = cmd.baseline === undefined ? undefined : await loadBaseline(cmd.baseline);
  const err = cmd.err ?? cmd.out;
  for (const line of cmd.notes ?? []) err.write(`wireprobe: ${line}\n`);
  // Collected before the run, not beside it: version probes must not take CPU from timed scenarios.
  const collected = await collectProvenance({
    wireprobe: cmd.version,
    clients: cmd.clients.map((c) => c.name),
    servers: [...cmd.servers, ...Object.values(MOCK_SERVERS)],
    // The user's own clients have no version to ask for: what they are (a command, a module) instead.
    described: Object.fromEntries(cmd.clients.map((c) => [c.name, c.description])),
    ...(cmd.greetings ? { describedServers: cmd.greetings } : {}),
  });
  const console = createConsoleReporter(cmd.out, { color: cmd.color, live: cmd.live, verbose: cmd.verbose === true });
  const started = performance.now();
  let total = 0;
  /** Cells of the whole run, every shard together. */
  let whole = 0;
  const selection = cmd.cells;
  const select =
    selection &&
    ((runs: readonly RunOf[]): readonly RunOf[] => {
      const picked = selectCells(runs, selection);
      whole = picked.cells;
      if (selection.only && selection.only.size > 0 && picked.cells === 0) {
        throw new UsageError(
          `--only-failed: none of the ${selection.only.size} cells that failed there is among this run's ${runs.length}; give the suites, clients and servers of that run`,
        );
      }
      return picked.runs;
    });
  const keylog = cmd.keylog ? openKeylog(cmd.keylog, (line) => err.write(`wireprobe: ${line}\n`)) : undefined;
  const results = await runScenarios(scenarios, cmd.clients, {
    targets: cmd.targets ?? builtinTargets(),
    concurrency: cmd.concurrency,
    servers: cmd.servers,
    ...(cmd.families ? { families: cmd.families } : {}),
    ...(cmd.tls ? { tls: cmd.tls } : {}),
    ...(cmd.signal ? { signal: cmd.signal } : {}),
    ...(select ? { select } : {}),
    ...(cmd.pcap ? { capture: runCaptures(cmd.pcap, (line) => err.write(`wireprobe: ${line}\n`)) } : {}),
    ...(keylog ? { keylog: keylog.write } : {}),
    onStart: (n) => {
      total = n;
      console.start(n);
    },
    onResult: (result) => console.result(result),
  }).finally(() => keylog?.close());
  const interrupted = stoppedBy(cmd.signal);
  const incomplete = interrupted ? { reason: interrupted.reason, total } : undefined;
  const shard = selection?.shard ? { ...selection.shard, cells: whole } : undefined;
  const provenance = ranIn(collected, results);
  if (!interrupted) console.end(results);
  if (!interrupted && cmd.verbose) cmd.out.write(`${visible(formatProvenance(provenance))}\n`);
  const jobs: ReportJob[] = [];
  if (cmd.json) jobs.push({ flag: 'json', path: cmd.json, write: () => writeJsonReport(cmd.json!, results, cmd.version, incomplete, { shard, provenance }) });
  if (cmd.blob) {
    // The whole run's order (every shard alike), which `merge` restores.
    const order = {
      scenarios: scenarios.map((s) => s.id),
      servers: [...new Set([...cmd.servers, ...Object.values(MOCK_SERVERS)])],
      clients: [...new Set(cmd.clients.map((c) => c.name))],
    };
    const extras = { shard, provenance, blob: true, order };
    jobs.push({ flag: 'blob', path: cmd.blob, write: () => writeJsonReport(cmd.blob!, results, cmd.version, incomplete, extras) });
  }
  if (cmd.junit) jobs.push({ flag: 'junit', path: cmd.junit, write: () => writeJunitReport(cmd.junit!, results, incomplete, provenance) });
  if (cmd.html)
    jobs.push({
      flag: 'html',
      path: cmd.html,
      write: () => writeHtml(cmd.html!, results, { version: cmd.version, generatedAt: new Date(), provenance, ...(incomplete ? { incomplete } : {}) }),
    });
  if (cmd.transcripts) jobs.push({ flag: 'transcripts', path: cmd.transcripts, write: async () => void (await writeTranscripts(cmd.transcripts!, results)) });
  if (interrupted) {
    // Everything the run started was stopped and removed by the finally blocks that own it.
    await writeReports(jobs, undefined, err);
    const written = jobs.length > 0 ? 'written' : 'finished';
    const line = interrupted.line(`${results.length} of ${total} results ${written}; cleaned up`);
    err.write(cmd.live ? `\n${line}` : line);
    return interrupted.exitCode;
  }
  const reports: string[] = [];
  const track = (job: ReportJob): ReportJob => ({
    ...job,
    write: async () => {
      await job.write();
      reports.push(job.path);
    },
  });
  const written = await writeReports(jobs.map(track), cmd.out, err);
  const changed = baseline ? checkBaseline(baseline, results, provenance, cmd.out) : false;
  cmd.out.write(finalLine(results, { elapsedMs: performance.now() - started, ...(shard ? { shard } : {}), reports }));
  if (!written) return 2;
  if (changed && cmd.failOnChange) return 1;
  const summary = summarize(results);
  return cmd.failOnDeviation && summary.conformant + summary.na < summary.total ? 1 : 0;
}
