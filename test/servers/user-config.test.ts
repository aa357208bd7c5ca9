/**
 * The parsers and mergers of a user's own server configuration, on fixtures as strings and a fake
 * machine: what is kept, what is overridden (each listed with the user's value and ours), what is
 * refused as a syntax error.
 */
import { describe, expect, it } from 'vitest';
import { serverNames, UserConfigs } from '../../src/commands/targets.js';
import { REMOVED, type Machine, UserConfigSyntaxError } from '../../servers/real/user-config.js';
import { mergeMainCf, parseMainCf } from '../../servers/real/user-config-postfix.js';
import { mergeProftpdConf, parseProftpdConf } from '../../servers/real/user-config-proftpd.js';
import { mergeVsftpdConf, parseVsftpdConf } from '../../servers/real/user-config-vsftpd.js';
import { DEBIAN_MAIN_CF } from './user-config-fixtures.js';

/** A machine with these files and accounts, nothing else. */
function machine(files: Record<string, string> = {}, accounts: readonly string[] = []): Machine {
  return { exists: (path) => path in files, hasAccount: (name) => accounts.includes(name), read: (path) => files[path] };
}
const certificate = { certFile: '/tmp/x/cert.pem', keyFile: '/tmp/x/key.pem' };

describe('Postfix main.cf', () => {
  it('reads logical lines: comments, continuation lines, the last definition wins, $references kept', () => {
    const text =
      '# a comment\nmyhostname = mx.user.test\nsmtpd_recipient_restrictions =\n  permit_mynetworks,\n# inside\n  reject_unauth_destination\n\nsmtpd_banner=$myhostname ESMTP\nmyhostname = mx2.user.test\n';
    expect([...parseMainCf(text)]).toEqual([
      ['smtpd_recipient_restrictions', 'permit_mynetworks, reject_unauth_destination'],
      ['smtpd_banner', '$myhostname ESMTP'],
      ['myhostname', 'mx2.user.test'],
    ]);
  });

  it('refuses a line that is not name = value, naming its line', () => {
    expect(() => parseMainCf('myhostname = a\nthis is not a setting\n')).toThrow(UserConfigSyntaxError);
    expect(() => parseMainCf('myhostname = a\nthis is not a setting\n')).toThrow(/^line 2: expected "name = value"/);
  });

  it('overrides outward keys, unreadable maps, DNS lookups, missing certificates and the instance keys; keeps the rest', () => {
    const user = [
      'myhostname = mx.user.test',
      'inet_interfaces = all',
      'relayhost = [smtp.user.test]:587',
      'content_filter = smtp-amavis:[127.0.0.1]:10024',
      'smtpd_milters = inet:localhost:8891',
      'message_size_limit = 20000',
      'smtpd_recipient_limit = 3',
      'smtpd_tls_cert_file = /etc/ssl/user.pem',
      'smtpd_tls_security_level = may',
      'smtpd_client_restrictions = permit_mynetworks, reject_rbl_client zen.spamhaus.org, check_client_access hash:/etc/postfix/access, reject_unknown_client_hostname',
      'header_checks = regexp:/etc/postfix/header_checks',
      'smtpd_banner = $myhostname ESMTP user',
    ].join('\n');
    const merged = mergeMainCf(
      user,
      {
        forced: { inet_interfaces: '127.0.0.1', queue_directory: '/tmp/x/spool' },
        knobs: {},
        fallback: { myhostname: 'mx.example.test', biff: 'no' },
        certificate,
      },
      machine({ '/etc/postfix/header_checks': '' }),
    );
    expect(merged.overridden).toEqual([
      { key: 'inet_interfaces', user: 'all', ours: '127.0.0.1' },
      { key: 'relayhost', user: '[smtp.user.test]:587', ours: REMOVED },
      { key: 'content_filter', user: 'smtp-amavis:[127.0.0.1]:10024', ours: REMOVED },
      { key: 'smtpd_milters', user: 'inet:localhost:8891', ours: REMOVED },
      { key: 'smtpd_tls_cert_file', user: '/etc/ssl/user.pem', ours: certificate.certFile },
      {
        key: 'smtpd_client_restrictions',
        user: 'permit_mynetworks, reject_rbl_client zen.spamhaus.org, check_client_access hash:/etc/postfix/access, reject_unknown_client_hostname',
        ours: 'permit_mynetworks',
      },
    ]);
    expect(merged.usesCertificate).toBe(true);
    const written = parseMainCf(merged.text);
    for (const [key, value] of [
      ['myhostname', 'mx.user.test'],
      ['message_size_limit', '20000'],
      ['smtpd_recipient_limit', '3'],
      ['header_checks', 'regexp:/etc/postfix/header_checks'],
      ['smtpd_banner', '$myhostname ESMTP user'],
      ['queue_directory', '/tmp/x/spool'],
      ['biff', 'no'],
      ['smtpd_tls_key_file', certificate.keyFile],
    ]) {
      expect(written.get(key!), key).toBe(value);
    }
    expect(written.has('relayhost')).toBe(false);
  });

  it("lists a scenario knob that overrides the user's value, and leaves an equal value unlisted", () => {
    const merged = mergeMainCf(
      'message_size_limit = 20000\ninet_interfaces = 127.0.0.1\n',
      { forced: { inet_interfaces: '127.0.0.1' }, knobs: { message_size_limit: '5000' }, fallback: {}, certificate },
      machine(),
    );
    expect(merged.overridden).toEqual([{ key: 'message_size_limit', user: '20000', ours: '5000' }]);
    expect(parseMainCf(merged.text).get('message_size_limit')).toBe('5000');
  });
});

describe('vsftpd.conf', () => {
  it('reads key=value lines and comments, and refuses anything else', () => {
    expect([...parseVsftpdConf('# c\nlisten=YES\n\nmax_clients=5\nlisten=NO\n')]).toEqual([
      ['max_clients', '5'],
      ['listen', 'NO'],
    ]);
    expect(() => parseVsftpdConf('listen = YES\n')).toThrow(/^line 1: expected "key=value"/);
  });

  it('owns listening and the anonymous login, stands it in for local users, keeps write_enable and limits', () => {
    const user =
      'listen=NO\nlisten_ipv6=YES\nanonymous_enable=NO\nlocal_enable=YES\nwrite_enable=NO\nmax_clients=7\nrsa_cert_file=/etc/ssl/x.pem\nbanner_file=/etc/banner\nnopriv_user=ftpsecure\n';
    const merged = mergeVsftpdConf(
      user,
      {
        forced: { listen: 'YES', listen_ipv6: 'NO', anonymous_enable: 'YES', listen_port: '2121' },
        knobs: {},
        fallback: { log_ftp_protocol: 'YES' },
        certificate,
      },
      machine(),
    );
    expect(merged.overridden).toEqual([
      { key: 'listen', user: 'NO', ours: 'YES' },
      { key: 'listen_ipv6', user: 'YES', ours: 'NO' },
      { key: 'anonymous_enable', user: 'NO', ours: 'YES' },
      { key: 'rsa_cert_file', user: '/etc/ssl/x.pem', ours: certificate.certFile },
      { key: 'banner_file', user: '/etc/banner', ours: REMOVED },
      { key: 'nopriv_user', user: 'ftpsecure', ours: REMOVED },
    ]);
    const written = parseVsftpdConf(merged.text);
    expect(Object.fromEntries(written)).toMatchObject({
      write_enable: 'NO',
      max_clients: '7',
      local_enable: 'YES',
      listen_port: '2121',
      anon_upload_enable: 'YES',
      log_ftp_protocol: 'YES',
      rsa_private_key_file: certificate.keyFile,
    });
  });

  it("keeps the user's own anonymous rights when their anonymous logins are on; a knob wins and is listed", () => {
    const merged = mergeVsftpdConf(
      'anonymous_enable=YES\nanon_upload_enable=NO\nmax_clients=7\n',
      { forced: { anonymous_enable: 'YES' }, knobs: { max_clients: '2' }, fallback: {}, certificate },
      machine(),
    );
    expect(merged.overridden).toEqual([{ key: 'max_clients', user: '7', ours: '2' }]);
    expect(parseVsftpdConf(merged.text).get('anon_upload_enable')).toBe('NO');
  });
});

describe('proftpd.conf', () => {
  it('reads directives and nested blocks, continuation lines included, and refuses unbalanced blocks', () => {
    const tree = parseProftpdConf(
      'ServerName "x"\n<IfModule mod_tls.c>\n  TLSEngine on\n</IfModule>\n<Directory /srv>\n  <Limit WRITE>\n    DenyAll\n  </Limit>\n</Directory>\nMaxClients \\\n 4\n',
    );
    expect(tree).toEqual([
      { kind: 'directive', name: 'ServerName', args: '"x"' },
      { kind: 'block', name: 'IfModule', args: 'mod_tls.c', children: [{ kind: 'directive', name: 'TLSEngine', args: 'on' }] },
      {
        kind: 'block',
        name: 'Directory',
        args: '/srv',
        children: [{ kind: 'block', name: 'Limit', args: 'WRITE', children: [{ kind: 'directive', name: 'DenyAll', args: '' }] }],
      },
      { kind: 'directive', name: 'MaxClients', args: '4' },
    ]);
    expect(() => parseProftpdConf('<Directory /x>\nDenyAll\n')).toThrow(/^line 1: <Directory> is never closed/);
    expect(() => parseProftpdConf('<Limit WRITE>\n</Directory>\n')).toThrow(/^line 2: <\/Directory> closes <Limit> of line 1/);
  });

  it('reads Include files that exist, drops the rest, virtual hosts, missing modules and anonymous roots; keeps limits', () => {
    const user = [
      'Include /etc/proftpd/modules.conf',
      'Include /home/u/extra.conf',
      'ServerName "User FTP"',
      'Port 21',
      'User proftpd',
      'LoadModule mod_ban.c',
      'LoadModule mod_sql_mysql.c',
      '<VirtualHost 10.0.0.1>',
      '  Port 2121',
      '</VirtualHost>',
      '<Anonymous ~ftp>',
      '  User ftp',
      '</Anonymous>',
      '<Anonymous /srv/anon>',
      '  User ftp',
      '  MaxClients 2',
      '</Anonymous>',
      'ExtendedLog /var/log/proftpd/access.log WRITE',
      '<Limit STOR>',
      '  DenyAll',
      '</Limit>',
    ].join('\n');
    const files = { '/home/u/extra.conf': 'MaxClients 9\n', '/mods/mod_ban.so': '', '/srv/anon': '' };
    const merged = mergeProftpdConf(
      user,
      {
        forced: [
          ['Port', '3000'],
          ['User', 'nobody'],
        ],
        knobs: [],
        fallback: [['MaxInstances', '30']],
        tail: '',
        modules: '/mods',
        dir: '/tmp/x',
        certificate,
      },
      machine(files),
    );
    expect(merged.overridden).toEqual([
      { key: 'Include', user: '/etc/proftpd/modules.conf', ours: REMOVED },
      { key: 'Port', user: '21', ours: '3000' },
      { key: 'User', user: 'proftpd', ours: 'nobody' },
      { key: 'LoadModule', user: 'mod_sql_mysql.c', ours: REMOVED },
      { key: '<VirtualHost 10.0.0.1>', user: 'block', ours: REMOVED },
      { key: '<Anonymous ~ftp>', user: 'block', ours: REMOVED },
      { key: 'ExtendedLog', user: '/var/log/proftpd/access.log WRITE', ours: '/tmp/x/user-access.log WRITE' },
    ]);
    expect(merged.text).toBe(
      [
        'Port 3000',
        'User nobody',
        'MaxClients 9',
        'ServerName "User FTP"',
        'LoadModule mod_ban.c',
        '<Anonymous /srv/anon>',
        '  User ftp',
        '  MaxClients 2',
        '</Anonymous>',
        'ExtendedLog /tmp/x/user-access.log WRITE',
        '<Limit STOR>',
        '  DenyAll',
        '</Limit>',
        'MaxInstances 30',
        '',
      ].join('\n'),
    );
  });
});

describe("Debian's own files", () => {
  it("Postfix's generated main.cf: the missing snakeoil certificate, /etc/mailname and the aliases are overridden", () => {
    const merged = mergeMainCf(
      DEBIAN_MAIN_CF,
      {
        forced: { alias_maps: '', alias_database: '', inet_interfaces: '127.0.0.1', inet_protocols: 'ipv4', mydestination: '' },
        knobs: {},
        fallback: {},
        certificate,
      },
      machine({ '/etc/ssl/certs': '' }),
    );
    expect(Object.fromEntries(merged.overridden.map((o) => [o.key, o.ours]))).toEqual({
      smtpd_tls_cert_file: certificate.certFile,
      smtpd_tls_key_file: certificate.keyFile,
      alias_maps: '',
      alias_database: '',
      myorigin: REMOVED,
      mydestination: '',
      inet_interfaces: '127.0.0.1',
      inet_protocols: 'ipv4',
    });
    expect(parseMainCf(merged.text).get('smtpd_relay_restrictions')).toBe('permit_mynetworks permit_sasl_authenticated defer_unauth_destination');
  });
});

describe('the names of user configurations', () => {
  it('is LAUNCHER:BASENAME, safe in ids and file names, the same for the same file and numbered for another with that name', () => {
    const configs = new UserConfigs();
    expect(configs.learn('postfix', '/srv/a/main.cf')).toBe('postfix:main.cf');
    expect(configs.learn('postfix', '/srv/a/../a/main.cf')).toBe('postfix:main.cf');
    expect(configs.learn('postfix', '/srv/b/main.cf')).toBe('postfix:main.cf-2');
    expect(configs.learn('vsftpd', '/srv/my ftp/vs ftpd.conf')).toBe('vsftpd:vs_ftpd.conf');
    expect(serverNames('smtp', configs)).toEqual(expect.arrayContaining(['postfix', 'postfix:main.cf', 'postfix:main.cf-2']));
    expect(serverNames('smtp', configs)).not.toContain('vsftpd:vs_ftpd.conf');
    expect(serverNames('ftp', configs)).toContain('vsftpd:vs_ftpd.conf');
  });
});
