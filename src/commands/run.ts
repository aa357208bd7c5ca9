/** `wireprobe run`: runs suites with clients and writes the reports asked for. */
import type { ClientAdapter } from '../clients/types.js';
import { runScenarios } from '../engine/run.js';
import { createConsoleReporter } from '../report/console.js';
import { writeJsonReport } from '../report/json.js';
import { writeJunitReport } from '../report/junit.js';
import { summarize } from '../report/summary.js';
import { writeTranscripts } from '../report/transcripts.js';
import type { Suite } from '../../suites/index.js';

export interface RunCommand {
  readonly suites: readonly Suite[];
  readonly clients: readonly ClientAdapter[];
  readonly concurrency: number;
  readonly json?: string;
  readonly junit?: string;
  readonly transcripts?: string;
  readonly failOnDeviation: boolean;
  readonly version: string;
  readonly out: NodeJS.WritableStream;
  /** ANSI colours. */
  readonly color: boolean;
  /** A progress line rewritten in place (a TTY). */
  readonly live: boolean;
}

/**
 * Runs and reports; returns the exit code: 0, or 1 when `failOnDeviation` and any result deviates, is
 * unfired or an error (`n/a` is neither: a client that is not installed does not fail a run).
 */
export async function runCommand(cmd: RunCommand): Promise<number> {
  const scenarios = cmd.suites.flatMap((s) => s.scenarios);
  const console = createConsoleReporter(cmd.out, { color: cmd.color, live: cmd.live });
  const results = await runScenarios(scenarios, cmd.clients, {
    concurrency: cmd.concurrency,
    onStart: (total) => console.start(total),
    onResult: (result) => console.result(result),
  });
  console.end(results);
  if (cmd.json) await writeJsonReport(cmd.json, results, cmd.version);
  if (cmd.junit) await writeJunitReport(cmd.junit, results);
  if (cmd.transcripts) await writeTranscripts(cmd.transcripts, results);
  for (const [flag, file] of [['json', cmd.json], ['junit', cmd.junit], ['transcripts', cmd.transcripts]] as const) {
    if (file) cmd.out.write(`${flag} written to ${file}\n`);
  }
  const summary = summarize(results);
  return cmd.failOnDeviation && summary.conformant + summary.na < summary.total ? 1 : 0;
}
