/**
 * The user's own configuration on the real servers: each starts on loopback with what it must own
 * overridden and listed, the rest kept, so a setting of the user's shows in the outcome where the
 * stock configuration's column does not; a config that cannot be used is one line, exit 2.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { CLIENTS } from '../../src/clients/index.js';
import { selectServers } from '../../src/commands/select.js';
import { builtinTargets, UserConfigs } from '../../src/commands/targets.js';
import { runScenarios } from '../../src/engine/run.js';
import type { Result } from '../../src/engine/types.js';
import { writeTranscripts } from '../../src/report/transcripts.js';
import { SUITES } from '../../suites/index.js';
import { REMOVED } from '../../servers/real/user-config.js';
import { postfixLauncher, waitForMessages } from '../../servers/real/postfix.js';
import nodemailer from 'nodemailer';
import { DEBIAN_MAIN_CF, DEBIAN_PROFTPD_CONF, DEBIAN_VSFTPD_CONF } from './user-config-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-userconf-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const scenario = (id: string) => SUITES.flatMap((s) => s.scenarios).filter((s) => s.id === id);
const clients = (name: string, protocol: 'smtp' | 'ftp') => CLIENTS.filter((c) => c.name === name && c.protocol === protocol);
const byServer = (results: readonly Result[]) => new Map(results.map((r) => [r.server, r]));

async function config(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

describe('postfix:FILE', () => {
  it('overrides what reaches outside, delivers and counts a message; a kept size limit refuses it where stock Postfix takes it', async () => {
    const outward = await config(
      'outward.cf',
      [
        'relayhost = [smtp.user.test]:587',
        'smtpd_milters = inet:localhost:8891',
        'content_filter = smtp-amavis:[127.0.0.1]:10024',
        'smtpd_tls_cert_file = /etc/ssl/nowhere/user.pem',
        'smtpd_tls_key_file = /etc/ssl/nowhere/user.key',
        'smtpd_banner = $myhostname ESMTP user-config',
        'inet_interfaces = all',
        'smtpd_sasl_auth_enable = yes',
        'smtpd_sasl_type = dovecot',
        'smtpd_sasl_path = private/auth',
      ].join('\n'),
    );
    const small = await config('small.cf', '# the user limits messages to 20 kB\nmessage_size_limit = 20000\n');
    const configs = new UserConfigs();
    const servers = selectServers(['postfix', `postfix:${outward}`, `postfix:${small}`], undefined, configs);
    expect(servers).toEqual(['postfix', 'postfix:outward.cf', 'postfix:small.cf']);
    const results = await runScenarios(scenario('smtp/framing/dot-stuffing'), clients('nodemailer', 'smtp'), { targets: builtinTargets(configs), servers });
    const on = byServer(results);

    const stock = on.get('postfix')!;
    expect([stock.outcome?.kind, stock.verdict, stock.sink]).toEqual(['delivered', 'conformant', { copies: 1, intact: true }]);
    expect(stock.serverConfig).toBeUndefined();

    const mine = on.get('postfix:outward.cf')!;
    expect([mine.outcome?.kind, mine.verdict, mine.sink]).toEqual(['delivered', 'conformant', { copies: 1, intact: true }]);
    expect(mine.serverConfig?.file).toBe(outward);
    const overridden = Object.fromEntries(mine.serverConfig!.overridden.map((o) => [o.key, o.ours]));
    expect(overridden).toMatchObject({
      relayhost: REMOVED,
      smtpd_milters: REMOVED,
      content_filter: REMOVED,
      inet_interfaces: '127.0.0.1',
      smtpd_sasl_auth_enable: 'no',
    });
    expect(overridden.smtpd_tls_cert_file).toMatch(/cert\.pem$/);
    expect(overridden.smtpd_banner).toBeUndefined();
    expect(mine.transcript.join('\n')).toContain('ESMTP user-config');

    const limited = on.get('postfix:small.cf')!;
    expect([limited.outcome?.kind, limited.outcome?.code, limited.sink?.copies]).toEqual(['reply', 552, 0]);
    expect(limited.serverConfig).toEqual({ file: small, overridden: [] });
    expect(limited.id).toBe('smtp/framing/dot-stuffing/nodemailer@postfix:small.cf');

    // The names are safe as transcript file names.
    const written = await writeTranscripts(join(dir, 'transcripts'), results);
    expect(written).toHaveLength(3);
    expect(await readdir(join(dir, 'transcripts', 'smtp', 'framing', 'dot-stuffing'))).toContain('nodemailer@postfix:small.cf.txt');
  });
});

describe('postfix:FILE with header_checks', () => {
  it('counts a message its header_checks added a field to (before Subject) as the one copy delivered', async () => {
    const checks = join(dir, 'header_checks.regexp');
    await writeFile(checks, "/^Subject:/ PREPEND X-Checked: by the user's header_checks\n");
    const file = await config('checks.cf', `header_checks = regexp:${checks}\n`);
    const configs = new UserConfigs();
    const servers = selectServers([`postfix:${file}`], undefined, configs);
    const [result] = await runScenarios(scenario('smtp/framing/dot-stuffing'), clients('nodemailer', 'smtp'), { targets: builtinTargets(configs), servers });
    expect(result!.serverConfig).toEqual({ file, overridden: [] });
    expect([result!.outcome?.kind, result!.verdict, result!.sink]).toEqual(['delivered', 'conformant', { copies: 1, intact: true }]);
    // The header_checks took effect: the stored message has the field it added.
    const postfix = await postfixLauncher.start({ configFile: file });
    try {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: postfix.port, ignoreTLS: true });
      await transport.sendMail({ envelope: { from: 'a@example.test', to: ['qa@example.test'] }, raw: 'Subject: checked\r\n\r\nbody\r\n' });
      const [stored] = await waitForMessages(postfix, 1);
      expect(stored!.toString()).toMatch(/\nX-Checked: by the user's header_checks\nSubject: checked\n/);
    } finally {
      await postfix.close();
    }
  });
});

describe("Debian's stock files", () => {
  it('Postfix delivers with the generated main.cf; vsftpd serves a download with the shipped vsftpd.conf', async () => {
    const configs = new UserConfigs();
    const servers = selectServers(
      [`postfix:${await config('debian-main.cf', DEBIAN_MAIN_CF)}`, `vsftpd:${await config('debian-vsftpd.conf', DEBIAN_VSFTPD_CONF)}`],
      undefined,
      configs,
    );
    const results = await runScenarios(
      [...scenario('smtp/framing/dot-stuffing'), ...scenario('ftp/modes/baseline-download')],
      [...clients('nodemailer', 'smtp'), ...clients('ftplib', 'ftp')],
      {
        targets: builtinTargets(configs),
        servers,
      },
    );
    expect(results.map((r) => [r.id, r.outcome?.kind, r.verdict])).toEqual([
      ['smtp/framing/dot-stuffing/nodemailer@postfix:debian-main.cf', 'delivered', 'conformant'],
      ['ftp/modes/baseline-download/ftplib/passive@vsftpd:debian-vsftpd.conf', 'delivered', 'conformant'],
      ['ftp/modes/baseline-download/ftplib/active@vsftpd:debian-vsftpd.conf', 'delivered', 'conformant'],
    ]);
    expect(results[0]!.transcript.join('\n')).toContain('ESMTP Postfix (Debian/GNU)');
  });

  it('proftpd serves a download with the shipped proftpd.conf', async () => {
    const configs = new UserConfigs();
    const servers = selectServers([`proftpd:${await config('debian-proftpd.conf', DEBIAN_PROFTPD_CONF)}`], undefined, configs);
    const results = await runScenarios(scenario('ftp/modes/baseline-download'), clients('ftplib', 'ftp'), { targets: builtinTargets(configs), servers });
    expect(results.map((r) => [r.id, r.outcome?.kind, r.verdict])).toEqual([
      ['ftp/modes/baseline-download/ftplib/passive@proftpd:debian-proftpd.conf', 'delivered', 'conformant'],
      ['ftp/modes/baseline-download/ftplib/active@proftpd:debian-proftpd.conf', 'delivered', 'conformant'],
    ]);
    const overridden = results[0]!.serverConfig!.overridden.map((o) => o.key);
    expect(overridden).toEqual(expect.arrayContaining(['Include', 'UseIPv6', 'Port', 'User', 'SystemLog', 'TransferLog', 'ControlsLog']));
  });
});

describe('vsftpd:FILE and proftpd:FILE', () => {
  it("vsftpd keeps the user's write_enable=NO: the upload the stock vsftpd takes is refused", async () => {
    const file = await config('vsftpd.conf', 'listen=NO\nlisten_ipv6=YES\nanonymous_enable=NO\nlocal_enable=YES\nwrite_enable=NO\nmax_clients=50\n');
    const configs = new UserConfigs();
    const servers = selectServers(['vsftpd', `vsftpd:${file}`], undefined, configs);
    const results = await runScenarios(scenario('ftp/modes/baseline-upload'), clients('ftplib', 'ftp'), { targets: builtinTargets(configs), servers });
    // A scenario's session limit wins over the user's max_clients for that scenario, and says so.
    const [limited] = await runScenarios(scenario('ftp/limits/under-limit'), clients('ftplib', 'ftp'), {
      targets: builtinTargets(configs),
      servers: [servers[1]!],
    });
    expect(limited?.serverConfig?.overridden).toContainEqual({ key: 'max_clients', user: '50', ours: '4' });
    for (const r of results.filter((r) => r.server === 'vsftpd')) expect([r.id, r.outcome?.kind, r.sink?.copies]).toEqual([r.id, 'delivered', 1]);
    const mine = results.filter((r) => r.server === 'vsftpd:vsftpd.conf');
    expect(mine.length).toBeGreaterThan(0);
    for (const r of mine) {
      expect([r.id, r.outcome?.kind, r.outcome?.code, r.sink?.copies]).toEqual([r.id, 'reply', 550, 0]);
      expect(r.serverConfig?.overridden).toEqual(
        expect.arrayContaining([
          { key: 'listen', user: 'NO', ours: 'YES' },
          { key: 'anonymous_enable', user: 'NO', ours: 'YES' },
        ]),
      );
    }
  });

  it("proftpd keeps the user's <Limit STOR> DenyAll: the upload is refused, its missing Include is listed", async () => {
    const file = await config('proftpd.conf', 'Include /etc/proftpd/nowhere.conf\nServerName "User FTP"\nPort 21\n<Limit STOR>\n  DenyAll\n</Limit>\n');
    const configs = new UserConfigs();
    const servers = selectServers([`proftpd:${file}`], undefined, configs);
    const results = await runScenarios(scenario('ftp/modes/baseline-upload'), clients('ftplib', 'ftp'), { targets: builtinTargets(configs), servers });
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) {
      expect([r.id, r.outcome?.kind, r.outcome?.code, r.sink?.copies]).toEqual([r.id, 'reply', 550, 0]);
      expect(r.serverConfig?.overridden).toEqual(
        expect.arrayContaining([
          { key: 'Include', user: '/etc/proftpd/nowhere.conf', ours: REMOVED },
          { key: 'Port', user: '21', ours: expect.stringMatching(/^\d+$/) },
        ]),
      );
    }
  });
});

/** A stream that keeps what is written to it. */
class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('a config that cannot be used', () => {
  it.each([
    ['exim:/etc/exim4/exim4.conf.template', "exim's Debian configuration is a split template: not supported"],
    ['pure-ftpd:/etc/pure-ftpd.conf', 'pure-ftpd has no config file (it takes options)'],
    ['postfix:/nowhere/main.cf', 'cannot read "/nowhere/main.cf" (ENOENT)'],
  ])('run --server %s: one line, exit 2', async (server, says) => {
    const stdout = new Sink();
    const stderr = new Sink();
    const code = await main(['run', '--server', server], { stdout, stderr, env: { NO_COLOR: '1' } });
    expect(code).toBe(2);
    expect(stdout.text).toBe('');
    expect(stderr.text.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr.text).toContain(says);
    expect(stderr.text).toContain(`"${server}"`);
  });

  it('matrix ftp --servers postfix:FILE: one line, not an FTP server', async () => {
    const file = await config('ok.cf', 'myhostname = a\n');
    const stderr = new Sink();
    const code = await main(['matrix', 'ftp', '--servers', `postfix:${file}`], { stdout: new Sink(), stderr, env: { NO_COLOR: '1' } });
    expect([code, stderr.text.trimEnd().split('\n').length]).toEqual([2, 1]);
    expect(stderr.text).toContain('is not an ftp server');
  });

  it('a syntax error names the file and the line', async () => {
    const file = await config('bad.cf', 'myhostname = a\nnot a setting\n');
    const stderr = new Sink();
    const code = await main(['run', '--server', `postfix:${file}`], { stdout: new Sink(), stderr, env: { NO_COLOR: '1' } });
    expect([code, stderr.text.trimEnd().split('\n').length]).toEqual([2, 1]);
    expect(stderr.text).toContain('line 2: expected "name = value"');
  });
});
