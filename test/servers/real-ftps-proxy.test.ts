/**
 * FTPS through the TLS-terminating proxy against the real FTP servers (suite ftp/tls): vsftpd, proftpd
 * and pure-ftpd with their own TLS configs. The proxy resumes its session toward the server exactly when
 * the client resumed its own, so vsftpd's default require_ssl_reuse refuses Python's ftplib (which never
 * resumes) with 522 through the proxy as it would without it; curl resumes and delivers everywhere
 * (pure-ftpd takes no resumption: a new session each data connection, transfers allowed).
 */
import { describe, expect, it } from 'vitest';
import { CLIENTS } from '../../src/clients/index.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runScenarios } from '../../src/engine/run.js';
import type { Result } from '../../src/engine/types.js';
import { SUITES } from '../../suites/index.js';

const scenario = (name: string) => SUITES.find((s) => s.name === 'ftp/tls')!.scenarios.find((s) => s.id === `ftp/tls/${name}`)!;
const client = (name: string) => CLIENTS.find((c) => c.name === name && c.protocol === 'ftp')!;
/** One passive cell per scenario and client and server: outcome kind, phase, reply code, verdict. */
const cells = (results: readonly Result[]) =>
  Object.fromEntries(results.map((r) => [r.id, [r.outcome?.kind, r.outcome?.phase, r.outcome?.code, r.verdict] as const]));

describe('ftp/tls against the real FTP servers, through the proxy', () => {
  it('curl resumes the control session and delivers on all three; ftplib is refused 522 by vsftpd only (its default require_ssl_reuse)', async () => {
    const results = await runScenarios([scenario('clean')], [client('curl'), client('ftplib')], {
      targets: builtinTargets(),
      servers: ['vsftpd', 'proftpd', 'pure-ftpd'],
      select: (runs) => runs.filter((r) => r.mode === 'passive'),
      concurrency: 3,
    });
    expect(cells(results)).toEqual({
      'ftp/tls/clean/curl/passive@vsftpd': ['delivered', 'stor', undefined, 'conformant'],
      'ftp/tls/clean/curl/passive@proftpd': ['delivered', 'stor', undefined, 'conformant'],
      'ftp/tls/clean/curl/passive@pure-ftpd': ['delivered', 'stor', undefined, 'conformant'],
      'ftp/tls/clean/ftplib/passive@vsftpd': ['reply', 'stor', 522, 'deviates'],
      'ftp/tls/clean/ftplib/passive@proftpd': ['delivered', 'stor', undefined, 'conformant'],
      'ftp/tls/clean/ftplib/passive@pure-ftpd': ['delivered', 'stor', undefined, 'conformant'],
    });
    // curl resumes toward the proxy; the proxy then offers its control session to the server, which
    // vsftpd and proftpd take and pure-ftpd does not (it starts a new one and lets the transfer go on).
    const toward = { vsftpd: 'resumed', proftpd: 'resumed', 'pure-ftpd': 'offered its session, the server started a new one' };
    for (const [server, said] of Object.entries(toward)) {
      const r = results.find((r) => r.id === `ftp/tls/clean/curl/passive@${server}`)!;
      expect(r.sink).toEqual({ copies: 1, intact: true });
      expect(r.transcript.join('\n')).toContain(`client resumed the control session; toward the server: ${said}`);
    }
    const vsftpd = results.find((r) => r.id === 'ftp/tls/clean/ftplib/passive@vsftpd')!;
    expect(vsftpd.transcript.join('\n')).toMatch(/client did not resume the control session; toward the server: new session, as the client/);
  });

  it('implicit FTPS on vsftpd and proftpd (pure-ftpd has none: n/a), and an RST on the protected data connection mid-STOR', async () => {
    const results = await runScenarios([scenario('clean-implicit'), scenario('reset-data-mid-stor')], [client('curl')], {
      targets: builtinTargets(),
      servers: ['vsftpd', 'proftpd', 'pure-ftpd'],
      select: (runs) => runs.filter((r) => r.mode === 'passive'),
      concurrency: 3,
    });
    expect(cells(results)).toEqual({
      'ftp/tls/clean-implicit/curl/passive@vsftpd': ['delivered', 'stor', undefined, 'conformant'],
      'ftp/tls/clean-implicit/curl/passive@proftpd': ['delivered', 'stor', undefined, 'conformant'],
      'ftp/tls/clean-implicit/curl/passive@pure-ftpd': [undefined, undefined, undefined, 'n/a'],
      'ftp/tls/reset-data-mid-stor/curl/passive@vsftpd': ['reset', 'transfer', undefined, 'conformant'],
      'ftp/tls/reset-data-mid-stor/curl/passive@proftpd': ['reset', 'transfer', undefined, 'conformant'],
      'ftp/tls/reset-data-mid-stor/curl/passive@pure-ftpd': ['reset', 'transfer', undefined, 'conformant'],
    });
  });
});
