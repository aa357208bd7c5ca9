/**
 * A probe's reports: the console (findings grouped by status, worst first), JSON (the ProbeReport as
 * is: the contract users' CI reads) and JUnit XML (one testcase per finding).
 *
 * JUnit mapping: fail → <failure>; skip → <skipped>; pass → a passed testcase; warn → a passed testcase
 * with the advice in <system-out> prefixed `WARN:`, unless the run uses `--fail-on warn`, where it is a
 * <failure> too, so the dashboard agrees with the exit code. Transcripts go to <system-out>.
 */
import { writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import jrb, { type Builder } from 'junit-report-builder';
import { capped } from '../util/terminal.js';
import { SEVERITY } from './run.js';
import type { Finding, FindingStatus, ProbeReport } from './types.js';
import { makeDirs } from '../util/dirs.js';

const ORDER: readonly FindingStatus[] = ['fail', 'warn', 'pass', 'skip'];
const LABEL: Readonly<Record<FindingStatus, string>> = { fail: 'FAIL', warn: 'WARN', pass: 'PASS', skip: 'SKIP' };
const COLOUR: Readonly<Record<FindingStatus, string>> = { fail: '\x1b[31m', warn: '\x1b[33m', pass: '\x1b[32m', skip: '\x1b[90m' };

/** The console report: a title, then a block per status (fail, warn, pass, skip), then the summary line. */
export function formatProbeReport(report: ProbeReport, options: { readonly color?: boolean } = {}): string {
  const paint = (status: FindingStatus, text: string): string => (options.color ? `${COLOUR[status]}${text}\x1b[0m` : text);
  const lines = [`wireprobe probe ${report.target} (${report.protocol})`, ''];
  for (const status of ORDER) {
    const members = report.findings.filter((f) => f.status === status);
    if (members.length === 0) continue;
    lines.push(paint(status, `${LABEL[status]} (${members.length})`));
    for (const f of members) {
      // Values and advice quote the server: escaped and cut (src/util/terminal.ts) before a terminal sees them.
      const value = f.value === undefined || f.value === '' ? '' : ` = ${capped([String(f.value)], { maxLineChars: 200 })[0]}`;
      lines.push(`  ${paint(status, LABEL[status])} ${f.id}${value}`);
      for (const line of capped(f.advice.split('\n'), { maxLines: 20, maxLineChars: 2000 })) lines.push(`       ${line}`);
      lines.push(`       [${f.rfc}]`);
    }
    lines.push('');
  }
  const s = report.summary;
  lines.push(`${report.findings.length} findings: ${s.fail} fail, ${s.warn} warn, ${s.pass} pass, ${s.skip} skip`);
  return `${lines.join('\n')}\n`;
}

/** Findings sorted worst first, stable within a status. */
export function worstFirst(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => SEVERITY[b.status] - SEVERITY[a.status]);
}

/** The JSON report: the ProbeReport with keys in the documented order (tool, target, protocol, findings, summary). */
export function toProbeJson(report: ProbeReport): object {
  return {
    tool: report.tool,
    target: report.target,
    protocol: report.protocol,
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
  await makeDirs(dirname(file));
  await writeFile(file, `${JSON.stringify(toProbeJson(report), null, 2)}\n`, 'utf8');
}

/** Writes the JUnit report (see the mapping above); `failOn` is the run's --fail-on, if any. */
export async function writeProbeJunit(file: string, report: ProbeReport, failOn?: 'fail' | 'warn'): Promise<void> {
  const builder = rootBuilder().newBuilder().name('wireprobe');
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
    if (out.length > 0) testCase.standardOutput(out.join('\n'));
  }
  await makeDirs(dirname(file));
  await writeFile(file, builder.build(), 'utf8');
}

/** junit-report-builder is CommonJS; accept either shape of its default export (as src/report/junit.ts). */
function rootBuilder(): Builder {
  const m = jrb as unknown as Builder | { readonly default: Builder };
  return 'newBuilder' in m ? m : m.default;
}
