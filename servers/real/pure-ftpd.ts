/**
 * pure-ftpd, the real one: `pure-ftpd -S 127.0.0.1,PORT ...` in the foreground (no -B), configured by
 * flags only. The login is a virtual user from a PureDB file made per start (`pure-pw mkdb` from a
 * passwd line with an `openssl passwd -6` hash: pure-pw's own hash costs ~3.5 s per login here),
 * mapped to nobody/nogroup and chrooted into DIR/home (handle.storage; remote `/`). No system
 * account is added or changed; anonymous logins are off (-E).
 *
 * Usually unpacked, not installed (it conflicts with vsftpd as a package): scripts/install/ftp-servers.sh
 * puts usr/sbin/pure-ftpd and usr/bin/pure-pw under $WIREPROBE_SERVERS_ROOT/root.
 *
 * What it cannot express (see `unsupported`): refusing active mode while keeping passive (its -N is
 * the reverse); an idle timeout other than whole minutes (-I, minimum 1); a data timeout apart from
 * the idle one (-I covers both). It logs only to syslog, which has no /dev/log here: its errors show
 * only in what it prints.
 *
 * Replies measured here (pure-ftpd 1.0.50, Debian 12), each instead of the greeting, then closed: -c
 * `421 N users (the maximum) are already logged in, sorry`; -C `421 Too many connections (N) from
 * this IP`. Idle (-I 1, after 60 s): `421 Timeout - try typing a little faster next time`. PORT/EPRT
 * naming an address other than the control connection's: `500 I won't open a connection to
 * 127.0.0.1 (only to 127.0.0.3)`; a passive data connection from another address is ignored (STOR
 * gets no reply while it waits for one from the control connection's address).
 */
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  PASSIVE_RANGE_SIZE,
  LOOPBACK,
  LOOPBACK6,
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
  sha512Crypt,
  writeLocalhostCertificate,
  openSslMaxVersionConf,
  tlsOffered,
  tlsUnsupported,
  type ProcessLauncher,
} from './common.js';
import { SERVERS_ROOT, ServerNotInstalled, type RealServerOptions } from './types.js';

/** Where to look for pure-ftpd and pure-pw; defaults: on PATH, then under SERVERS_ROOT. */
export interface PureFtpdLauncherOptions {
  /** Binary name or path; default 'pure-ftpd'. */
  readonly binary?: string;
  /** pure-pw name or path; default 'pure-pw'. */
  readonly purePw?: string;
  /** Root of unpacked packages; default SERVERS_ROOT. */
  readonly serversRoot?: string;
  /** 'auto' (default): in its own PID namespace when possible (see common.ts); 'never': a plain process group. */
  readonly isolate?: 'auto' | 'never';
}

const INSTALL = 'scripts/install/ftp-servers.sh (apt-get download pure-ftpd; dpkg-deb -x it into $WIREPROBE_SERVERS_ROOT/root)';
/** pure-ftpd's idle timeout when -I is not given: 15 minutes. */
const DEFAULT_IDLE_MS = 15 * 60_000;
const USER = 'wireprobe';

/** Why pure-ftpd cannot run with `options`, or undefined. */
function unsupported(options: RealServerOptions): string | undefined {
  const idle = options.idleTimeoutMs ?? DEFAULT_IDLE_MS;
  return (
    invalidOptions(options) ??
    notWhole(options.idleTimeoutMs, 60_000, 'pure-ftpd -I (idle time)') ??
    (options.dataTimeoutMs !== undefined && options.dataTimeoutMs !== idle
      ? `pure-ftpd has one timeout (-I, whole minutes) for idle control and stalled data connections: dataTimeoutMs must equal the idle timeout (${idle} ms), got ${options.dataTimeoutMs}`
      : undefined) ??
    (options.active === 'off' ? 'pure-ftpd cannot refuse PORT/EPRT and keep passive mode (its -N is the reverse: active only)' : undefined) ??
    (options.messageSizeLimit !== undefined ? 'messageSizeLimit is an SMTP knob; pure-ftpd has no upload size limit' : undefined) ??
    tlsUnsupported('pure-ftpd', options, { implicit: 'none', reuse: 'never' })
  );
}

/** The command-line flags for `options`. */
function flags(dir: string, port: number, range: readonly [number, number], o: RealServerOptions): string[] {
  // -S takes an IPv6 address as it is (`::1,PORT`); -4 (IPv4 only) only when on 127.0.0.1.
  const v6 = o.host === LOOPBACK6;
  const args = [
    '-S',
    `${v6 ? LOOPBACK6 : LOOPBACK},${port}`,
    ...(v6 ? [] : ['-4']),
    '-H',
    '-E',
    '-p',
    `${range[0]}:${range[1]}`,
    '-P',
    o.pasvAddress ?? LOOPBACK,
  ];
  args.push('-l', `puredb:${join(dir, 'pureftpd.pdb')}`, '-g', join(dir, 'pure-ftpd.pid'), '-O', `clf:${join(dir, 'xfer.log')}`);
  if (o.maxSessions !== undefined) args.push('-c', String(o.maxSessions));
  if (o.maxPerAddress !== undefined) args.push('-C', String(o.maxPerAddress));
  if (o.idleTimeoutMs !== undefined) args.push('-I', String(o.idleTimeoutMs / 60_000));
  else if (o.dataTimeoutMs !== undefined) args.push('-I', String(o.dataTimeoutMs / 60_000));
  // -Y 1: TLS optional; -Y 2: required for login (and PROT P accepted); -2: the certificate file (cert then key).
  if (o.tls) args.push('-Y', o.tlsRequired ? '2' : '1', '-2', join(dir, 'combined.pem'));
  return args;
}

/** The handle's `tls`: AUTH TLS only (no implicit mode), session reuse never required. */
function tlsHandle(options: RealServerOptions, port: number) {
  const tls = tlsOffered(options, port, undefined, false);
  return tls ? { tls } : {};
}

/** Makes a pure-ftpd launcher (the default one is `pureFtpdLauncher`; tests point one at a missing binary). */
export function createPureFtpdLauncher(where: PureFtpdLauncherOptions = {}): ProcessLauncher {
  const root = where.serversRoot ?? SERVERS_ROOT;
  const locate = async (): Promise<{ server: string; purePw: string } | undefined> => {
    const [server, purePw] = await Promise.all([findBinary(where.binary ?? 'pure-ftpd', root), findBinary(where.purePw ?? 'pure-pw', root)]);
    return server && purePw ? { server, purePw } : undefined;
  };
  return {
    name: 'pure-ftpd',
    protocol: 'ftp',
    install: INSTALL,
    installed: async () => (await locate()) !== undefined,
    unsupported,
    start: onFreePort(async (options) => {
      const reason = unsupported(options);
      if (reason) throw new RangeError(`pure-ftpd: ${reason}`);
      const paths = await locate();
      if (!paths) throw new ServerNotInstalled('pure-ftpd', INSTALL);
      const owner = await account('nobody');
      if (!owner) throw new Error('pure-ftpd: no account nobody to map the virtual user to');
      const password = randomBytes(12).toString('hex');
      const host = options.host ?? LOOPBACK;
      const { port } = options;
      const range = options.pasvRange ?? (await freePortRange(PASSIVE_RANGE_SIZE, host));
      const launched = await launchServer({
        name: 'pure-ftpd',
        prefix: 'wireprobe-pure-ftpd-',
        port,
        host,
        spawn: { isolate: where.isolate ?? 'auto', init: 'shell' }, // the server never inherits orphans (common.ts)
        prepare: async (dir) => {
          const home = join(dir, 'home');
          await mkdir(home);
          await chown(home, owner.uid, owner.gid);
          // user:hash:uid:gid:gecos:home, then limits left empty; "/./" chroots into home.
          const line = `${USER}:${await sha512Crypt(password)}:${owner.uid}:${owner.gid}::${home}/./::::::::::::\n`;
          await writeFile(join(dir, 'passwd'), line, { mode: 0o600 });
          await runHelper(paths.purePw, ['mkdb', join(dir, 'pureftpd.pdb'), '-f', join(dir, 'passwd')]);
          if (options.tls) await writeLocalhostCertificate(dir, options.tlsCertificate);
          if (options.tls && options.tlsMaxVersion) {
            // No protocol flag of its own: OpenSSL's config, through the environment.
            await writeFile(join(dir, 'openssl.cnf'), openSslMaxVersionConf(options.tlsMaxVersion));
            return { command: '/usr/bin/env', args: [`OPENSSL_CONF=${join(dir, 'openssl.cnf')}`, paths.server, ...flags(dir, port, range, options)] };
          }
          return { command: paths.server, args: flags(dir, port, range, options) };
        },
      });
      const home = join(launched.dir, 'home');
      return serverHandle(launched, {
        name: 'pure-ftpd',
        protocol: 'ftp',
        port,
        storage: home,
        login: { user: USER, password, dir: '/' },
        read: (remote) => readUnder(home, remote),
        digest: (remote) => digestUnder(home, remote),
        put: (remote, data) => writeUnder(home, remote, data),
        ...tlsHandle(options, port),
      });
    }),
  };
}

/** pure-ftpd from PATH or unpacked under SERVERS_ROOT, with a virtual user chrooted into its upload directory. */
export const pureFtpdLauncher: ProcessLauncher = createPureFtpdLauncher();
