/**
 * `run --tls none|starttls|implicit|all`: TLS as a dimension of a run, as `--family` is. Plaintext SMTP
 * and FTP scenarios run once per variant, the client starting TLS (STARTTLS or AUTH TLS, or implicit) and
 * verifying the run CA's certificate; scenarios with their own `tls` run once, as without `--tls`.
 */
import { describe, expect, it } from 'vitest';
import { curlClient } from '../../src/clients/curl.js';
import { curlFtpClient } from '../../src/clients/curl-ftp.js';
import { nodemailerPlain } from '../../src/clients/nodemailer.js';
import { tlsVariants } from '../../src/commands/args.js';
import { HELP } from '../../src/commands/help.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { columnOf, identity, type RunOf } from '../../src/engine/identity.js';
import { runScenarios } from '../../src/engine/run.js';
import { hasTlsVariants, withTlsVariant } from '../../src/engine/tls-variant.js';
import type { Scenario } from '../../src/engine/types.js';
import { parseReport } from '../../src/report/merge-read.js';
import { toJsonReport } from '../../src/report/json.js';
import { SUITES } from '../../suites/index.js';

/** Built-in scenarios by id. */
function scenarios(...ids: string[]): Scenario[] {
  const all = SUITES.flatMap((s) => s.scenarios);
  return ids.map((id) => {
    const found = all.find((s) => s.id === id);
    if (!found) throw new Error(`no scenario ${id}`);
    return found;
  });
}

/** The runs runScenarios would make, none of them run. */
async function planned(run: readonly Scenario[], tls: Parameters<typeof runScenarios>[2]['tls']): Promise<readonly RunOf[]> {
  let seen: readonly RunOf[] = [];
  await runScenarios(run, [nodemailerPlain, curlClient, curlFtpClient], {
    targets: builtinTargets(),
    ...(tls ? { tls } : {}),
    select: (runs) => {
      seen = runs;
      return [];
    },
  });
  return seen;
}

const TLS_SCENARIO = SUITES.find((s) => s.name === 'smtp/tls')!.scenarios[0]!;

describe('--tls', () => {
  it('reads none, starttls, implicit and all, and refuses anything else in one line', () => {
    expect(tlsVariants(undefined)).toBeUndefined();
    expect(tlsVariants('none')).toEqual(['none']);
    expect(tlsVariants('starttls')).toEqual(['starttls']);
    expect(tlsVariants(' implicit ')).toEqual(['implicit']);
    expect(tlsVariants('all')).toEqual(['none', 'starttls', 'implicit']);
    for (const bad of ['off', 'starttls-verify', 'constructor', '']) {
      expect(() => tlsVariants(bad)).toThrow(`bad --tls "${bad}": expected none, starttls, implicit or all`);
    }
    expect(HELP).toContain('[--tls none|starttls|implicit|all]');
  });

  it('expands plaintext SMTP and FTP scenarios: no extra cells for a scenario with its own tls', async () => {
    expect(TLS_SCENARIO.protocol === 'smtp' && TLS_SCENARIO.tls).toBeTruthy();
    const run = [...scenarios('smtp/resets/reset-after-data', 'ftp/modes/baseline-upload'), TLS_SCENARIO];
    const runs = await planned(run, ['none', 'starttls', 'implicit']);
    expect(runs.map((r) => identity(r).id)).toEqual([
      'smtp/resets/reset-after-data/nodemailer',
      'smtp/resets/reset-after-data/nodemailer/starttls',
      'smtp/resets/reset-after-data/nodemailer/tls',
      'smtp/resets/reset-after-data/curl',
      'smtp/resets/reset-after-data/curl/starttls',
      'smtp/resets/reset-after-data/curl/tls',
      'ftp/modes/baseline-upload/curl/passive',
      'ftp/modes/baseline-upload/curl/passive/starttls',
      'ftp/modes/baseline-upload/curl/passive/tls',
      'ftp/modes/baseline-upload/curl/active',
      'ftp/modes/baseline-upload/curl/active/starttls',
      'ftp/modes/baseline-upload/curl/active/tls',
      `${TLS_SCENARIO.id}/nodemailer`,
      `${TLS_SCENARIO.id}/curl`,
    ]);
    const variants = ['none', 'starttls', 'implicit'];
    expect(runs.map((r) => r.tls)).toEqual([...variants, ...variants, ...variants, ...variants, undefined, undefined]);
    // Without --tls, and with --tls none: the runs (and ids) a run always made.
    const plain = (await planned(run, undefined)).map((r) => identity(r).id);
    expect((await planned(run, ['none'])).map((r) => identity(r).id)).toEqual(plain);
    expect(plain).toHaveLength(6);
  });

  it('runs a variant as the -verify mode, keeping the plaintext expectation; the others as written', () => {
    const [reset, ftp] = scenarios('smtp/resets/reset-after-data', 'ftp/modes/baseline-upload') as [Scenario, Scenario];
    expect(withTlsVariant(reset, 'starttls')).toEqual({ ...reset, tls: 'starttls-verify' });
    expect(withTlsVariant(reset, 'implicit')).toEqual({ ...reset, tls: 'implicit-verify' });
    expect(withTlsVariant(reset, 'none')).toBe(reset);
    expect(withTlsVariant(ftp, 'starttls')).toEqual({ ...ftp, tls: 'starttls-verify' });
    expect(withTlsVariant(TLS_SCENARIO, 'implicit')).toBe(TLS_SCENARIO);
    expect([hasTlsVariants(reset), hasTlsVariants(ftp), hasTlsVariants(TLS_SCENARIO)]).toEqual([true, true, false]);
    const starttls = identity({ scenario: reset, client: nodemailerPlain, tls: 'starttls' });
    expect(starttls).toMatchObject({
      column: 'nodemailer/starttls',
      tls: 'starttls',
      expected: identity({ scenario: reset, client: nodemailerPlain }).expected,
    });
    expect('tls' in identity({ scenario: reset, client: nodemailerPlain })).toBe(false);
    expect(columnOf('curl', undefined, 'postfix', 6, 'implicit')).toBe('curl/tls/ipv6@postfix');
    expect(columnOf('curl', undefined, 'mock-smtp', 4, 'none')).toBe('curl');
  });

  it('cuts nodemailer mid-body inside STARTTLS: reset@body, the result and its JSON naming the variant', async () => {
    const results = await runScenarios(scenarios('smtp/resets/reset-mid-body-64k'), [nodemailerPlain], {
      targets: builtinTargets(),
      tls: ['starttls'],
    });
    expect(results.map((r) => [r.id, r.column, r.tls, r.outcome?.kind, r.outcome?.phase, r.verdict])).toEqual([
      ['smtp/resets/reset-mid-body-64k/nodemailer/starttls', 'nodemailer/starttls', 'starttls', 'reset', 'body', 'conformant'],
    ]);
    const transcript = results[0]!.transcript.join('\n');
    expect(transcript).toMatch(/STARTTLS/);
    const json = toJsonReport(results, '0.0.0');
    expect(json.results[0]).toMatchObject({ id: 'smtp/resets/reset-mid-body-64k/nodemailer/starttls', tls: 'starttls' });
    // merge reads the column back from the JSON as the runner made it.
    const back = parseReport('r.json', JSON.parse(JSON.stringify(json)));
    expect(typeof back !== 'string' && back.results.map((r) => [r.column, r.scenarioId, r.tls])).toEqual([
      ['nodemailer/starttls', 'smtp/resets/reset-mid-body-64k', 'starttls'],
    ]);
  });
});
