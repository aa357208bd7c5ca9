/**
 * Every built-in suite, run for real with the in-process clients: each scenario's exact outcome
 * (kind and phase) and verdict. A scenario added to suites/ without an expectation here fails.
 */
import { describe, expect, it } from 'vitest';
import { CLIENTS } from '../src/clients/index.js';
import { runScenarios } from '../src/engine/run.js';
import type { OutcomeKind, Verdict } from '../src/engine/types.js';
import { SUITES } from '../suites/index.js';

type Want = readonly [kind: OutcomeKind, phase: string, verdict: Verdict];

/**
 * What nodemailer (plain and pooled) does. It pipelines MAIL, RCPT and DATA, so after the MAIL reply
 * it waits for RCPT's; it closes without QUIT, so faults waiting on QUIT never fire (a deviation).
 */
const NODEMAILER: Record<string, Want> = {
  'on-connect': ['reset', 'connect', 'conformant'],
  'after-greeting': ['reset', 'greeting', 'conformant'],
  'before-ehlo-reply': ['reset', 'ehlo', 'conformant'],
  'after-ehlo': ['reset', 'ehlo', 'conformant'],
  'after-mail': ['reset', 'rcpt', 'conformant'],
  'before-rcpt-reply': ['reset', 'mail', 'conformant'],
  'after-rcpt': ['reset', 'data', 'conformant'],
  'before-data-reply': ['reset', 'mail', 'conformant'],
  'after-data': ['reset', 'body', 'conformant'],
  'mid-body-64k': ['reset', 'body', 'conformant'],
  'after-dot': ['reset', 'dot', 'conformant'],
  'after-dot-reply': ['delivered', 'dot', 'conformant'],
  'after-quit': ['delivered', 'dot', 'deviates'],
};

/** The expectation for a resets scenario id: RST scenarios are `reset`, FIN scenarios `closed`. */
function expected(id: string): Want | undefined {
  const match = /^smtp\/resets\/(reset|close)-(.+)$/.exec(id);
  const want = match ? NODEMAILER[match[2]!] : undefined;
  if (!match || !want) return undefined;
  const kind = want[0] === 'reset' && match[1] === 'close' ? 'closed' : want[0];
  return [kind, want[1], want[2]];
}

describe.each(SUITES.map((s) => [s.name, s] as const))('suite %s', (_name, suite) => {
  it('has an expectation for every scenario', () => {
    expect(suite.scenarios.filter((s) => !expected(s.id)).map((s) => s.id)).toEqual([]);
  });

  it.each(CLIENTS.filter((c) => c.protocol === suite.protocol).map((c) => [c.name, c] as const))(
    'gives the exact outcome of every scenario with %s',
    async (_client, client) => {
      const results = await runScenarios(suite.scenarios, [client], { concurrency: 4 });
      const got = Object.fromEntries(results.map((r) => [r.id, [r.outcome?.kind, r.outcome?.phase, r.verdict]]));
      const want = Object.fromEntries(suite.scenarios.map((s) => [`${s.id}/${client.name}`, expected(s.id)]));
      expect(got).toEqual(want);
      for (const r of results.filter((r) => r.fault?.at !== undefined && r.verdict === 'conformant')) expect(r.faultFired).toBe(true);
      const postDot = results.filter((r) => r.id.includes('-after-dot/'));
      expect(postDot.map((r) => r.sink)).toEqual(postDot.map(() => ({ copies: 1, intact: true })));
      expect(postDot.every((r) => /deliver it twice/.test(r.reason))).toBe(true);
    },
  );
});
