import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Result } from '../../src/engine/types.js';
import { toJsonReport, writeJsonReport } from '../../src/report/json.js';
import { located } from '../helpers/located.js';

/** A deviating reset result; `over` replaces fields. */
function result(over: Partial<Result> = {}): Result {
  return located({
    id: 'smtp/resets/reset-after-rcpt/nodemailer',
    suite: 'smtp/resets',
    protocol: 'smtp',
    client: 'nodemailer',
    server: 'mock',
    title: 'reset after RCPT',
    fault: { kind: 'reset', at: { after: 'RCPT' } },
    faultFired: true,
    outcome: { kind: 'reset', phase: 'rcpt', bytesSent: 0, detail: 'ESOCKET ECONNRESET' },
    sink: { copies: 0, intact: true },
    expected: 'fails',
    verdict: 'conformant',
    reason: 'the client reported a failure',
    durationMs: 42,
    transcript: ['0.000 S: 220 ready', '0.010 C: EHLO x'],
    ...over,
  });
}

const reply = result({
  id: 'smtp/replies/552-at-dot/nodemailer',
  suite: 'smtp/replies',
  fault: { kind: 'reply', at: { before: 'dot' }, code: 552, then: 'close' },
  outcome: { kind: 'reply', phase: 'dot', code: 552, bytesSent: 1024 },
  sink: null,
  verdict: 'deviates',
  reason: 'the client reported success',
});

describe('toJsonReport', () => {
  it('says when the client closed the connection itself, and only then', () => {
    const own = result({ outcome: { kind: 'closed', phase: 'greeting', byClient: true, bytesSent: 0, detail: 'exit 1' } });
    const [mine, theirs] = toJsonReport([own, result()], '1.2.3').results;
    expect(mine?.outcome).toEqual({ kind: 'closed', phase: 'greeting', byClient: true, bytesSent: 0, detail: 'exit 1' });
    expect(theirs?.outcome).not.toHaveProperty('byClient');
  });

  it('matches the contract for a reset result and a reply result, code only for the reply', () => {
    const text = JSON.stringify(toJsonReport([result(), reply], '1.2.3'));
    const expected = {
      tool: 'wireprobe',
      version: '1.2.3',
      results: [
        {
          id: 'smtp/resets/reset-after-rcpt/nodemailer',
          suite: 'smtp/resets',
          protocol: 'smtp',
          client: 'nodemailer',
          server: 'mock',
          fault: { kind: 'reset', at: { after: 'RCPT' } },
          faultFired: true,
          outcome: { kind: 'reset', phase: 'rcpt', bytesSent: 0, detail: 'ESOCKET ECONNRESET' },
          sink: { copies: 0, intact: true },
          expected: 'fails',
          verdict: 'conformant',
          reason: 'the client reported a failure',
          durationMs: 42,
        },
        {
          id: 'smtp/replies/552-at-dot/nodemailer',
          suite: 'smtp/replies',
          protocol: 'smtp',
          client: 'nodemailer',
          server: 'mock',
          fault: { kind: 'reply', at: { before: 'dot' }, code: 552, then: 'close' },
          faultFired: true,
          outcome: { kind: 'reply', phase: 'dot', code: 552, bytesSent: 1024 },
          sink: null,
          expected: 'fails',
          verdict: 'deviates',
          reason: 'the client reported success',
          durationMs: 42,
        },
      ],
      summary: { total: 2, conformant: 1, deviates: 1, unfired: 0, error: 0, na: 0 },
      matrix: {
        clients: ['nodemailer'],
        rows: [
          { scenario: 'smtp/resets/reset-after-rcpt', cells: { nodemailer: { outcome: 'reset@rcpt', verdict: 'conformant' } } },
          { scenario: 'smtp/replies/552-at-dot', cells: { nodemailer: { outcome: 'reply 552@dot', verdict: 'deviates' } } },
        ],
      },
    };
    // Compared as text so key order is checked too.
    expect(text).toBe(JSON.stringify(expected));
  });

  it('leaves out the code of a non-reply outcome even when one is set, and writes null outcomes', () => {
    const report = toJsonReport([result({ outcome: { kind: 'closed', phase: 'data', code: 250, bytesSent: 3 } }), result({ outcome: null })], '0.0.0');
    expect(report.results[0]?.outcome).toEqual({ kind: 'closed', phase: 'data', bytesSent: 3 });
    expect(report.results[1]?.outcome).toBeNull();
    expect(JSON.stringify(report)).not.toContain('transcript');
  });
});

describe('toJsonReport of an interrupted run', () => {
  it('says incomplete, why, and how many runs were planned, before the results', () => {
    const report = toJsonReport([result()], '1.2.3', { reason: 'interrupted by SIGTERM', total: 40 });
    expect(report).toMatchObject({ incomplete: true, reason: 'interrupted by SIGTERM', planned: 40 });
    expect(Object.keys(report)).toEqual(['tool', 'version', 'incomplete', 'reason', 'planned', 'results', 'summary', 'matrix']);
    expect(report.summary.total).toBe(1);
  });

  it('has none of these keys when the run was not interrupted', () => {
    expect(Object.keys(toJsonReport([result()], '1.2.3'))).toEqual(['tool', 'version', 'results', 'summary', 'matrix']);
  });
});

describe('writeJsonReport', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wireprobe-json-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates parent folders and writes pretty JSON with a trailing newline', async () => {
    const file = join(dir, 'a', 'b', 'report.json');
    await writeJsonReport(file, [result(), reply], '1.2.3');
    const text = await readFile(file, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "tool": "wireprobe",\n');
    expect(JSON.parse(text)).toEqual(toJsonReport([result(), reply], '1.2.3'));
  });
});
