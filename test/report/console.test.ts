import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Outcome, Result, Verdict } from '../../src/engine/types.js';
import { createConsoleReporter, formatOutcome, type ConsoleOptions } from '../../src/report/console.js';
import { located } from '../helpers/located.js';

/** A result for scenario `name` with the given outcome and verdict. */
function result(name: string, outcome: Outcome | null, verdict: Verdict, reason = `${name} went wrong`): Result {
  return located({
    id: `smtp/resets/${name}/nodemailer`,
    suite: 'smtp/resets',
    protocol: 'smtp',
    client: 'nodemailer',
    server: 'mock',
    title: name,
    fault: null,
    faultFired: true,
    outcome,
    sink: null,
    expected: 'fails',
    verdict,
    reason,
    durationMs: 1,
    transcript: [],
  });
}

const results = [
  result('reset-after-rcpt', { kind: 'reset', phase: 'rcpt', bytesSent: 0 }, 'conformant'),
  result('reply-552', { kind: 'reply', phase: 'body', code: 552, bytesSent: 10 }, 'deviates', 'client retried'),
  result('baseline', { kind: 'delivered', phase: 'dot', bytesSent: 100 }, 'unfired', 'fault never fired'),
  result('stall-body', { kind: 'hung', phase: 'body', bytesSent: 5 }, 'error', 'runner killed it'),
];

/** Runs a reporter over `results` and returns everything it wrote. */
function run(options: ConsoleOptions): string {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  const reporter = createConsoleReporter(out, options);
  reporter.start(results.length);
  for (const r of results) reporter.result(r);
  reporter.end(results);
  out.end();
  return chunks.join('');
}

describe('formatOutcome', () => {
  it.each([
    [{ kind: 'reset', phase: 'rcpt', bytesSent: 0 }, 'reset@rcpt'],
    [{ kind: 'reply', phase: 'body', code: 552, bytesSent: 0 }, 'reply 552@body'],
    [{ kind: 'delivered', phase: 'dot', bytesSent: 0 }, 'delivered'],
    [{ kind: 'hung', phase: 'body', bytesSent: 0 }, 'hung@body'],
    [{ kind: 'closed', phase: 'greeting', bytesSent: 0 }, 'closed@greeting'],
    [{ kind: 'closed', phase: 'greeting', byClient: true, bytesSent: 0 }, 'closed@greeting by the client'],
    [null, '-'],
  ] as const)('formats %j as %s', (outcome, text) => {
    expect(formatOutcome(outcome)).toBe(text);
  });
});

describe('createConsoleReporter', () => {
  it('prints an aligned table, one line per non-conformant result and the summary, plain when not colour', () => {
    const text = run({ color: false, live: false });
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('\r');
    const lines = text.split('\n');
    for (const [i, r] of results.entries()) {
      expect(lines[i]).toContain(r.id);
      expect(lines[i]).toContain(formatOutcome(r.outcome));
      expect(lines[i]?.endsWith(r.verdict)).toBe(true);
    }
    const outcomeColumns = results.map((r, i) => lines[i]?.indexOf(`  ${formatOutcome(r.outcome)}`));
    const verdictColumns = results.map((r, i) => lines[i]?.lastIndexOf(`  ${r.verdict}`));
    expect(new Set(outcomeColumns).size).toBe(1);
    expect(new Set(verdictColumns).size).toBe(1);
    expect(text).toContain('x smtp/resets/reply-552/nodemailer: client retried\n');
    expect(text).toContain('x smtp/resets/baseline/nodemailer: fault never fired\n');
    expect(text).toContain('x smtp/resets/stall-body/nodemailer: runner killed it\n');
    expect(text).not.toContain('x smtp/resets/reset-after-rcpt');
    expect(text.endsWith('4 scenarios: 1 conformant, 1 deviate, 1 unfired, 1 errors\n')).toBe(true);
  });

  it('prints nothing per result when not live', () => {
    const out = new PassThrough();
    const reporter = createConsoleReporter(out, { color: true, live: false });
    reporter.start(1);
    reporter.result(results[0]!);
    expect(out.read()).toBeNull();
  });

  it('rewrites one progress line in place when live and colours the verdicts', () => {
    const text = run({ color: true, live: true });
    expect(text).toContain('\r\u001b[2K[1/4] smtp/resets/reset-after-rcpt/nodemailer  \u001b[32mconformant\u001b[0m');
    expect(text).toContain('\r\u001b[2K[2/4] smtp/resets/reply-552/nodemailer  \u001b[31mdeviates\u001b[0m');
    expect(text).toContain('\u001b[33munfired\u001b[0m');
    expect(text).toContain('\u001b[31m✗\u001b[0m smtp/resets/stall-body/nodemailer: runner killed it');
    expect(text.split('\n')).toHaveLength(results.length + 7);
  });

  it('pads over the previous progress line instead of escape codes when live without colour', () => {
    const text = run({ color: false, live: true });
    expect(text).not.toContain('\u001b');
    const first = '[1/4] smtp/resets/reset-after-rcpt/nodemailer  conformant';
    const second = '[2/4] smtp/resets/reply-552/nodemailer  deviates';
    expect(text).toContain(`\r${first}\r${second}${' '.repeat(first.length - second.length)}\r[3/4]`);
    expect(text).toContain('\n4 scenarios: 1 conformant, 1 deviate, 1 unfired, 1 errors\n');
  });

  it('cuts the id from the left so the progress line fits a narrow terminal', () => {
    const out = Object.assign(new PassThrough(), { columns: 40 });
    const reporter = createConsoleReporter(out, { color: false, live: true });
    reporter.start(4);
    reporter.result(results[0]!);
    const line = String(out.read()).slice(1);
    expect(line).toBe('[1/4] ...er-rcpt/nodemailer  conformant');
    expect(line.length).toBeLessThan(40);
  });
});

describe('n/a results and hostile reasons', () => {
  const reasonNa = 'basic-ftp has no active mode';
  const mixed = [
    ...['a', 'b', 'c'].map((n) => result(`na-${n}`, null, 'n/a', reasonNa)),
    result('na-d', null, 'n/a', 'postfix is not installed'),
    result('evil', { kind: 'reply', phase: 'body', code: 552, bytesSent: 1 }, 'deviates', 'server said \u001b[2J\u001b]0;owned\u0007 then\nforged line'),
  ];
  const render = (verbose: boolean): string => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
    const reporter = createConsoleReporter(out, { color: false, live: false, verbose });
    reporter.start(mixed.length);
    reporter.end(mixed);
    return chunks.join('');
  };

  it('prints one line per n/a reason with its count; every n/a with verbose', () => {
    const text = render(false);
    expect(text).toContain(`- n/a x3: ${reasonNa}\n`);
    expect(text).toContain('- n/a x1: postfix is not installed\n');
    expect(text).not.toContain('- smtp/resets/na-a/nodemailer');
    const verbose = render(true);
    for (const n of ['a', 'b', 'c']) expect(verbose).toContain(`- smtp/resets/na-${n}/nodemailer: ${reasonNa}\n`);
    expect(verbose).not.toContain('n/a x3');
  });

  it('escapes control characters in a reason: no escape sequence, no forged line', () => {
    const text = render(false);
    expect(text).not.toContain('\u001b');
    expect(text).toContain(`${String.raw`x smtp/resets/evil/nodemailer: server said \x1b[2J\x1b]0;owned\x07 then\nforged line`}\n`);
  });
});
