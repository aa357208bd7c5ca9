/**
 * `dataport` faults over IPv6, the proxy and the mock both on ::1: a 229 carries only a port (RFC 2428
 * §3), so `refused` and `blackholed` name a port on ::1 where nothing answers and `wrong-address` has
 * nothing to change (unfired, as over IPv4); toward the server an EPRT `|2|` names ::ffff:127.0.0.2
 * (IPv4-mapped loopback, where nothing listens) for `wrong-address`, and a port on ::1 for the others.
 */
import { describe, expect, it } from 'vitest';
import { basicFtpClient } from '../../src/clients/basic-ftp.js';
import { ftplibClient } from '../../src/clients/ftplib.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runScenarios } from '../../src/engine/run.js';
import type { Result } from '../../src/engine/types.js';
import { SUITES } from '../../suites/index.js';

const IDS = ['ftp/modes/wrong-data-address', 'ftp/modes/data-port-refused', 'ftp/modes/data-port-blackholed'];

describe('dataport over IPv6', () => {
  it('lies in EPSV and EPRT on loopback only, and each client reports what it met', async () => {
    const scenarios = SUITES.flatMap((s) => s.scenarios).filter((s) => IDS.includes(s.id));
    const results = await runScenarios(scenarios, [ftplibClient], { targets: builtinTargets(), concurrency: 4, families: [6] });
    const seen = (r: Result) => [r.id, r.outcome?.kind, r.outcome?.phase, r.verdict];
    expect(results.map(seen)).toEqual([
      // EPSV's 229 has no address to make wrong: unfired, the upload delivered.
      ['ftp/modes/wrong-data-address/ftplib/passive/ipv6', 'delivered', 'stor', 'conformant'],
      // The mock refuses an EPRT naming another address than its client's: "500 The given address is not yours".
      ['ftp/modes/wrong-data-address/ftplib/active/ipv6', 'reply', 'eprt', 'conformant'],
      ['ftp/modes/data-port-refused/ftplib/passive/ipv6', 'refused', 'epsv', 'conformant'],
      ['ftp/modes/data-port-refused/ftplib/active/ipv6', 'reply', 'stor', 'conformant'],
      ['ftp/modes/data-port-blackholed/ftplib/passive/ipv6', 'timeout', 'epsv', 'conformant'],
      ['ftp/modes/data-port-blackholed/ftplib/active/ipv6', 'timeout', 'stor', 'conformant'],
    ]);
    const said = (id: string) => results.find((r) => r.id === id)!.transcript.filter((l) => l.includes('data address:'));
    expect(said('ftp/modes/wrong-data-address/ftplib/passive/ipv6')).toEqual([expect.stringMatching(/server said ::1:\d+, client told ::1:\d+$/)]);
    expect(said('ftp/modes/wrong-data-address/ftplib/active/ipv6')).toEqual([
      expect.stringMatching(/client said ::1:\d+, server told ::ffff:127\.0\.0\.2:\d+$/),
    ]);
    for (const id of ['ftp/modes/data-port-refused', 'ftp/modes/data-port-blackholed']) {
      expect(said(`${id}/ftplib/passive/ipv6`)).toEqual([expect.stringMatching(/server said ::1:\d+, client told ::1:\d+$/)]);
      expect(said(`${id}/ftplib/active/ipv6`)).toEqual([expect.stringMatching(/client said ::1:\d+, server told ::1:\d+$/)]);
    }
  });

  it('basic-ftp: its EPSV data connect times out and its PASV gets the 425 (reply@pasv, not a control timeout at EPSV)', async () => {
    const scenarios = SUITES.flatMap((s) => s.scenarios).filter((s) => s.id === 'ftp/modes/data-port-blackholed');
    const [result] = await runScenarios(scenarios, [basicFtpClient], { targets: builtinTargets(), families: [6] });
    expect([result!.id, result!.outcome?.kind, result!.outcome?.code, result!.outcome?.phase, result!.verdict]).toEqual([
      'ftp/modes/data-port-blackholed/basic-ftp/passive/ipv6',
      'reply',
      425,
      'pasv',
      'conformant',
    ]);
    // Not a control timeout while the 229 was held: the data connect's own timeout, then the fallback.
    const lines = result!.transcript.filter((l) => / C {2}(EPSV|PASV)$| S {2}425 /.test(l)).map((l) => l.replace(/^.*#1 /, ''));
    expect(lines).toEqual(['C  EPSV', 'C  PASV', 'S  425 PASV cannot name an IPv6 address: use EPSV']);
  });
});
