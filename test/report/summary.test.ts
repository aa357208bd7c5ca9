import { describe, expect, it } from 'vitest';
import type { Result, Verdict } from '../../src/engine/types.js';
import { summarize } from '../../src/report/summary.js';
import { located } from '../helpers/located.js';

/** A result with the given verdict and harmless defaults for everything else. */
function result(id: string, verdict: Verdict): Result {
  return located({
    id,
    suite: 'smtp/resets',
    protocol: 'smtp',
    client: 'nodemailer',
    server: 'mock',
    title: id,
    fault: null,
    faultFired: false,
    outcome: null,
    sink: null,
    expected: 'fails',
    verdict,
    reason: '',
    durationMs: 1,
    transcript: [],
  });
}

describe('summarize', () => {
  it('counts each verdict and the total', () => {
    const verdicts: Verdict[] = ['conformant', 'conformant', 'deviates', 'unfired', 'error', 'conformant', 'deviates'];
    const summary = summarize(verdicts.map((v, i) => result(`smtp/resets/s${i}/nodemailer`, v)));
    expect(summary).toEqual({ total: 7, conformant: 3, deviates: 2, unfired: 1, error: 1, na: 0 });
  });

  it('returns zeros for an empty run', () => {
    expect(summarize([])).toEqual({ total: 0, conformant: 0, deviates: 0, unfired: 0, error: 0, na: 0 });
  });
});
