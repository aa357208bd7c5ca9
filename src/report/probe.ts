/**
 * A probe's JSON and JUnit reports, written as run's are (./file.ts, ./junit.ts). JSON: the ProbeReport
 * as is, the contract users' CI reads. JUnit XML: one testcase per finding.
 *
 * JUnit mapping: fail → <failure>; skip → <skipped>; pass → a passed testcase; warn → a passed testcase
 * with the advice in <system-out> prefixed `WARN:`, unless the run uses `--fail-on warn`, where it is a
 * <failure> too, so the dashboard agrees with the exit code. Transcripts go to <system-out>.
 */
import type { ProbeReport } from '../probe/types.js';
import { writeJsonFile, writeReportFile } from './file.js';
import { cdataText, junitBuilder } from './junit.js';

/** The JSON report: the ProbeReport with keys in the documented order (tool, target, protocol, address, family, findings, summary). */
export function toProbeJson(report: ProbeReport): object {
  return {
    tool: report.tool,
    target: report.target,
    protocol: report.protocol,
    address: report.address,
    family: report.family,
    findings: report.findings.map((f) => ({
      id: f.id,
      status: f.status,
      ...(f.value !== undefined ? { value: f.value } : {}),
      rfc: f.rfc,
      sent: f.sent,
      received: f.received,
      advice: f.advice,
    })),
    summary: { pass: report.summary.pass, warn: report.summary.warn, fail: report.summary.fail, skip: report.summary.skip },
  };
}

/** Writes the JSON report, pretty-printed with a trailing newline, creating parent folders. */
export async function writeProbeJson(file: string, report: ProbeReport): Promise<void> {
  await writeJsonFile(file, toProbeJson(report));
}

/** Writes the JUnit report (see the mapping above); `failOn` is the run's --fail-on, if any. */
export async function writeProbeJunit(file: string, report: ProbeReport, failOn?: 'fail' | 'warn'): Promise<void> {
  const builder = junitBuilder();
  const suite = builder.testSuite().name(`probe ${report.target}`);
  for (const f of report.findings) {
    const testCase = suite.testCase().className(`wireprobe.probe.${report.protocol}`).name(f.id).property('rfc', f.rfc).property('status', f.status);
    if (f.value !== undefined) testCase.property('value', String(f.value));
    const message = `${f.advice} [${f.rfc}]`;
    if (f.status === 'fail' || (f.status === 'warn' && failOn === 'warn')) testCase.failure(message, f.status);
    else if (f.status === 'skip') testCase.skipped();
    const out = [
      ...(f.status === 'warn' ? [`WARN: ${message}`] : f.status === 'pass' || f.status === 'skip' ? [message] : []),
      ...f.sent.map((l) => `C: ${l}`),
      ...f.received.map((l) => `S: ${l}`),
    ];
    if (out.length > 0) testCase.standardOutput(cdataText(out.join('\n')));
  }
  await writeReportFile(file, builder.build());
}
