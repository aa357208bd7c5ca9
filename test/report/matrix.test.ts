import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Result } from '../../src/engine/types.js';
import { createConsoleReporter } from '../../src/report/console.js';
import { buildMatrix } from '../../src/report/matrix.js';
import { located } from '../helpers/located.js';

function result(scenario: string, client: string, over: Partial<Result> = {}): Result {
  return located({
    id: `${scenario}/${client}`,
    suite: 'smtp/resets',
    protocol: 'smtp',
    client,
    server: 'mock-smtp',
    title: 't',
    fault: null,
    faultFired: true,
    outcome: { kind: 'reset', phase: 'rcpt', bytesSent: 0 },
    sink: null,
    expected: 'fails',
    verdict: 'conformant',
    reason: 'r',
    durationMs: 1,
    transcript: [],
    ...over,
  });
}

const results = [
  result('smtp/resets/a', 'curl'),
  result('smtp/resets/a', 'swaks', { outcome: { kind: 'delivered', phase: 'dot', bytesSent: 9 }, verdict: 'deviates' }),
  result('smtp/resets/b', 'curl', { outcome: null, verdict: 'n/a', reason: 'curl not found: apt-get install curl' }),
];

describe('client x scenario matrix', () => {
  it('has a row per scenario and a cell per client', () => {
    expect(buildMatrix(results)).toEqual({
      clients: ['curl', 'swaks'],
      rows: [
        { scenario: 'smtp/resets/a', cells: { curl: { outcome: 'reset@rcpt', verdict: 'conformant' }, swaks: { outcome: 'delivered', verdict: 'deviates' } } },
        { scenario: 'smtp/resets/b', cells: { curl: { outcome: 'n/a', verdict: 'n/a' } } },
      ],
    });
  });

  it("marks a connection the client closed itself, as the server's FIN reads the same otherwise", () => {
    const left = result('smtp/resets/a', 'mine', { outcome: { kind: 'closed', phase: 'ehlo', byClient: true, bytesSent: 0 } });
    const fin = result('smtp/resets/a', 'curl', { outcome: { kind: 'closed', phase: 'ehlo', bytesSent: 0 } });
    expect(buildMatrix([left, fin]).rows[0]?.cells).toEqual({
      mine: { outcome: 'closed@ehlo by the client', verdict: 'conformant' },
      curl: { outcome: 'closed@ehlo', verdict: 'conformant' },
    });
  });

  it('is what the console draws when a run has several clients, n/a counted apart', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    createConsoleReporter(out, { color: false, live: false }).end(results);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^scenario\s+curl\s+swaks$/);
    expect(lines[1]).toMatch(/^smtp\/resets\/a\s+reset@rcpt ok\s+delivered DEV$/);
    expect(lines[2]).toMatch(/^smtp\/resets\/b\s+n\/a$/);
    expect(text).toContain('- n/a x1: curl not found: apt-get install curl');
    expect(text).toContain('3 scenarios: 1 conformant, 1 deviate, 0 unfired, 0 errors, 1 n/a');
  });
});
