/**
 * PROT P behind a NAT: inside FTPS no middlebox can rewrite the 227, so a client meets the server's own
 * (wrong, unreachable) passive address. The proxy terminates AUTH TLS and lies in the 227 inside TLS
 * (`dataport wrong-address`, 127.0.0.2 where nothing listens): each FTP client, passive, over AUTH TLS
 * with PROT P, delivers as it does in clear: lftp and ftplib connect to the control connection's
 * address instead, curl and basic-ftp use EPSV (the lie never fires for them).
 */
import { describe, expect, it } from 'vitest';
import { CLIENTS } from '../../src/clients/index.js';
import type { FtpClientAdapter } from '../../src/clients/types.js';
import { builtinTargets } from '../../src/commands/targets.js';
import type { FtpScenario } from '../../src/engine/types.js';
import { SUITES } from '../../suites/index.js';
import { runInTest } from '../helpers/run-in-test.js';

const wrongAddress = SUITES.flatMap((s) => s.scenarios).find((s) => s.id === 'ftp/modes/wrong-data-address') as FtpScenario;
const passiveOnly: FtpScenario = { ...wrongAddress, ftp: { ...wrongAddress.ftp, modes: ['passive'] } };
const ftpClients = CLIENTS.filter((c): c is FtpClientAdapter => c.protocol === 'ftp');

describe('a wrong 227 address inside FTPS (PROT P behind a NAT)', () => {
  it('every FTP client delivers, over AUTH TLS, what it delivers in clear', async (test) => {
    const results = await runInTest(test, [passiveOnly], ftpClients, { targets: builtinTargets(), tls: ['starttls'], concurrency: 4 });
    const got = Object.fromEntries(results.map((r) => [r.id, [r.outcome?.kind, r.outcome?.phase, r.verdict, r.faultFired]]));
    expect(got).toEqual({
      'ftp/modes/wrong-data-address/basic-ftp/passive/starttls': ['delivered', 'stor', 'conformant', false],
      'ftp/modes/wrong-data-address/curl/passive/starttls': ['delivered', 'stor', 'conformant', false],
      'ftp/modes/wrong-data-address/lftp/passive/starttls': ['delivered', 'site', 'conformant', true],
      'ftp/modes/wrong-data-address/ftplib/passive/starttls': ['delivered', 'stor', 'conformant', true],
    });
    // The lie was told inside TLS: the 227 after the handshake, rewritten to the unreachable address.
    const ftplib = results.find((r) => r.client === 'ftplib')!;
    const lines = ftplib.transcript.join('\n');
    expect(lines).toMatch(/TLS established client<->proxy/);
    expect(lines.indexOf('TLS established')).toBeLessThan(lines.indexOf('fault fired'));
  });
});
