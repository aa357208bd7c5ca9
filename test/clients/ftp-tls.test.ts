import { describe, expect, it } from 'vitest';
import { curlFtpArgs, curlFtpTlsArgs, curlFtpUrl } from '../../src/clients/curl-ftp.js';
import { ftplibTlsEnv } from '../../src/clients/ftplib.js';
import { tlsFacts } from '../../src/clients/tls-mode.js';
import { lftpScript, lftpTlsSettings } from '../../src/clients/lftp.js';
import type { FtpJob, TlsMode } from '../../src/clients/types.js';
import { contentOf } from '../../src/util/content.js';

const JOB: FtpJob = {
  host: '127.0.0.1',
  port: 2121,
  user: 'u',
  password: 'secret-pw',
  mode: 'passive',
  direction: 'upload',
  path: '/up.bin',
  content: contentOf(Buffer.alloc(0)),
  timeouts: { connect: 1000, greeting: 1000, socket: 1000, deadline: 5000 },
};
const IMPLICIT = 'implicit' as TlsMode;
const IMPLICIT_VERIFY = 'implicit-verify' as TlsMode;

describe('FTP clients and TLS modes', () => {
  it('reads a mode as on, implicit and verify', () => {
    expect(tlsFacts({})).toEqual({ on: false, implicit: false, verify: false });
    expect(tlsFacts({ tls: 'none' })).toEqual({ on: false, implicit: false, verify: false });
    expect(tlsFacts({ tls: 'starttls' })).toEqual({ on: true, implicit: false, verify: false });
    expect(tlsFacts({ tls: 'starttls-verify' })).toEqual({ on: true, implicit: false, verify: true });
    expect(tlsFacts({ tls: IMPLICIT })).toEqual({ on: true, implicit: true, verify: false });
    expect(tlsFacts({ tls: IMPLICIT_VERIFY })).toEqual({ on: true, implicit: true, verify: true });
  });

  it('curl: nothing without TLS; --ssl-reqd with --insecure or --cacert; ftps:// for implicit', () => {
    expect(curlFtpTlsArgs(JOB)).toEqual([]);
    expect(curlFtpArgs(JOB, { config: 'c', output: 'o' }, false)).not.toContain('--ssl-reqd');
    expect(curlFtpTlsArgs({ tls: 'starttls' })).toEqual(['--ssl-reqd', '--insecure']);
    expect(curlFtpTlsArgs({ tls: 'starttls-verify', ca: '/ca.pem' })).toEqual(['--ssl-reqd', '--cacert', '/ca.pem']);
    expect(curlFtpTlsArgs({ tls: 'starttls-verify' })).toEqual(['--ssl-reqd']);
    expect(curlFtpUrl({ ...JOB, tls: IMPLICIT_VERIFY })).toBe('ftps://127.0.0.1:2121/%2Fup.bin');
    expect(curlFtpUrl({ ...JOB, tls: 'starttls' })).toBe('ftp://127.0.0.1:2121/%2Fup.bin');
  });

  it('lftp: ssl-allow no without TLS; forced, data protected, verified against the CA file with it; ftps:// for implicit', () => {
    expect(lftpTlsSettings(JOB)).toEqual(['set ftp:ssl-allow no']);
    expect(lftpTlsSettings({ tls: 'starttls' })).toEqual([
      'set ftp:ssl-allow yes',
      'set ftp:ssl-force yes',
      'set ftp:ssl-protect-data yes',
      'set ssl:verify-certificate no',
    ]);
    expect(lftpTlsSettings({ tls: 'starttls-verify', ca: '/a "b"/ca.pem' })).toContain('set ssl:ca-file "/a \\"b\\"/ca.pem"');
    const script = lftpScript({ ...JOB, tls: IMPLICIT }, { script: 's', local: 'l' }, false);
    expect(script).toContain('open -p 2121 "ftps://127.0.0.1"');
    expect(lftpScript({ ...JOB, host: '::1', tls: IMPLICIT }, { script: 's', local: 'l' }, false)).toContain('open -p 2121 "ftps://[::1]"');
  });

  it('ftplib: no TLS variables without TLS; explicit or implicit, verifying against the CA when asked', () => {
    expect(ftplibTlsEnv(JOB)).toEqual({});
    expect(ftplibTlsEnv({ tls: 'starttls' })).toEqual({ WIREPROBE_FTP_TLS: 'explicit' });
    expect(ftplibTlsEnv({ tls: 'starttls-verify', ca: '/ca.pem' })).toEqual({
      WIREPROBE_FTP_TLS: 'explicit',
      WIREPROBE_FTP_VERIFY: '1',
      WIREPROBE_FTP_CA: '/ca.pem',
    });
    expect(ftplibTlsEnv({ tls: IMPLICIT })).toEqual({ WIREPROBE_FTP_TLS: 'implicit' });
  });
});
