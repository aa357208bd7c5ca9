/** `wireprobe probe URL`: probes a live server and writes the reports asked for. */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { formatProbeReport, writeProbeJson, writeProbeJunit } from '../probe/report.js';
import { failsOn, runProbe } from '../probe/run.js';
import { visible } from '../probe/raw.js';
import type { ProbeLimits, ProbeTarget } from '../probe/types.js';
import { UsageError } from './usage-error.js';
import { EXIT_CODES, interruptedBy, interruptLine } from '../util/interrupt.js';

export interface ProbeCommand {
  readonly target: ProbeTarget;
  readonly limits: ProbeLimits;
  readonly json?: string;
  readonly junit?: string;
  /** Exit 1 when a finding is at or above this status; default none (exit 0 whatever was found). */
  readonly failOn?: 'fail' | 'warn';
  readonly out: NodeJS.WritableStream;
  /** Where the interrupt's one line goes; default `out`. */
  readonly err?: NodeJS.WritableStream;
  /** ANSI colours. */
  readonly color: boolean;
  /** Aborted by Ctrl-C or SIGTERM (src/util/interrupt.ts); default: never. */
  readonly signal?: AbortSignal;
}

/** Fails before the probe, not after it, when a report file cannot be written. */
async function writable(flag: string, file: string): Promise<void> {
  const target = resolve(file);
  const info = await stat(target).catch(() => undefined);
  if (info?.isDirectory()) throw new UsageError(`bad --${flag} "${file}": it is a directory`);
  let existing = dirname(target);
  while (!(await stat(existing).catch(() => undefined))) existing = dirname(existing);
  if (!(await stat(existing)).isDirectory()) throw new UsageError(`bad --${flag} "${file}": ${existing} is not a directory`);
  await access(existing, constants.W_OK).catch(() => {
    throw new UsageError(`bad --${flag} "${file}": ${existing} is not writable`);
  });
}

/**
 * Runs the probe, prints the console report, writes JSON/JUnit; returns the exit code (0, or 1 with
 * --fail-on). Interrupted (`signal`): the running check deletes the probe's file, one line says
 * whether that worked (naming the file left on the server if not), no report, exit 130 or 143.
 */
export async function probeCommand(cmd: ProbeCommand): Promise<number> {
  if (cmd.json) await writable('json', cmd.json);
  if (cmd.junit) await writable('junit', cmd.junit);
  const left: string[] = [];
  const report = await runProbe(cmd.target, cmd.limits, {
    ...(cmd.signal ? { signal: cmd.signal } : {}),
    onLeftBehind: (path, why) => left.push(`${path} (${why})`),
  });
  const interrupted = interruptedBy(cmd.signal);
  if (interrupted) {
    const what = left.length > 0 ? `the probe's file was left on the server: ${visible(left.join(', '))}; remove it by hand` : 'nothing left on the server';
    (cmd.err ?? cmd.out).write(interruptLine(interrupted, `probe stopped; ${what}`));
    return EXIT_CODES[interrupted];
  }
  cmd.out.write(formatProbeReport(report, { color: cmd.color }));
  if (cmd.json) {
    await writeProbeJson(cmd.json, report);
    cmd.out.write(`json written to ${cmd.json}\n`);
  }
  if (cmd.junit) {
    await writeProbeJunit(cmd.junit, report, cmd.failOn);
    cmd.out.write(`junit written to ${cmd.junit}\n`);
  }
  return cmd.failOn && failsOn(report, cmd.failOn) ? 1 : 0;
}
