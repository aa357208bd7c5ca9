/**
 * vsftpd, the real one: `vsftpd DIR/vsftpd.conf` in the foreground (listen=YES, background=NO) on
 * 127.0.0.1, from a private config written from RealServerOptions. The login is anonymous with
 * uploads into /pub (DIR/anon/pub, owned by the `ftp` account): vsftpd virtual users need a PAM
 * service file in /etc, anonymous needs nothing but that account.
 *
 *   DIR/anon        anon_root, root-owned 0755 (vsftpd refuses a writable chroot root)
 *   DIR/anon/pub    upload directory (handle.storage), owned by ftp
 *   DIR/empty       secure_chroot_dir for the unprivileged pre-login process
 *
 * The `ftp` account: vsftpd runs anonymous sessions as ftp_username and chdir()s into its home
 * before chrooting into anon_root, so the account needs an existing home (`nobody`, home
 * /nonexistent, fails with "500 OOPS: cannot change directory:/nonexistent"). `apt-get install vsftpd`
 * creates it (home /srv/ftp); when it is missing and we are root, start() creates it once with
 * `useradd --system` (home /srv/ftp), the same account the package would have made.
 *
 * Replies measured here (vsftpd 3.0.3, Debian 12), each instead of the greeting, then closed:
 * max_clients `421 There are too many connected users, please try later.`; max_per_ip `421 There are
 * too many connections from your internet address.`. A refused connection's process counts against
 * max_clients until the listener has reaped it (a connection right after a refusal may be refused
 * too). Idle: `421 Timeout.`. PORT and EPRT with port_enable=NO: `550 Permission denied.`. A passive
 * data connection must come from the control connection's address (pasv_promiscuous=NO, the default,
 * kept): from another, STOR gets `425 Security: Bad IP connecting.`.
 * Its listener crashes (SIGSEGV) when it reaps a child it did not fork, which is why common.ts never
 * lets it be a PID namespace's init.
 */
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  LOOPBACK,
  LOOPBACK6,
  PASSIVE_RANGE_SIZE,
  account,
  findBinary,
  freePortRange,
  invalidOptions,
  launchServer,
  onFreePort,
  notWhole,
  digestUnder,
  readUnder,
  writeUnder,
  runHelper,
  serverHandle,
  writeLocalhostCertificate,
  certificateKeyType,
  openSslMaxVersionConf,
  tlsOffered,
  tlsUnsupported,
  type Account,
  type ProcessLauncher,
} from './common.js';
import { SERVERS_ROOT, ServerNotInstalled, type RealServerOptions } from './types.js';
import { type Overridden, THIS_MACHINE } from './user-config.js';
import { mergeVsftpdConf } from './user-config-vsftpd.js';

/** Where to look for vsftpd; defaults: `vsftpd` on PATH, then under SERVERS_ROOT. */
export interface VsftpdLauncherOptions {
  /** Binary name or path; default 'vsftpd'. */
  readonly binary?: string;
  /** Root of unpacked packages; default SERVERS_ROOT. */
  readonly serversRoot?: string;
  /** 'auto' (default): in its own PID namespace when possible (see common.ts); 'never': a plain process group. */
  readonly isolate?: 'auto' | 'never';
  /**
   * vsftpd's async_abor_enable: YES reads an ABOR sent with urgent data (SIGURG) during a transfer and
   * aborts it at once; default false (vsftpd's own default, NO: the ABOR is read after the transfer).
   */
  readonly asyncAbort?: boolean;
}

const INSTALL = 'apt-get install vsftpd';
/** The anonymous password sent (any is accepted: no_anon_password=NO, no email check). */
const ANONYMOUS_PASSWORD = 'wireprobe@example.test';

/** Why vsftpd cannot run with `options`, or undefined. */
function unsupported(options: RealServerOptions): string | undefined {
  return (
    invalidOptions(options) ??
    notWhole(options.idleTimeoutMs, 1000, 'vsftpd idle_session_timeout') ??
    notWhole(options.dataTimeoutMs, 1000, 'vsftpd data_connection_timeout') ??
    (options.messageSizeLimit !== undefined ? 'messageSizeLimit is an SMTP knob; vsftpd has no upload size limit' : undefined) ??
    tlsUnsupported('vsftpd', options, { implicit: 'instead', reuse: 'both' })
  );
}

/** The `ftp` account anonymous sessions run as; created (system account, home /srv/ftp) when missing and we are root. */
async function ftpAccount(): Promise<Account> {
  const existing = await account('ftp');
  if (existing) return existing;
  if (process.getuid?.() !== 0) throw new Error("vsftpd's anonymous login needs the system account ftp: run scripts/install/ftp-servers.sh as root");
  await mkdir('/srv/ftp', { recursive: true });
  await runHelper('useradd', ['--system', '--user-group', '--home-dir', '/srv/ftp', '--no-create-home', '--shell', '/usr/sbin/nologin', 'ftp']);
  const created = await account('ftp');
  if (!created) throw new Error('useradd ftp succeeded but getent passwd ftp finds no account');
  return created;
}

/** The stock config's settings from the options; absent options are left to vsftpd's defaults. */
function config(dir: string, port: number, range: readonly [number, number], o: RealServerOptions, tls: boolean, asyncAbort: boolean) {
  // listen and listen_ipv6 exclude each other: on ::1, listen_ipv6 with listen_address6.
  const v6 = o.host === LOOPBACK6;
  const lines: Record<string, string | number | undefined> = {
    listen: v6 ? 'NO' : 'YES',
    listen_ipv6: v6 ? 'YES' : 'NO',
    listen_address: v6 ? undefined : LOOPBACK,
    listen_address6: v6 ? LOOPBACK6 : undefined,
    listen_port: port,
    background: 'NO',
    anonymous_enable: 'YES',
    anon_root: join(dir, 'anon'),
    write_enable: 'YES',
    anon_upload_enable: 'YES',
    anon_mkdir_write_enable: 'YES',
    anon_other_write_enable: 'YES',
    local_enable: 'NO',
    secure_chroot_dir: join(dir, 'empty'),
    pasv_enable: 'YES',
    pasv_address: o.pasvAddress ?? LOOPBACK,
    pasv_min_port: range[0],
    pasv_max_port: range[1],
    port_enable: o.active === 'off' ? 'NO' : 'YES',
    connect_from_port_20: 'NO',
    max_clients: o.maxSessions,
    max_per_ip: o.maxPerAddress,
    idle_session_timeout: o.idleTimeoutMs === undefined ? undefined : o.idleTimeoutMs / 1000,
    data_connection_timeout: o.dataTimeoutMs === undefined ? undefined : o.dataTimeoutMs / 1000,
    vsftpd_log_file: join(dir, 'vsftpd.log'),
    log_ftp_protocol: 'YES',
    async_abor_enable: asyncAbort ? 'YES' : undefined,
    ssl_enable: tls ? 'YES' : undefined,
    rsa_cert_file: tls ? join(dir, 'cert.pem') : undefined,
    rsa_private_key_file: tls ? join(dir, 'key.pem') : undefined,
    allow_anon_ssl: tls ? 'YES' : undefined,
    force_anon_logins_ssl: tls ? (o.tlsRequired ? 'YES' : 'NO') : undefined,
    force_anon_data_ssl: tls ? (o.tlsRequired ? 'YES' : 'NO') : undefined,
    // vsftpd 3.0.3's default list is one RSA suite: an EC key from the private CA needs others for TLS 1.2.
    ssl_ciphers: tls && certificateKeyType(o) === 'ec' ? 'HIGH' : undefined,
    implicit_ssl: tls && o.tlsImplicit ? 'YES' : undefined,
    require_ssl_reuse: tls && o.tlsSessionReuse !== undefined ? (o.tlsSessionReuse ? 'YES' : 'NO') : undefined,
  };
  return lines;
}

/** The stock config's text: one `key=value` per line, absent options left to vsftpd's defaults. */
function configText(lines: Readonly<Record<string, string | number | undefined>>): string {
  return Object.entries(lines)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${value}\n`)
    .join('');
}

/**
 * A user's vsftpd.conf merged for this instance: listening, paths, the passive range and the
 * anonymous login are ours; the scenario's knobs win; the rest is the user's (user-config-vsftpd.ts).
 */
function userConfig(userText: string, dir: string, port: number, range: readonly [number, number], o: RealServerOptions, tls: boolean, asyncAbort: boolean) {
  const stock = config(dir, port, range, o, tls, asyncAbort);
  const pick = (keys: readonly string[]) => Object.fromEntries(keys.filter((key) => stock[key] !== undefined).map((key) => [key, String(stock[key])]));
  const forced = pick([
    'listen',
    'listen_ipv6',
    'listen_address',
    'listen_address6',
    'listen_port',
    'background',
    'anonymous_enable',
    'anon_root',
    'secure_chroot_dir',
  ]);
  const knobs = pick([
    ...['max_clients', 'max_per_ip', 'idle_session_timeout', 'data_connection_timeout', 'async_abor_enable', 'ssl_enable', 'allow_anon_ssl'],
    ...(tls ? ['rsa_cert_file', 'rsa_private_key_file', 'force_anon_logins_ssl', 'force_anon_data_ssl'] : []),
    ...['ssl_ciphers', 'implicit_ssl', 'require_ssl_reuse'],
    ...(o.active === undefined ? [] : ['port_enable']),
  ]);
  return mergeVsftpdConf(
    userText,
    {
      forced: {
        ...forced,
        ...pick(['pasv_address', 'pasv_min_port', 'pasv_max_port', 'connect_from_port_20', 'vsftpd_log_file']),
        // Anonymous sessions run as this account, which owns the upload directory.
        ftp_username: 'ftp',
        // The login is ours, not one of the user's: their lists of users and anonymous passwords do not apply to it.
        userlist_enable: 'NO',
        secure_email_list_enable: 'NO',
        xferlog_file: join(dir, 'xferlog'),
      },
      knobs,
      fallback: pick(['log_ftp_protocol']),
      certificate: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') },
    },
    THIS_MACHINE,
  );
}

/**
 * The handle's `tls`: implicit_ssl turns the one port implicit; require_ssl_reuse defaults to YES in
 * vsftpd (man vsftpd.conf), so only an explicit `tlsSessionReuse: false` lifts it.
 */
function tlsHandle(options: RealServerOptions, port: number) {
  const tls = tlsOffered(options, port, options.tlsImplicit ? port : undefined, options.tlsSessionReuse !== false);
  return tls ? { tls } : {};
}

/** Makes a vsftpd launcher (the default one is `vsftpdLauncher`; tests point one at a missing binary). */
export function createVsftpdLauncher(where: VsftpdLauncherOptions = {}): ProcessLauncher {
  const binary = where.binary ?? 'vsftpd';
  const locate = (): Promise<string | undefined> => findBinary(binary, where.serversRoot ?? SERVERS_ROOT);
  return {
    name: 'vsftpd',
    protocol: 'ftp',
    install: INSTALL,
    installed: async () => (await locate()) !== undefined,
    unsupported,
    start: onFreePort(async (options) => {
      const reason = unsupported(options);
      if (reason) throw new RangeError(`vsftpd: ${reason}`);
      const path = await locate();
      if (!path) throw new ServerNotInstalled('vsftpd', INSTALL);
      const ftp = await ftpAccount();
      const host = options.host ?? LOOPBACK;
      const { port } = options;
      const range = options.pasvRange ?? (await freePortRange(PASSIVE_RANGE_SIZE, host));
      let text = '';
      let overridden: readonly Overridden[] | undefined;
      const launched = await launchServer({
        name: 'vsftpd',
        prefix: 'wireprobe-vsftpd-',
        port,
        implicitTls: options.tls === true && options.tlsImplicit === true,
        host,
        spawn: { isolate: where.isolate ?? 'auto', init: 'shell' }, // vsftpd crashes reaping an orphan as init (common.ts)
        prepare: async (dir) => {
          await mkdir(join(dir, 'anon', 'pub'), { recursive: true });
          await mkdir(join(dir, 'empty'));
          await chmod(join(dir, 'anon'), 0o755);
          await chmod(join(dir, 'empty'), 0o755);
          await chown(join(dir, 'anon', 'pub'), ftp.uid, ftp.gid);
          const tls = options.tls === true;
          const asyncAbort = where.asyncAbort === true;
          if (options.configFile !== undefined) {
            const merged = userConfig(await readFile(options.configFile, 'utf8'), dir, port, range, options, tls, asyncAbort);
            overridden = merged.overridden;
            text = merged.text;
            if (merged.usesCertificate && !tls) await writeLocalhostCertificate(dir);
          } else text = configText(config(dir, port, range, options, tls, asyncAbort));
          if (tls) await writeLocalhostCertificate(dir, options.tlsCertificate);
          const file = join(dir, 'vsftpd.conf');
          await writeFile(file, text, { mode: 0o600 });
          // vsftpd writes its fatal `500 OOPS: ...` to fd 0 (the control connection under inetd):
          // point fd 0 at stderr so that a failed start says why.
          // vsftpd 3.0.3 has no protocol setting: a TLS cap is OpenSSL's own config, through the environment.
          const env: string[] = [];
          if (tls && options.tlsMaxVersion) {
            await writeFile(join(dir, 'openssl.cnf'), openSslMaxVersionConf(options.tlsMaxVersion));
            env.push('/usr/bin/env', `OPENSSL_CONF=${join(dir, 'openssl.cnf')}`);
          }
          return { command: '/bin/sh', args: ['-c', 'exec "$0" "$@" 0>&2', ...env, path, file], logs: [join(dir, 'vsftpd.log')] };
        },
      });
      const root = join(launched.dir, 'anon');
      return serverHandle(launched, {
        name: 'vsftpd',
        protocol: 'ftp',
        port,
        storage: join(root, 'pub'),
        login: { user: 'anonymous', password: ANONYMOUS_PASSWORD, dir: '/pub' },
        read: (remote) => readUnder(root, remote),
        digest: (remote) => digestUnder(root, remote),
        put: (remote, data) => writeUnder(root, remote, data),
        ...(overridden ? { overridden } : {}),
        ...tlsHandle(options, port),
      });
    }),
  };
}

/** vsftpd from PATH (apt) or SERVERS_ROOT, anonymous uploads into /pub. */
export const vsftpdLauncher: ProcessLauncher = createVsftpdLauncher();
