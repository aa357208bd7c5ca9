/**
 * `run --family 4|6|both`: each scenario runs once per address family asked for, the client reaching the
 * proxy on 127.0.0.1 or ::1; an IPv6 result names its family in a field and in its column (`/ipv6`, as
 * FTP's mode does), the IPv4 ones keep the columns a run without --family gives them.
 */
import { describe, expect, it } from 'vitest';
import { basicFtpClient } from '../../src/clients/basic-ftp.js';
import { curlClient } from '../../src/clients/curl.js';
import { curlFtpClient } from '../../src/clients/curl-ftp.js';
import { swaksClient } from '../../src/clients/swaks.js';
import { nodemailerPlain } from '../../src/clients/nodemailer.js';
import { families } from '../../src/commands/args.js';
import { HELP } from '../../src/commands/help.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runScenarios } from '../../src/engine/run.js';
import type { FtpScenario, Scenario, SmtpScenario } from '../../src/engine/types.js';
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

describe('--family', () => {
  it('reads 4, 6 and both, and refuses anything else', () => {
    expect(families(undefined)).toBeUndefined();
    expect(families('4')).toEqual([4]);
    expect(families('6')).toEqual([6]);
    expect(families('both')).toEqual([4, 6]);
    expect(() => families('ipv6')).toThrow('bad --family "ipv6": expected 4, 6 or both');
    expect(HELP).toContain('[--family 4|6|both]');
  });

  it('runs each scenario over IPv4 and IPv6 with --family both: one result per family, the IPv6 client on ::1', async () => {
    const run = scenarios('ftp/modes/baseline-upload', 'smtp/resets/reset-after-data');
    const results = await runScenarios(run, [basicFtpClient, curlFtpClient, nodemailerPlain], { targets: builtinTargets(), concurrency: 2, families: [4, 6] });
    const byId = new Map(results.map((r) => [r.id, r]));
    expect([...byId.keys()]).toEqual([
      'ftp/modes/baseline-upload/basic-ftp/passive',
      'ftp/modes/baseline-upload/basic-ftp/passive/ipv6',
      'ftp/modes/baseline-upload/basic-ftp/active',
      'ftp/modes/baseline-upload/basic-ftp/active/ipv6',
      'ftp/modes/baseline-upload/curl/passive',
      'ftp/modes/baseline-upload/curl/passive/ipv6',
      'ftp/modes/baseline-upload/curl/active',
      'ftp/modes/baseline-upload/curl/active/ipv6',
      'smtp/resets/reset-after-data/nodemailer',
      'smtp/resets/reset-after-data/nodemailer/ipv6',
    ]);
    for (const r of results) {
      const v4 = byId.get(r.id.replace(/\/ipv6$/, ''))!;
      // Each IPv6 run comes out as its IPv4 twin does (basic-ftp has no active mode in either).
      expect([r.id, r.family, r.verdict], r.reason).toEqual([r.id, r.id.endsWith('/ipv6') ? 6 : 4, v4.verdict]);
      if (r.verdict === 'n/a') continue;
      expect(r.verdict, `${r.id}: ${r.reason}`).toBe('conformant');
      const from = r.family === 6 ? 'client connected from ::1' : 'client connected from 127.0.0.1';
      expect(r.transcript.join('\n'), r.id).toContain(from);
    }
    // curl over IPv6: EPSV in passive mode, EPRT |2| in active mode (a PORT cannot carry ::1).
    expect(byId.get('ftp/modes/baseline-upload/curl/passive/ipv6')!.transcript.join('\n')).toMatch(/C {2}EPSV/);
    expect(byId.get('ftp/modes/baseline-upload/curl/active/ipv6')!.transcript.join('\n')).toMatch(/C {2}EPRT \|2\|::1\|\d+\|/);
    // The mock listens on ::1 too: the proxy reaches its data ports over IPv6, the IPv4 twin's over IPv4.
    expect(byId.get('ftp/modes/baseline-upload/curl/passive/ipv6')!.transcript.join('\n')).toMatch(
      /data 1: client connected \(passive\), proxy connects to ::1:\d+/,
    );
    expect(byId.get('ftp/modes/baseline-upload/curl/passive')!.transcript.join('\n')).toMatch(
      /data 1: client connected \(passive\), proxy connects to 127\.0\.0\.1:\d+/,
    );
    const json = toJsonReport(results, '0.0.0');
    expect(json.results.find((r) => r.id.endsWith('nodemailer/ipv6'))).toMatchObject({ family: 6, client: 'nodemailer' });
    expect(json.results.find((r) => r.id.endsWith('reset-after-data/nodemailer'))).toMatchObject({ family: 4 });
  });

  it('starts the mock servers on ::1 for an IPv6 run, on 127.0.0.1 otherwise', async () => {
    const [smtp, ftp] = scenarios('smtp/resets/reset-after-data', 'ftp/modes/baseline-upload') as [SmtpScenario, FtpScenario];
    const targets = builtinTargets();
    for (const [family, host] of [
      [6, '::1'],
      [4, '127.0.0.1'],
      [undefined, '127.0.0.1'],
    ] as const) {
      const started = [await targets.startSmtp('mock-smtp', smtp, family), await targets.startFtp('mock-ftp', ftp, {}, family)];
      for (const s of started) {
        if (!('target' in s)) throw new Error(s.na);
        await s.target.close();
        expect([s.target.name, family, s.target.host]).toEqual([s.target.name, family, host]);
      }
    }
  });

  it('sends with curl and swaks over IPv6: curl with the address in brackets, swaks with IO::Socket::INET6', async () => {
    const results = await runScenarios(scenarios('smtp/framing/dot-stuffing'), [curlClient, swaksClient], {
      targets: builtinTargets(),
      concurrency: 2,
      families: [6],
    });
    expect(results.map((r) => [r.id, r.outcome?.kind, r.outcome?.phase, r.verdict])).toEqual([
      ['smtp/framing/dot-stuffing/curl/ipv6', 'delivered', 'quit', 'conformant'],
      ['smtp/framing/dot-stuffing/swaks/ipv6', 'delivered', 'quit', 'conformant'],
    ]);
  });

  it('names no family without --family: ids, columns and results as before', async () => {
    const results = await runScenarios(scenarios('smtp/resets/reset-after-data'), [nodemailerPlain], { targets: builtinTargets() });
    expect(results.map((r) => [r.id, r.column, 'family' in r])).toEqual([['smtp/resets/reset-after-data/nodemailer', 'nodemailer', false]]);
    expect(results[0]!.transcript.join('\n')).toContain('client connected from 127.0.0.1');
  });
});
