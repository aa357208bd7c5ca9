/**
 * curl in active mode over IPv6 after a refused EPRT: curl (7.88) drops EPRT, skips PORT (IPv4 only: its
 * ftp_state_use_port passes over PORT for an AF_INET6 socket) and ends up sending nothing, waiting for a
 * reply to a command it never sent until its own server-response timeout (120 s, not settable from the
 * command line; then exit 28). The proxy's 500 is the last word on the wire: within any deadline of ours
 * the cell is `hung@eprt`, a deviation, and costs the scenario's deadline (here cut to 5 s, ample for a login).
 */
import { describe, expect, it } from 'vitest';
import { curlFtpClient } from '../../src/clients/curl-ftp.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runScenarios } from '../../src/engine/run.js';
import type { FtpScenario } from '../../src/engine/types.js';
import { SUITES } from '../../suites/index.js';

const byId = (id: string): FtpScenario => SUITES.flatMap((s) => s.scenarios).find((s) => s.id === id) as FtpScenario;

describe('curl, active mode over IPv6', () => {
  it('sends nothing after the 500 to its EPRT (no PORT to fall back to) and is stopped at the deadline: hung@eprt', async () => {
    const base = byId('ftp/modes/eprt-500');
    const scenario: FtpScenario = {
      ...base,
      id: 'curl-ipv6/eprt-500',
      ftp: { ...base.ftp, modes: ['active'] },
      timeouts: { ...base.timeouts, deadline: 5_000 },
    };
    const [result] = await runScenarios([scenario], [curlFtpClient], { targets: builtinTargets(), families: [6] });
    expect([result!.id, result!.outcome?.kind, result!.outcome?.phase, result!.verdict]).toEqual([
      'curl-ipv6/eprt-500/curl/active/ipv6',
      'hung',
      'eprt',
      'deviates',
    ]);
    const said = result!.transcript.filter((l) => / (C|S) {2}| proxy sends to client: /.test(l)).map((l) => l.replace(/^.*#1 /, ''));
    // Its last command is the EPRT; the proxy's 500 (in the server's place) is the last line of the session.
    expect(said.slice(-2)).toEqual([expect.stringMatching(/^C {2}EPRT \|2\|::1\|\d+\|$/), '!! proxy sends to client: 500 EPRT not understood']);
  });
});
