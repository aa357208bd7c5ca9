/**
 * proftpd, the real one: `proftpd -n -q -c DIR/proftpd.conf` in the foreground (standalone, bound only
 * to 127.0.0.1 with SocketBindTight), from a private config written from RealServerOptions. The login
 * is a user from an AuthUserFile made per start (an `openssl passwd -6` hash), mapped to
 * nobody/nogroup and chrooted (DefaultRoot ~) into DIR/home (handle.storage; remote `/`). No system
 * account is added or changed; PAM is off.
 *
 * Usually unpacked, not installed (it conflicts with vsftpd as a package): scripts/install/ftp-servers.sh
 * puts usr/sbin/proftpd and usr/lib/proftpd/*.so (mod_tls.so from proftpd-mod-crypto) under
 * $WIREPROBE_SERVERS_ROOT/root; ModulePath is the lib/proftpd beside the binary's sbin.
 *
 * DIR is root:nogroup 0710, not 0700: proftpd resolves the user's home as that user ("unable to use
 * DefaultRoot ... Permission denied" otherwise).
 *
 * Replies measured here (proftpd 1.3.8, Debian 12). Limits answer after PASS, not at connect (220 and
 * 331 come first), then close: MaxClients `530 Sorry, the maximum number of allowed clients (N) are
 * already connected.`; MaxClientsPerHost `530 Sorry, the maximum number of clients (N) from your host
 * are already connected.`. MaxInstances (kept well above MaxClients) would close with no reply at
 * all. Idle: `421 Idle timeout (N seconds): closing control connection`. Active mode off is
 * `<Limit PORT EPRT> DenyAll`: `501 PORT: Operation not permitted` (EPRT likewise). A passive data
 * connection from another address than the control connection's is accepted. On SIGTERM it takes
 * ~0.4 s to go.
 */
import { access, chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
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
  serverHandle,
  sha512Crypt,
  writeLocalhostCertificate,
  certificateKeyType,
  tlsOffered,
  tlsUnsupported,
  type ProcessLauncher,
} from './common.js';
import { SERVERS_ROOT, ServerNotInstalled, type RealServerOptions } from './types.js';
import { type Overridden, THIS_MACHINE } from './user-config.js';
import { mergeProftpdConf } from './user-config-proftpd.js';

/** Where to look for proftpd; defaults: on PATH, then under SERVERS_ROOT. */
export interface ProftpdLauncherOptions {
  /** Binary name or path; default 'proftpd'. */
  readonly binary?: string;
  /** Root of unpacked packages; default SERVERS_ROOT. */
  readonly serversRoot?: string;
  /** 'auto' (default): in its own PID namespace when possible (see common.ts); 'never': a plain process group. */
  readonly isolate?: 'auto' | 'never';
}

const INSTALL = 'scripts/install/ftp-servers.sh (apt-get download proftpd-core proftpd-mod-crypto; dpkg-deb -x them into $WIREPROBE_SERVERS_ROOT/root)';
const USER = 'wireprobe';
/** The daemon's group, Debian's name for gid 65534. */
const GROUP = 'nogroup';
/** MaxInstances as Debian's stock proftpd.conf has it, raised above MaxClients so MaxClients answers first. */
const STOCK_MAX_INSTANCES = 30;

/** Why proftpd cannot run with `options`, or undefined. */
function unsupported(options: RealServerOptions): string | undefined {
  return (
    invalidOptions(options) ??
    notWhole(options.idleTimeoutMs, 1000, 'proftpd TimeoutIdle') ??
    notWhole(options.dataTimeoutMs, 1000, 'proftpd TimeoutStalled') ??
    (options.messageSizeLimit !== undefined ? 'messageSizeLimit is an SMTP knob; proftpd is not told one here' : undefined) ??
    tlsUnsupported('proftpd', options, { implicit: 'instead', reuse: 'both' })
  );
}

/** The config file's text; absent options are left to proftpd's compiled defaults. */
function config(dir: string, port: number, range: readonly [number, number], o: RealServerOptions, modules: string): string {
  const optional = (directive: string, value: number | undefined): string => (value === undefined ? '' : `${directive} ${value}\n`);
  const instances = Math.max(STOCK_MAX_INSTANCES, (o.maxSessions ?? 0) + 10);
  const v6 = o.host === LOOPBACK6;
  return [
    `ServerType standalone\nDefaultServer on\nUseIPv6 ${v6 ? 'on' : 'off'}\n`,
    `DefaultAddress ${v6 ? LOOPBACK6 : LOOPBACK}\nSocketBindTight on\nPort ${port}\n`,
    `User nobody\nGroup ${GROUP}\n`,
    `PidFile ${join(dir, 'proftpd.pid')}\nScoreboardFile ${join(dir, 'proftpd.scoreboard')}\n`,
    'DelayEngine off\nWtmpLog off\nUseReverseDNS off\n',
    `SystemLog ${join(dir, 'system.log')}\nTransferLog ${join(dir, 'xfer.log')}\n`,
    `MaxInstances ${instances}\n`,
    optional('MaxClients', o.maxSessions),
    optional('MaxClientsPerHost', o.maxPerAddress),
    optional('TimeoutIdle', o.idleTimeoutMs === undefined ? undefined : o.idleTimeoutMs / 1000),
    optional('TimeoutStalled', o.dataTimeoutMs === undefined ? undefined : o.dataTimeoutMs / 1000),
    `PassivePorts ${range[0]} ${range[1]}\nMasqueradeAddress ${o.pasvAddress ?? LOOPBACK}\n`,
    `AuthPAM off\nRequireValidShell off\nAuthUserFile ${join(dir, 'ftpd.passwd')}\nAuthOrder mod_auth_file.c\n`,
    // AllowStoreRestart: stock proftpd answers REST+STOR and APPE with 451; the suites resume uploads.
    'DefaultRoot ~\nAllowOverwrite on\nAllowStoreRestart on\n',
    o.active === 'off' ? '<Limit PORT EPRT>\n  DenyAll\n</Limit>\n' : '',
    `<IfModule mod_dso.c>\n  ModulePath ${modules}\n${o.tls ? '  LoadModule mod_tls.c\n' : ''}</IfModule>\n`,
    o.tls ? tlsBlock(dir, o) : '',
  ].join('');
}

/**
 * AUTH TLS (or implicit TLS: `TLSOptions UseImplicitSSL`) with the launcher's certificate in `dir`: the
 * private CA's EC key goes in TLSECCertificateFile (mod_tls refuses it as an RSA one). Session reuse on
 * data connections is not required unless `tlsSessionReuse` (mod_tls requires it by default).
 */
function tlsBlock(dir: string, o: RealServerOptions): string {
  const kind = certificateKeyType(o) === 'ec' ? 'EC' : 'RSA';
  const options = [...(o.tlsSessionReuse === true ? [] : ['NoSessionReuseRequired']), ...(o.tlsImplicit ? ['UseImplicitSSL'] : [])];
  return [
    `<IfModule mod_tls.c>\n  TLSEngine on\n  TLSProtocol ${o.tlsMaxVersion === 'TLSv1.2' ? 'TLSv1.2' : 'TLSv1.2 TLSv1.3'}\n`,
    `  TLS${kind}CertificateFile ${join(dir, 'cert.pem')}\n  TLS${kind}CertificateKeyFile ${join(dir, 'key.pem')}\n`,
    `  TLSRequired ${o.tlsRequired ? 'on' : 'off'}\n`,
    options.length > 0 ? `  TLSOptions ${options.join(' ')}\n` : '',
    `  TLSLog ${join(dir, 'tls.log')}\n</IfModule>\n`,
  ].join('');
}

/**
 * A user's proftpd.conf merged for this instance (user-config-proftpd.ts): listening, paths, the login
 * and the module path are ours; the scenario's knobs win; the rest is the user's.
 */
function userConfig(userText: string, dir: string, port: number, range: readonly [number, number], o: RealServerOptions, modules: string) {
  const seconds = (ms: number | undefined) => (ms === undefined ? undefined : String(ms / 1000));
  const knobs = (
    [
      ['MaxClients', o.maxSessions === undefined ? undefined : String(o.maxSessions)],
      ['MaxClientsPerHost', o.maxPerAddress === undefined ? undefined : String(o.maxPerAddress)],
      ['TimeoutIdle', seconds(o.idleTimeoutMs)],
      ['TimeoutStalled', seconds(o.dataTimeoutMs)],
    ] as const
  ).flatMap(([name, value]) => (value === undefined ? [] : [[name, value] as const]));
  const loadsTls = /^\s*LoadModule\s+mod_tls\.c/im.test(userText);
  return mergeProftpdConf(
    userText,
    {
      forced: [
        ['ServerType', 'standalone'],
        ['DefaultServer', 'on'],
        ['UseIPv6', o.host === LOOPBACK6 ? 'on' : 'off'],
        ['DefaultAddress', o.host ?? LOOPBACK],
        ['SocketBindTight', 'on'],
        ['Port', String(port)],
        ['User', 'nobody'],
        ['Group', GROUP],
        ['PidFile', join(dir, 'proftpd.pid')],
        ['ScoreboardFile', join(dir, 'proftpd.scoreboard')],
        ['DelayTable', join(dir, 'proftpd.delay')],
        ['WtmpLog', 'off'],
        ['UseReverseDNS', 'off'],
        ['SystemLog', join(dir, 'system.log')],
        ['TransferLog', join(dir, 'xfer.log')],
        ['PassivePorts', `${range[0]} ${range[1]}`],
        ['MasqueradeAddress', o.pasvAddress ?? LOOPBACK],
        ['AuthPAM', 'off'],
        ['RequireValidShell', 'off'],
        ['AuthUserFile', join(dir, 'ftpd.passwd')],
        ['AuthOrder', 'mod_auth_file.c'],
        ['DefaultRoot', '~'],
        ['ModulePath', modules],
      ],
      knobs,
      fallback: [['MaxInstances', String(Math.max(STOCK_MAX_INSTANCES, (o.maxSessions ?? 0) + 10))]],
      tail: [
        o.active === 'off' ? '<Limit PORT EPRT>\n  DenyAll\n</Limit>\n' : '',
        o.tls && !loadsTls ? '<IfModule mod_dso.c>\n  LoadModule mod_tls.c\n</IfModule>\n' : '',
        o.tls ? tlsBlock(dir, o) : '',
      ].join(''),
      modules,
      dir,
      certificate: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') },
    },
    THIS_MACHINE,
  );
}

/** The handle's `tls`: UseImplicitSSL turns the one port implicit; reuse required only when asked. */
function tlsHandle(options: RealServerOptions, port: number) {
  const tls = tlsOffered(options, port, options.tlsImplicit ? port : undefined, options.tlsSessionReuse === true);
  return tls ? { tls } : {};
}

/** Makes a proftpd launcher (the default one is `proftpdLauncher`; tests point one at a missing binary). */
export function createProftpdLauncher(where: ProftpdLauncherOptions = {}): ProcessLauncher {
  const locate = (): Promise<string | undefined> => findBinary(where.binary ?? 'proftpd', where.serversRoot ?? SERVERS_ROOT);
  return {
    name: 'proftpd',
    protocol: 'ftp',
    install: INSTALL,
    installed: async () => (await locate()) !== undefined,
    unsupported,
    start: onFreePort(async (options) => {
      const reason = unsupported(options);
      if (reason) throw new RangeError(`proftpd: ${reason}`);
      const path = await locate();
      if (!path) throw new ServerNotInstalled('proftpd', INSTALL);
      const modules = resolve(dirname(path), '..', 'lib', 'proftpd');
      if (
        options.tls &&
        !(await access(join(modules, 'mod_tls.so')).then(
          () => true,
          () => false,
        ))
      ) {
        throw new ServerNotInstalled('proftpd', `${INSTALL}: ${join(modules, 'mod_tls.so')} is missing`);
      }
      const owner = await account('nobody');
      if (!owner) throw new Error('proftpd: no account nobody to map the login to');
      const password = randomBytes(12).toString('hex');
      const host = options.host ?? LOOPBACK;
      const { port } = options;
      const range = options.pasvRange ?? (await freePortRange(PASSIVE_RANGE_SIZE, host));
      let overridden: readonly Overridden[] | undefined;
      const launched = await launchServer({
        name: 'proftpd',
        prefix: 'wireprobe-proftpd-',
        port,
        implicitTls: options.tls === true && options.tlsImplicit === true,
        host,
        spawn: { isolate: where.isolate ?? 'auto', init: 'shell' }, // the server never inherits orphans (common.ts)
        prepare: async (dir) => {
          await chown(dir, 0, owner.gid);
          await chmod(dir, 0o710);
          const home = join(dir, 'home');
          await mkdir(home);
          await chown(home, owner.uid, owner.gid);
          const line = `${USER}:${await sha512Crypt(password)}:${owner.uid}:${owner.gid}::${home}:/bin/false\n`;
          await writeFile(join(dir, 'ftpd.passwd'), line, { mode: 0o600 });
          let text = config(dir, port, range, options, modules);
          let certificate = options.tls === true;
          if (options.configFile !== undefined) {
            const merged = userConfig(await readFile(options.configFile, 'utf8'), dir, port, range, options, modules);
            ({ text, overridden } = merged);
            certificate ||= merged.usesCertificate;
          }
          if (certificate) await writeLocalhostCertificate(dir, options.tlsCertificate);
          const file = join(dir, 'proftpd.conf');
          await writeFile(file, text, { mode: 0o600 });
          return { command: path, args: ['-n', '-q', '-c', file], logs: [join(dir, 'system.log')] };
        },
      });
      const home = join(launched.dir, 'home');
      return serverHandle(launched, {
        name: 'proftpd',
        protocol: 'ftp',
        port,
        storage: home,
        login: { user: USER, password, dir: '/' },
        read: (remote) => readUnder(home, remote),
        digest: (remote) => digestUnder(home, remote),
        put: (remote, data) => writeUnder(home, remote, data),
        ...(overridden ? { overridden } : {}),
        ...tlsHandle(options, port),
      });
    }),
  };
}

/** proftpd from PATH or unpacked under SERVERS_ROOT, with an AuthUserFile login chrooted into its upload directory. */
export const proftpdLauncher: ProcessLauncher = createProftpdLauncher();
