/**
 * Every built-in suite, run for real with every client (the process clients are installed by
 * scripts/test): each scenario's exact outcome
 * (kind and phase) and verdict. A scenario added to suites/ without an expectation here fails.
 */
import { describe, expect, it } from 'vitest';
import { CLIENTS } from '../src/clients/index.js';
import { runScenarios } from '../src/engine/run.js';
import type { OutcomeKind, Verdict } from '../src/engine/types.js';
import { SUITES } from '../suites/index.js';

type Want = readonly [kind: OutcomeKind, phase: string, verdict: Verdict];

/** What every client does, unless its own table below says otherwise. */
const COMMON: Record<string, Want> = {
  'on-connect': ['reset', 'connect', 'conformant'],
  'after-greeting': ['reset', 'greeting', 'conformant'],
  'before-ehlo-reply': ['reset', 'ehlo', 'conformant'],
  'after-ehlo': ['reset', 'ehlo', 'conformant'],
  'after-mail': ['reset', 'mail', 'conformant'],
  'before-rcpt-reply': ['reset', 'rcpt', 'conformant'],
  'after-rcpt': ['reset', 'rcpt', 'conformant'],
  'before-data-reply': ['reset', 'data', 'conformant'],
  'after-data': ['reset', 'body', 'conformant'],
  'mid-body-64k': ['reset', 'body', 'conformant'],
  'after-dot': ['reset', 'dot', 'conformant'],
  'after-dot-reply': ['delivered', 'dot', 'conformant'],
  'after-quit': ['delivered', 'quit', 'conformant'],
};

/**
 * nodemailer pipelines MAIL, RCPT and DATA (after the MAIL reply it waits for RCPT's) and closes
 * without QUIT, so faults waiting on QUIT never fire: a deviation.
 */
const NODEMAILER: Record<string, Want> = {
  'after-mail': ['reset', 'rcpt', 'conformant'],
  'before-rcpt-reply': ['reset', 'mail', 'conformant'],
  'after-rcpt': ['reset', 'data', 'conformant'],
  'before-data-reply': ['reset', 'mail', 'conformant'],
  'after-quit': ['delivered', 'dot', 'deviates'],
};

/** Per client: where it differs from COMMON. */
const CLIENT_WANTS: Record<string, Record<string, Want>> = {
  nodemailer: NODEMAILER,
  'nodemailer-pool': NODEMAILER,
  curl: {},
  // swaks reports failure when the connection dies after the 250: a retry would deliver twice.
  swaks: { 'after-dot-reply': ['reset', 'dot', 'deviates'], 'after-quit': ['reset', 'quit', 'deviates'] },
  // msmtp pipelines RCPT and DATA.
  msmtp: { 'after-rcpt': ['reset', 'data', 'conformant'], 'before-data-reply': ['reset', 'rcpt', 'conformant'] },
  smtplib: {},
};

/** The expectation for a resets scenario id: RST scenarios are `reset`, FIN scenarios `closed`. */
function expected(id: string, client: string): Want | undefined {
  const match = /^smtp\/resets\/(reset|close)-(.+)$/.exec(id);
  const name = match?.[2] ?? '';
  const want = CLIENT_WANTS[client]?.[name] ?? COMMON[name];
  if (!match || !want) return undefined;
  const kind = want[0] === 'reset' && match[1] === 'close' ? 'closed' : want[0];
  return [kind, want[1], want[2]];
}

describe.each(SUITES.map((s) => [s.name, s] as const))('suite %s', (_name, suite) => {
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
      const delivered = results.filter((r) => r.outcome?.kind === 'delivered');
      expect(delivered.map((r) => r.sink)).toEqual(delivered.map(() => ({ copies: 1, intact: true })));
    },
  );
});
