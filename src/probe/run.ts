/**
 * Runs a probe: the check groups of the target's protocol, one after another (never in parallel: the
 * server sees at most one probe session at a time, except inside the session-limit ramp), and builds
 * the ProbeReport.
 *
 *   target ─► reachTarget (one line and exit 2 if dead) ─► group 1 (session) ─► usable? ─► groups 2..n
 *                                                                   └─ no: the rest are `skip`
 */
import { isIP } from 'node:net';
import { aborted } from '../util/interrupt.js';
import { PROBE_CHECKS, type ProtocolChecks } from './registry.js';
import { describeTarget, reachTarget } from './target.js';
import type { Finding, FindingStatus, ProbeLimits, ProbeReport, ProbeTarget } from './types.js';

/** Worst first: the order of the console report and of `--fail-on`. */
export const SEVERITY: Readonly<Record<FindingStatus, number>> = { fail: 3, warn: 2, pass: 1, skip: 0 };

export interface RunProbeOptions {
  /** Called with each group's findings as they come (console progress); default none. */
  readonly onFindings?: (findings: readonly Finding[]) => void;
  /** The checks to run; default the registry's for the target's protocol (tests pass their own). */
  readonly checks?: ProtocolChecks;
  /** Aborted by an interrupt: no further group starts, the running one cleans up (see ProbeContext). */
  readonly signal?: AbortSignal;
  /** See ProbeContext.onLeftBehind. */
  readonly onLeftBehind?: (path: string, why: string) => void;
}

/** Counts per status. */
export function summarize(findings: readonly Finding[]): ProbeReport['summary'] {
  const summary = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const f of findings) summary[f.status]++;
  return summary;
}

/**
 * Probes `target` within `limits`. Throws TargetError (one line) when the host does not resolve or the
 * port cannot be reached; anything the server does after that is a finding. A group that throws (our
 * bug) becomes a `fail` finding `<protocol>.internal` rather than ending the run. Once
 * `options.signal` aborts, no further group starts and the running one is abandoned unless it cleans
 * up (ProtocolChecks.cleansUp): the report holds the groups that ran.
 */
export async function runProbe(target: ProbeTarget, limits: ProbeLimits, options: RunProbeOptions = {}): Promise<ProbeReport> {
  const address = await reachTarget(target, limits.replyTimeoutMs);
  const checks = options.checks ?? PROBE_CHECKS[target.protocol];
  const findings: Finding[] = [];
  const context = { ...(options.signal ? { signal: options.signal } : {}), ...(options.onLeftBehind ? { onLeftBehind: options.onLeftBehind } : {}) };
  // One abort listener for the whole run: one per group would pass Node's limit of 10 and warn on stderr.
  const stopped = options.signal ? aborted(options.signal).then((): Finding[] => []) : undefined;
  for (const [i, group] of checks.groups.entries()) {
    if (options.signal?.aborted) break;
    let found: Finding[];
    try {
      const running = group(target, limits, { ...context, earlier: [...findings] });
      // A group that cleans up is awaited to its end; any other is abandoned once the signal aborts.
      found = await (stopped && !checks.cleansUp?.includes(group) ? Promise.race([running, stopped]) : running);
    } catch (error) {
      found = [
        {
          id: `${target.protocol}.internal`,
          status: 'fail',
          rfc: '-',
          sent: [],
          received: [String((error as Error)?.stack ?? error).split('\n')[0]!],
          advice: `wireprobe's own error in check group ${i + 1}: please report it.`,
        },
      ];
    }
    findings.push(...found);
    options.onFindings?.(found);
    if (i === 0 && checks.usable && !checks.usable(findings)) {
      const seen = new Set(findings.map((f) => f.id));
      const failed = findings.find((f) => f.status === 'fail')?.id;
      const rest: Finding[] = (checks.ids ?? [])
        .filter((f) => !seen.has(f.id))
        .map((f) => ({
          id: f.id,
          status: 'skip',
          rfc: f.rfc,
          sent: [],
          received: [],
          advice: `Not checked: the server gave no usable session (see ${failed ?? 'the greeting finding'}).`,
        }));
      findings.push(...rest);
      options.onFindings?.(rest);
      break;
    }
  }
  const family = isIP(address) === 6 ? 6 : 4;
  return { tool: 'wireprobe', target: describeTarget(target), protocol: target.protocol, address, family, findings, summary: summarize(findings) };
}

/** Whether a report holds a finding at or above `level` (`--fail-on`). */
export function failsOn(report: ProbeReport, level: 'fail' | 'warn'): boolean {
  return report.findings.some((f) => SEVERITY[f.status] >= SEVERITY[level]);
}
