/** `wireprobe probe URL`: probes a live server and writes the reports asked for. */
import { formatProbeReport } from '../probe/report.js';
import { writeProbeJson, writeProbeJunit } from '../report/probe.js';
import { failsOn, runProbe } from '../probe/run.js';
import { visible } from '../util/terminal.js';
import type { ProbeLimits, ProbeTarget } from '../probe/types.js';
import { checkOutput, writeReports, type ReportJob } from './output.js';
import { maskReport, secretsOf } from '../probe/scrub.js';
import { EXIT_CODES, interruptedBy, interruptLine } from '../util/interrupt.js';

export interface ProbeCommand {
  readonly target: ProbeTarget;
  readonly limits: ProbeLimits;
  readonly json?: string;
  readonly junit?: string;
  /** Exit 1 when a finding is at or above this status; default none (exit 0 whatever was found). */
  readonly failOn?: 'fail' | 'warn';
  readonly out: NodeJS.WritableStream;
  /** Where a report that could not be written, and an interrupt, are named; default `out`. */
  readonly err?: NodeJS.WritableStream;
  /** ANSI colours. */
  readonly color: boolean;
  /** Aborted by Ctrl-C or SIGTERM (src/util/interrupt.ts); default: never. */
  readonly signal?: AbortSignal;
}

/**
 * Runs the probe, prints the console report, writes JSON/JUnit; returns the exit code (0, or 1 with
 * --fail-on; 2 when a report could not be written). Interrupted (`signal`): the running check deletes
 * the probe's file, one line says whether that worked (naming the file left on the server if not), no
 * report, exit 130 or 143.
 */
export async function probeCommand(cmd: ProbeCommand): Promise<number> {
  if (cmd.json) await checkOutput('json', cmd.json, 'file');
  if (cmd.junit) await checkOutput('junit', cmd.junit, 'file');
  const left: string[] = [];
  const raw = await runProbe(cmd.target, cmd.limits, {
    ...(cmd.signal ? { signal: cmd.signal } : {}),
    onLeftBehind: (path, why) => left.push(`${path} (${why})`),
  });
  const interrupted = interruptedBy(cmd.signal);
  if (interrupted) {
    const what = left.length > 0 ? `the probe's file was left on the server: ${visible(left.join(', '))}; remove it by hand` : 'nothing left on the server';
    (cmd.err ?? cmd.out).write(interruptLine(interrupted, `probe stopped; ${what}`));
    return EXIT_CODES[interrupted];
  }
  // A server may echo the password (`530 Login incorrect for password ...`): masked in every output.
  const report = maskReport(raw, secretsOf(cmd.target));
  cmd.out.write(formatProbeReport(report, { color: cmd.color }));
  const jobs: ReportJob[] = [];
  if (cmd.json) jobs.push({ flag: 'json', path: cmd.json, write: () => writeProbeJson(cmd.json!, report) });
  if (cmd.junit) jobs.push({ flag: 'junit', path: cmd.junit, write: () => writeProbeJunit(cmd.junit!, report, cmd.failOn) });
  if (!(await writeReports(jobs, cmd.out, cmd.err ?? cmd.out))) return 2;
  return cmd.failOn && failsOn(report, cmd.failOn) ? 1 : 0;
}
