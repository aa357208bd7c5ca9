/** `wireprobe run`: runs suites with clients and writes the reports asked for. */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { ClientAdapter } from '../clients/types.js';
import { UsageError } from './usage-error.js';
import { runScenarios } from '../engine/run.js';
import { createConsoleReporter } from '../report/console.js';
import { writeJsonReport } from '../report/json.js';
import { writeHtml } from '../report/html.js';
import { writeJunitReport } from '../report/junit.js';
import { summarize } from '../report/summary.js';
import { writeTranscripts } from '../report/transcripts.js';
import { EXIT_CODES, interruptedBy, interruptLine } from '../util/interrupt.js';
import type { Suite } from '../../suites/index.js';

export interface RunCommand {
  readonly suites: readonly Suite[];
  readonly clients: readonly ClientAdapter[];
  /** Servers to run on (see runScenarios); empty: each protocol's mock. */
  readonly servers: readonly string[];
  readonly concurrency: number;
  readonly json?: string;
  readonly junit?: string;
  /** A self-contained HTML report (src/report/html.ts). */
  readonly html?: string;
  readonly transcripts?: string;
  readonly failOnDeviation: boolean;
  readonly version: string;
  readonly out: NodeJS.WritableStream;
  /** ANSI colours. */
  readonly color: boolean;
  /** A progress line rewritten in place (a TTY). */
  readonly live: boolean;
  /** Aborted by Ctrl-C or SIGTERM (src/util/interrupt.ts); default: never. */
  readonly signal?: AbortSignal;
  /** Where the interrupt's one line goes; default `out`. */
  readonly err?: NodeJS.WritableStream;
}

/** Fails before a long run, not after it, when a report file cannot be written. */
async function writable(flag: string, file: string): Promise<void> {
  const target = resolve(file);
  const info = await stat(target).catch(() => undefined);
  if (info?.isDirectory()) throw new UsageError(`bad --${flag} "${file}": it is a directory`);
  if (info) {
    await access(target, constants.W_OK).catch(() => {
      throw new UsageError(`bad --${flag} "${file}": it is not writable`);
    });
  }
  await writableDir(dirname(target), flag, file);
}

/** `dir` exists and is writable, or can be created under its nearest existing ancestor. */
async function writableDir(dir: string, flag = 'transcripts', given = dir): Promise<void> {
  let existing = resolve(dir);
  while (!(await stat(existing).catch(() => undefined))) existing = dirname(existing);
  const info = await stat(existing);
  if (!info.isDirectory()) throw new UsageError(`bad --${flag} "${given}": ${existing} is not a directory`);
  await access(existing, constants.W_OK).catch(() => {
    throw new UsageError(`bad --${flag} "${given}": ${existing} is not writable`);
  });
}

/**
 * Runs and reports; returns the exit code: 0, or 1 when `failOnDeviation` and any result deviates, is
 * unfired or an error (`n/a` is neither: a client that is not installed does not fail a run). When
 * `signal` aborts (an interrupt): the runs that finished are written, marked incomplete, one line
 * says so, and the exit code is 130 (SIGINT) or 143 (SIGTERM).
 */
export async function runCommand(cmd: RunCommand): Promise<number> {
  const outputs = [['json', cmd.json], ['junit', cmd.junit], ['html', cmd.html]] as const;
  for (const [flag, file] of outputs) if (file) await writable(flag, file);
  if (cmd.transcripts) await writableDir(cmd.transcripts);
  const scenarios = cmd.suites.flatMap((s) => s.scenarios);
  const console = createConsoleReporter(cmd.out, { color: cmd.color, live: cmd.live });
  let total = 0;
  const results = await runScenarios(scenarios, cmd.clients, {
    concurrency: cmd.concurrency,
    servers: cmd.servers,
    ...(cmd.signal ? { signal: cmd.signal } : {}),
    onStart: (n) => {
      total = n;
      console.start(n);
    },
    onResult: (result) => console.result(result),
  });
  const interrupted = interruptedBy(cmd.signal);
  const incomplete = interrupted ? { reason: `interrupted by ${interrupted}`, total } : undefined;
  if (!interrupted) console.end(results);
  if (cmd.json) await writeJsonReport(cmd.json, results, cmd.version, incomplete);
  if (cmd.junit) await writeJunitReport(cmd.junit, results, incomplete);
  if (cmd.html) await writeHtml(cmd.html, results, { version: cmd.version, generatedAt: new Date() });
  if (cmd.transcripts) await writeTranscripts(cmd.transcripts, results);
  if (interrupted) {
    // Everything the run started was stopped and removed by the finally blocks that own it.
    const written = cmd.json || cmd.junit || cmd.html || cmd.transcripts ? 'written' : 'finished';
    const line = interruptLine(interrupted, `${results.length} of ${total} results ${written}; cleaned up`);
    (cmd.err ?? cmd.out).write(cmd.live ? `\n${line}` : line);
    return EXIT_CODES[interrupted];
  }
  for (const [flag, file] of [['json', cmd.json], ['junit', cmd.junit], ['html', cmd.html], ['transcripts', cmd.transcripts]] as const) {
    if (file) cmd.out.write(`${flag} written to ${file}\n`);
  }
  const summary = summarize(results);
  return cmd.failOnDeviation && summary.conformant + summary.na < summary.total ? 1 : 0;
}
