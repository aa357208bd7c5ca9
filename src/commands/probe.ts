/** `wireprobe probe URL`: probes a live server and writes the reports asked for. */
import { formatProbeReport, writeProbeJson, writeProbeJunit } from '../probe/report.js';
import { failsOn, runProbe } from '../probe/run.js';
import type { ProbeLimits, ProbeTarget } from '../probe/types.js';
import { checkOutput, writeReports, type ReportJob } from './output.js';
import { maskReport, secretsOf } from '../probe/scrub.js';

export interface ProbeCommand {
  readonly target: ProbeTarget;
  readonly limits: ProbeLimits;
  readonly json?: string;
  readonly junit?: string;
  /** Exit 1 when a finding is at or above this status; default none (exit 0 whatever was found). */
  readonly failOn?: 'fail' | 'warn';
  readonly out: NodeJS.WritableStream;
  /** Where a report that could not be written is named; default `out`. */
  readonly err?: NodeJS.WritableStream;
  /** ANSI colours. */
  readonly color: boolean;
}

/** Runs the probe, prints the console report, writes JSON/JUnit; returns the exit code (0, or 1 with --fail-on). */
export async function probeCommand(cmd: ProbeCommand): Promise<number> {
  if (cmd.json) await checkOutput('json', cmd.json, 'file');
  if (cmd.junit) await checkOutput('junit', cmd.junit, 'file');
  // A server may echo the password (`530 Login incorrect for password ...`): masked in every output.
  const report = maskReport(await runProbe(cmd.target, cmd.limits), secretsOf(cmd.target));
  cmd.out.write(formatProbeReport(report, { color: cmd.color }));
  const jobs: ReportJob[] = [];
  if (cmd.json) jobs.push({ flag: 'json', path: cmd.json, write: () => writeProbeJson(cmd.json!, report) });
  if (cmd.junit) jobs.push({ flag: 'junit', path: cmd.junit, write: () => writeProbeJunit(cmd.junit!, report, cmd.failOn) });
  if (!(await writeReports(jobs, cmd.out, cmd.err ?? cmd.out))) return 2;
  return cmd.failOn && failsOn(report, cmd.failOn) ? 1 : 0;
}
