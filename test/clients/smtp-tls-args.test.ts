/**
 * What each SMTP process client is told per TLS mode (RFC 3207 STARTTLS, RFC 8314 §3.3 implicit TLS),
 * with the job's CA, and with its AUTH login (RFC 4954): the password never among the arguments.
 */
import { describe, expect, it } from 'vitest';
import { curlConfigUser, curlSmtpArgs, curlTls } from '../../src/clients/curl.js';
import { msmtpAuth, msmtpTls } from '../../src/clients/msmtp.js';
import { swaksArgs, swaksAuth, swaksTls } from '../../src/clients/swaks.js';
import { tlsStart, tlsVerifies } from '../../src/clients/tls-mode.js';
import type { SmtpJob, TlsMode } from '../../src/clients/types.js';
import { contentOf } from '../../src/util/content.js';

const CA = '/tmp/run/wireprobe-ca.pem';
const JOB: SmtpJob = {
  host: '127.0.0.1',
  port: 2525,
  from: 'a@x.test',
  to: ['b@x.test'],
  content: contentOf(Buffer.from('Subject: hi\r\n\r\nhello\r\n')),
  timeouts: { connect: 1000, greeting: 1000, socket: 1000, deadline: 5000 },
};
const LOGIN = { user: 'joe', password: 'pw-secret' };

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

  it('curl: the login only in the config file it is given (--config FILE), never in its arguments', () => {
    expect(curlSmtpArgs(JOB)).not.toContain('--config');
    const args = curlSmtpArgs({ ...JOB, auth: LOGIN, tls: 'starttls' }, '/tmp/x/config');
    expect(args.slice(0, 5)).toEqual(['--disable', '--silent', '--show-error', '--config', '/tmp/x/config']);
    expect(args.join(' ')).not.toContain('pw-secret');
    expect(curlConfigUser(LOGIN.user, LOGIN.password)).toBe('user = "joe:pw-secret"\n');
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

  it('swaks: no AUTH and no password variable without a login; with one, --auth and the user, the password only in its environment', () => {
    expect(swaksAuth({})).toEqual({ args: [], env: {} });
    expect(swaksArgs(JOB)).not.toContain('--auth');
    expect(swaksAuth({ auth: LOGIN })).toEqual({
      args: ['--auth', '--auth-hide-password', '--auth-user', 'joe'],
      env: { SWAKS_OPT_auth_password: 'pw-secret' },
    });
    expect(swaksArgs({ ...JOB, auth: LOGIN }).join(' ')).not.toContain('pw-secret');
    // An empty value would make swaks prompt: `<>` is its empty string.
    expect(swaksAuth({ auth: { user: '', password: '' } })).toEqual({
      args: ['--auth', '--auth-hide-password', '--auth-user', '<>'],
      env: { SWAKS_OPT_auth_password: '<>' },
    });
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
