/**
 * A server with passive mode off (vsftpd pasv_enable = NO refuses PASV and EPSV alike with "550
 * Permission denied"): ftp.epsv must not tell clients to fall back to a PASV that is refused too.
 */
import { describe, expect, it } from 'vitest';
import { ftpDataChecks } from '../../src/probe/ftp-data.js';
import { byId, probe } from '../helpers/ftp-probe.js';
import { startScriptedFtp } from './scripted-ftp.js';

describe('FTP probe: passive mode off', () => {
  it('says PASV is refused as well, not that clients fall back to it', async () => {
    const denied = { reply: ['550 Permission denied.'] };
    const server = await startScriptedFtp(['EPSV'], { PASV: denied, EPSV: denied });
    try {
      const findings = await probe({ protocol: 'ftp', host: server.host, port: server.port, user: 'u', password: 'p' }, [ftpDataChecks]);
      expect(byId(findings, 'ftp.epsv')).toMatchObject({ status: 'warn', value: 550 });
      expect(byId(findings, 'ftp.epsv').advice).toBe(
        'EPSV is refused (550 Permission denied), and PASV as well (see ftp.pasv-address): there is no passive mode, and clients behind NAT or a firewall, which cannot take active connections, cannot transfer at all.',
      );
    } finally {
      await server.close();
    }
  });
});
