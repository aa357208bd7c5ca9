/**
 * A probe's console report: findings grouped by status, worst first. Its JSON and JUnit reports are
 * written beside run's, in src/report/probe.ts.
 */
import { capped } from '../util/terminal.js';
import { SEVERITY } from './run.js';
import type { Finding, FindingStatus, ProbeReport } from './types.js';

const ORDER: readonly FindingStatus[] = ['fail', 'warn', 'pass', 'skip'];
const LABEL: Readonly<Record<FindingStatus, string>> = { fail: 'FAIL', warn: 'WARN', pass: 'PASS', skip: 'SKIP' };
const COLOUR: Readonly<Record<FindingStatus, string>> = { fail: '\x1b[31m', warn: '\x1b[33m', pass: '\x1b[32m', skip: '\x1b[90m' };

/** The console report: a title (with the address probed and its family), then a block per status (fail, warn, pass, skip), then the summary line. */
export function formatProbeReport(report: ProbeReport, options: { readonly color?: boolean } = {}): string {
  const paint = (status: FindingStatus, text: string): string => (options.color ? `${COLOUR[status]}${text}\x1b[0m` : text);
  const lines = [`wireprobe probe ${report.target} (${report.protocol}, IPv${report.family} ${report.address})`, ''];
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
