/**
 * IPv6 cells judged on their own expectations where IPv6 differs: a client whose EPSV or EPRT is refused
 * cannot fall back to PASV or PORT over IPv6 (RFC 2428 §1), so reporting the failure is conformant there
 * while IPv4 expects the fallback; pins named `client/mode/ipv6` or `client/ipv6` apply to IPv6 runs only.
 */
import { describe, expect, it } from 'vitest';
import { basicFtpClient } from '../../src/clients/basic-ftp.js';
import { ftplibClient } from '../../src/clients/ftplib.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { parsePin } from '../../src/config/pin.js';
import { runInTest } from '../helpers/run-in-test.js';
import type { FtpScenario, Result } from '../../src/engine/types.js';
import { SUITES } from '../../suites/index.js';

const byId = (id: string): FtpScenario => SUITES.flatMap((s) => s.scenarios).find((s) => s.id === id) as FtpScenario;
const seen = (r: Result) => [r.id, r.outcome?.kind, r.outcome?.phase, r.verdict];

describe('IPv6 expectations', () => {
  it('expects a refused EPSV or EPRT to be reported over IPv6, and the fallback over IPv4', async (test) => {
    const scenarios = [byId('ftp/modes/epsv-500'), byId('ftp/modes/eprt-500')];
    const results = await runInTest(test, scenarios, [ftplibClient, basicFtpClient], { targets: builtinTargets(), concurrency: 4, families: [4, 6] });
    expect(results.filter((r) => r.verdict !== 'n/a').map(seen)).toEqual([
      // ftplib over IPv4 uses PASV and PORT: the faults cannot fire, which each scenario allows.
      ['ftp/modes/epsv-500/ftplib/passive', 'delivered', 'stor', 'conformant'],
      ['ftp/modes/epsv-500/ftplib/passive/ipv6', 'reply', 'epsv', 'conformant'],
      ['ftp/modes/epsv-500/ftplib/active', 'delivered', 'stor', 'conformant'],
      ['ftp/modes/epsv-500/ftplib/active/ipv6', 'delivered', 'stor', 'conformant'],
      // basic-ftp falls back to PASV: a transfer over IPv4, the proxy's 425 over IPv6.
      ['ftp/modes/epsv-500/basic-ftp/passive', 'delivered', 'stor', 'conformant'],
      ['ftp/modes/epsv-500/basic-ftp/passive/ipv6', 'reply', 'pasv', 'conformant'],
      ['ftp/modes/eprt-500/ftplib/passive', 'delivered', 'stor', 'conformant'],
      ['ftp/modes/eprt-500/ftplib/passive/ipv6', 'delivered', 'stor', 'conformant'],
      ['ftp/modes/eprt-500/ftplib/active', 'delivered', 'stor', 'conformant'],
      ['ftp/modes/eprt-500/ftplib/active/ipv6', 'reply', 'eprt', 'conformant'],
      ['ftp/modes/eprt-500/basic-ftp/passive', 'delivered', 'stor', 'conformant'],
      ['ftp/modes/eprt-500/basic-ftp/passive/ipv6', 'delivered', 'stor', 'conformant'],
    ]);
    expect(results.find((r) => r.id === 'ftp/modes/epsv-500/ftplib/passive/ipv6')!.reason).toContain('RFC 2428 §1');
  });

  it('takes a client/mode/ipv6 pin over IPv6 only', async (test) => {
    const scenario: FtpScenario = {
      ...byId('ftp/modes/epsv-500'),
      id: 'pinned/epsv-500',
      ftp: { direction: 'upload', modes: ['passive'] },
      pinned: { 'ftplib/passive/ipv6': parsePin('reply 500@epsv', 'ftp'), ftplib: parsePin('delivered', 'ftp') },
    };
    const results = await runInTest(test, [scenario], [ftplibClient], { targets: builtinTargets(), families: [4, 6] });
    expect(results.map((r) => [r.id, r.verdict, r.reason])).toEqual([
      ['pinned/epsv-500/ftplib/passive', 'conformant', expect.stringContaining('pinned')],
      ['pinned/epsv-500/ftplib/passive/ipv6', 'conformant', expect.stringContaining('pinned')],
    ]);
  });
});
