/** What each SMTP process client is told per TLS mode (RFC 3207 STARTTLS, RFC 8314 §3.3 implicit TLS), and with the job's CA. */
import { describe, expect, it } from 'vitest';
import { curlTls } from '../../src/clients/curl.js';
import { msmtpAuth, msmtpTls } from '../../src/clients/msmtp.js';
import { swaksTls } from '../../src/clients/swaks.js';
import { tlsStart, tlsVerifies } from '../../src/clients/tls-mode.js';
import type { TlsMode } from '../../src/clients/types.js';

const CA = '/tmp/run/wireprobe-ca.pem';

describe('TLS modes', () => {
  it('says when TLS starts and whether it verifies', () => {
    const modes: readonly TlsMode[] = ['none', 'starttls', 'starttls-verify', 'implicit', 'implicit-verify'];
    expect(modes.map((m) => [tlsStart(m), tlsVerifies(m)])).toEqual([
      ['none', false],
      ['starttls', false],
      ['starttls', true],
      ['implicit', false],
      ['implicit', true],
    ]);
  });
});

describe('curl', () => {
  it('uses smtps:// for implicit TLS, --ssl-reqd for STARTTLS, --cacert for the job CA, --insecure when not verifying', () => {
    expect(curlTls({ tls: 'none', ca: CA })).toEqual({ scheme: 'smtp', args: [] });
    expect(curlTls({ tls: 'starttls', ca: CA })).toEqual({ scheme: 'smtp', args: ['--ssl-reqd', '--insecure'] });
    expect(curlTls({ tls: 'starttls-verify', ca: CA })).toEqual({ scheme: 'smtp', args: ['--ssl-reqd', '--cacert', CA] });
    expect(curlTls({ tls: 'starttls-verify' })).toEqual({ scheme: 'smtp', args: ['--ssl-reqd'] });
    expect(curlTls({ tls: 'implicit', ca: CA })).toEqual({ scheme: 'smtps', args: ['--insecure'] });
    expect(curlTls({ tls: 'implicit-verify', ca: CA })).toEqual({ scheme: 'smtps', args: ['--cacert', CA] });
  });
});

describe('swaks', () => {
  it('uses --tlsc for implicit TLS, --tls for STARTTLS, --tls-verify with --tls-ca-path for the job CA', () => {
    expect(swaksTls({ tls: 'none', ca: CA })).toEqual([]);
    expect(swaksTls({ tls: 'starttls', ca: CA })).toEqual(['--tls']);
    expect(swaksTls({ tls: 'starttls-verify', ca: CA })).toEqual(['--tls', '--tls-verify', '--tls-ca-path', CA]);
    expect(swaksTls({ tls: 'implicit' })).toEqual(['--tlsc']);
    expect(swaksTls({ tls: 'implicit-verify' })).toEqual(['--tlsc', '--tls-verify']);
  });
});

describe('msmtp', () => {
  it('turns STARTTLS off for implicit TLS and trusts the job CA file, else the system', () => {
    expect(msmtpTls({ tls: 'none', ca: CA })).toEqual(['--tls=off']);
    expect(msmtpTls({ tls: 'starttls' })).toEqual(['--tls=on', '--tls-starttls=on', '--tls-certcheck=off']);
    expect(msmtpTls({ tls: 'starttls-verify' })).toEqual(['--tls=on', '--tls-starttls=on', '--tls-certcheck=on', '--tls-trust-file=system']);
    expect(msmtpTls({ tls: 'implicit', ca: CA })).toEqual(['--tls=on', '--tls-starttls=off', '--tls-certcheck=off']);
    expect(msmtpTls({ tls: 'implicit-verify', ca: CA })).toEqual(['--tls=on', '--tls-starttls=off', '--tls-certcheck=on', `--tls-trust-file=${CA}`]);
  });

  it('msmtp: AUTH off without a login; with one, the user on the command line and the password only in its environment', () => {
    expect(msmtpAuth({})).toEqual(['--auth=off']);
    const args = msmtpAuth({ auth: { user: 'joe', password: 'pw-secret' } });
    expect(args).toEqual(['--auth=on', '--user=joe', '--passwordeval=printenv WIREPROBE_SMTP_PASSWORD']);
    expect(args.join(' ')).not.toContain('pw-secret');
  });
});
