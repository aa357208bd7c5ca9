/**
 * Every built-in suite, run for real with every client (the process clients are installed by
 * scripts/test): each scenario's exact outcome (kind and phase) and verdict, as test/suites/*.expect.ts
 * says. A scenario added to suites/ without an expectation there fails.
 */
import { describe, expect, it } from 'vitest';
import { CLIENTS } from '../src/clients/index.js';
import { builtinTargets } from '../src/commands/targets.js';
import { EXPECTATIONS } from './suites/index.js';
import { runInTest } from './helpers/run-in-test.js';
import { invariantViolations } from './suites/invariants.js';
import { NA, settle, type Want } from './suites/want.js';
import { SUITES } from '../suites/index.js';
import type { ClientAdapter } from '../src/clients/types.js';
import type { Result, Scenario } from '../src/engine/types.js';

/** The columns a client fills for a scenario: its name, and for FTP one per mode (`curl/active`). */
function columns(scenario: Scenario, client: ClientAdapter): string[] {
  if (scenario.protocol !== 'ftp') return [client.name];
  return (scenario.ftp.modes ?? (['passive', 'active'] as const)).map((mode) => `${client.name}/${mode}`);
}

/** The scenario a result ran. */
function scenarioOf(scenarios: readonly Scenario[], result: Result): Scenario {
  const scenario = scenarios.find((s) => s.id === result.scenarioId);
  if (!scenario) throw new Error(`no scenario for ${result.id}`);
  return scenario;
}

/** Prints what a mismatching cell's client said and its transcript's end: timing-dependent cells are found from CI logs. */
function explainMismatches(results: readonly Result[], got: Record<string, Want>, want: Record<string, unknown>): void {
  for (const r of results) {
    if (JSON.stringify(got[r.id]) === JSON.stringify(want[r.id])) continue;
    const tail = r.transcript.slice(-40).join('\n');
    console.error(`${r.id}: got ${got[r.id]?.join(' ')}, want ${JSON.stringify(want[r.id])}\n  ${r.outcome?.detail ?? ''}\n  ${r.reason}\n${tail}`);
  }
}

describe.each(SUITES.map((s) => [s.name, s] as const))('suite %s', (name, suite) => {
  const expected = EXPECTATIONS[name] ?? (() => undefined);
  const clients = CLIENTS.filter((c) => c.protocol === suite.protocol);

  it('has an expectation for every scenario and client', () => {
    const missing = suite.scenarios.flatMap((s) =>
      clients
        .flatMap((c) => columns(s, c))
        .filter((col) => !expected(s.id, col))
        .map((col) => `${s.id}/${col}`),
    );
    expect(missing).toEqual([]);
  });

  // it.for: the test context's signal cuts the run when the test times out (see helpers/run-in-test.ts).
  it.for(clients.map((c) => [c.name, c] as const))('gives the exact outcome of every scenario with %s', async ([, client], test) => {
    const results = await runInTest(test, suite.scenarios, [client], { targets: builtinTargets(), concurrency: 4, apartConcurrency: 4 });
    const got: Record<string, Want> = Object.fromEntries(results.map((r) => [r.id, [r.outcome?.kind, r.outcome?.phase, r.verdict] as const]));
    const want = Object.fromEntries(
      suite.scenarios.flatMap((s) => columns(s, client).map((col) => [`${s.id}/${col}`, settle(expected(s.id, col), got[`${s.id}/${col}`] ?? NA)])),
    );
    explainMismatches(results, got, want);
    expect(got).toEqual(want);
    const testedFault = (r: Result): boolean => r.fault?.at !== undefined && r.verdict === 'conformant' && !r.reason.startsWith('the fault never fired');
    for (const r of results.filter(testedFault)) expect(r.faultFired).toBe(true);
    if (suite.protocol === 'ftp') {
      expect(results.filter((r) => r.mode !== 'passive' && r.mode !== 'active')).toEqual([]);
      // A data-channel fault fires on the data connection, and the transcript says so.
      for (const r of results.filter((r) => r.fault?.channel === 'data' && r.faultFired)) expect(r.transcript.join('\n')).toMatch(/data \d+: fault fired/);
      // Every result, exact cells too: the invariants are what a cell whose outcome is timing rests on.
      const broken = results.flatMap((r) => invariantViolations(r, scenarioOf(suite.scenarios, r)).map((v) => `${r.id}: ${v.invariant}: ${v.detail}`));
      expect(broken).toEqual([]);
      // A transfer reported complete that deviates is an integrity failure, and says so with both hashes,
      // or a whole file moved where the client had to stop (ftp/tls: PROT P refused), and says so.
      for (const r of results.filter((r) => r.outcome?.kind === 'delivered' && r.verdict === 'deviates')) {
        expect(r.reason).toMatch(/reported the (upload|download) complete, but .* SHA-256 [0-9a-f]{64}|^reported success where it had to stop/);
      }
    }
    const postDot = results.filter((r) => r.id.includes('-after-dot/'));
    expect(postDot.map((r) => r.sink)).toEqual(postDot.map(() => ({ copies: 1, intact: true })));
    expect(postDot.every((r) => /deliver it twice/.test(r.reason))).toBe(true);
    const delivered = results.filter((r) => r.outcome?.kind === 'delivered' && r.verdict === 'conformant' && !r.messages);
    // One copy per message, or per FTP transfer (parallel uploads: one file each).
    const copies = (r: Result): number => {
      const s = suite.scenarios.find((x) => x.id === r.scenarioId);
      return s?.protocol === 'ftp' ? (s.ftp.parallel ?? 1) : 1;
    };
    expect(delivered.map((r) => r.sink)).toEqual(delivered.map((r) => ({ copies: copies(r), intact: true })));
  });
});
