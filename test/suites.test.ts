/**
 * Every built-in suite, run for real with every client (the process clients are installed by
 * scripts/test): each scenario's exact outcome (kind and phase) and verdict, as test/suites/*.expect.ts
 * says. A scenario added to suites/ without an expectation there fails.
 */
import { describe, expect, it } from 'vitest';
import { CLIENTS } from '../src/clients/index.js';
import { runScenarios } from '../src/engine/run.js';
import { EXPECTATIONS } from './suites/index.js';
import { SUITES } from '../suites/index.js';

describe.each(SUITES.map((s) => [s.name, s] as const))('suite %s', (name, suite) => {
  const expected = EXPECTATIONS[name] ?? (() => undefined);

  it('has an expectation for every scenario and client', () => {
    const missing = suite.scenarios.flatMap((s) => CLIENTS.filter((c) => !expected(s.id, c.name)).map((c) => `${s.id}/${c.name}`));
    expect(missing).toEqual([]);
  });

  it.each(CLIENTS.filter((c) => c.protocol === suite.protocol).map((c) => [c.name, c] as const))(
    'gives the exact outcome of every scenario with %s',
    async (_client, client) => {
      const results = await runScenarios(suite.scenarios, [client], { concurrency: 4 });
      const got = Object.fromEntries(results.map((r) => [r.id, [r.outcome?.kind, r.outcome?.phase, r.verdict]]));
      const want = Object.fromEntries(suite.scenarios.map((s) => [`${s.id}/${client.name}`, expected(s.id, client.name)]));
      expect(got).toEqual(want);
      for (const r of results.filter((r) => r.fault?.at !== undefined && r.verdict === 'conformant')) expect(r.faultFired).toBe(true);
      const postDot = results.filter((r) => r.id.includes('-after-dot/'));
      expect(postDot.map((r) => r.sink)).toEqual(postDot.map(() => ({ copies: 1, intact: true })));
      expect(postDot.every((r) => /deliver it twice/.test(r.reason))).toBe(true);
      const delivered = results.filter((r) => r.outcome?.kind === 'delivered' && !r.messages);
      expect(delivered.map((r) => r.sink)).toEqual(delivered.map(() => ({ copies: 1, intact: true })));
    },
  );
});
