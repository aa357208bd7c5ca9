/**
 * Exim, the real one: `exim4 -C DIR/exim.conf -bdf` (foreground daemon, no queue runner) on
 * 127.0.0.1:PORT with `queue_only`: every accepted message stays in DIR/spool/input as a `-H` (envelope
 * and headers) and a `-D` (body) file, written before the 250. Nothing is delivered: delivery would make
 * exim re-exec itself from its compiled-in path (/usr/sbin/exim4), which an unpacked copy is not at.
 *
 *   DIR/exim.conf   root-owned 0644 (exim refuses a config others may write)
 *   DIR/spool       spool_directory, owned by Debian-exim (handle.storage is DIR/spool/input)
 *   DIR/log         mainlog, paniclog, rejectlog, owned by Debian-exim
 *
 * Exim and Postfix conflict as Debian packages (mail-transport-agent): scripts/install/mta.sh installs
 * Postfix and unpacks exim4-daemon-light under SERVERS_ROOT/root (`dpkg-deb -x`, no maintainer script),
 * which runs here as is; an apt-installed exim4 on PATH is used first. Both need the Debian-exim
 * account (the binary looks it up before reading any config): start() creates it when missing.
 *
 * Replies measured here (exim 4.96, Debian 12), all instead of the greeting for the limits:
 * smtp_accept_max_per_host `421 Too many concurrent SMTP connections from this IP address; please try
 * again later.`; smtp_accept_max `421 Too many concurrent SMTP connections; please try again later.`;
 * idle `421 mx.example.test: SMTP command timeout - closing connection`; oversize, SIZE= at MAIL and a
 * body after the dot alike, `552 Message size exceeds maximum permitted` (the session goes on). A
 * message is in the spool when the 250 is sent.
 */
import { createReadStream } from 'node:fs';
import { chmod, chown, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  LOOPBACK,
  LOOPBACK6,
  account,
  findBinary,
  freePort,
  invalidOptions,
  launchServer,
  onFreePort,
  notWhole,
  runHelper,
  serverHandle,
  writeLocalhostCertificate,
  tlsOffered,
  tlsUnsupported,
  type Account,
  type ProcessLauncher,
} from './common.js';
import { SERVERS_ROOT, ServerNotInstalled, type RealServerOptions } from './types.js';
import { readWhole, type StoredMessage } from '../../src/util/stored-copies.js';

/** Where to look for exim; defaults: `exim4` on PATH (apt), then under SERVERS_ROOT (unpacked). */
export interface EximLauncherOptions {
  /** Binary name or path; default 'exim4'. */
  readonly binary?: string;
  /** Root of unpacked packages; default SERVERS_ROOT. */
  readonly serversRoot?: string;
}

const INSTALL = 'scripts/install/mta.sh (unpacks exim4-daemon-light under $WIREPROBE_SERVERS_ROOT/root: as a package it conflicts with postfix)';

/** The account exim's binary is built to run as (Debian's EXIM_USER). */
const EXIM_USER = 'Debian-exim';

/** Why Exim cannot run with `options`, or undefined. */
function unsupported(options: RealServerOptions): string | undefined {
  return (
    invalidOptions(options) ??
    notWhole(options.idleTimeoutMs, 1000, 'exim smtp_receive_timeout') ??
    (['pasvRange', 'pasvAddress', 'dataTimeoutMs', 'active'] as const)
      .filter((knob) => options[knob] !== undefined)
      .map((knob) => `${knob} is an FTP knob; Exim is an SMTP server`)[0] ??
    tlsUnsupported('exim', options, { implicit: 'extra-port', reuse: 'n/a' })
  );
}

/** The Debian-exim account; created (system account, as exim4-base's postinst would) when missing and we are root. */
async function eximAccount(): Promise<Account> {
  const existing = await account(EXIM_USER);
  if (existing) return existing;
  if (process.getuid?.() !== 0) throw new Error(`exim needs the system account ${EXIM_USER}: run scripts/install/mta.sh as root`);
  await runHelper('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/var/spool/exim4', '--shell', '/usr/sbin/nologin', EXIM_USER]);
  const created = await account(EXIM_USER);
  if (!created) throw new Error(`useradd ${EXIM_USER} succeeded but getent passwd finds no account`);
  return created;
}

/**
 * The runtime configuration. Absent options keep Exim's defaults (smtp_accept_max 20, no per-host
 * limit, smtp_receive_timeout 5m, message_size_limit 50M). Every recipient is accepted (a sink, like
 * the Postfix launcher): with queue_only and no routers nothing is ever delivered or relayed.
 */
function config(dir: string, port: number, o: RealServerOptions, implicitPort?: number): string {
  const lines = [
    'keep_environment =',
    'primary_hostname = mx.example.test',
    'qualify_domain = example.test',
    `spool_directory = ${dir}/spool`,
    `log_file_path = ${dir}/log/%slog`,
    `pid_file_path = ${dir}/exim.pid`,
    `daemon_smtp_ports = ${implicitPort === undefined ? port : `${port} : ${implicitPort}`}`,
    // An IPv6 address in a list needs another separator than ':' (`<;`, Exim spec §6.21).
    o.host === LOOPBACK6 ? `local_interfaces = <; ${LOOPBACK6}` : `local_interfaces = ${LOOPBACK}`,
    `disable_ipv6 = ${o.host === LOOPBACK6 ? 'false' : 'true'}`,
    'host_lookup =',
    'rfc1413_hosts =',
    'queue_only = true',
    // Default 9 retries 30 s apart when the port is taken: fail at once instead.
    'daemon_startup_retries = 0',
    'acl_smtp_rcpt = accept_all',
  ];
  // RFC 8314 §3.3: TLS from the first byte on the second port.
  if (implicitPort !== undefined) lines.push(`tls_on_connect_ports = ${implicitPort}`);
  // No MAIL in clear text: 530 (RFC 3207 §4) until STARTTLS.
  if (o.tls && o.tlsRequired) lines.push('acl_smtp_mail = require_tls');
  // Exim here is built with GnuTLS: its priority string caps the version.
  if (o.tls && o.tlsMaxVersion === 'TLSv1.2') lines.push('tls_require_ciphers = NORMAL:-VERS-TLS1.3');
  if (o.messageSizeLimit !== undefined) lines.push(`message_size_limit = ${o.messageSizeLimit}`);
  if (o.maxSessions !== undefined) lines.push(`smtp_accept_max = ${o.maxSessions}`);
  if (o.maxPerAddress !== undefined) lines.push(`smtp_accept_max_per_host = ${o.maxPerAddress}`);
  if (o.idleTimeoutMs !== undefined) lines.push(`smtp_receive_timeout = ${o.idleTimeoutMs / 1000}s`);
  // Exim 4.96 offers STARTTLS by default (with a certificate it makes up): say so either way.
  if (o.tls) lines.push(`tls_certificate = ${dir}/cert.pem`, `tls_privatekey = ${dir}/key.pem`, 'tls_advertise_hosts = *');
  else lines.push('tls_advertise_hosts =');
  lines.push('', 'begin acl', '', 'accept_all:', '  accept', '');
  if (o.tls && o.tlsRequired)
    lines.push('require_tls:', '  deny !encrypted = *', '    message = 530 5.7.0 Must issue a STARTTLS command first', '  accept', '');
  lines.push('begin routers', '', 'begin transports', '');
  return lines.join('\n');
}

/**
 * One spooled message's header section as exim would deliver it (its Received header first, LF line
 * ends): the header lines of the `-H` file, without those flagged deleted, and the empty line. In `-H`,
 * after the envelope and a blank line, each header is `NNNf text` with NNN its length in octets and f a
 * flag (`*`: deleted).
 */
function spooledHeader(header: Buffer): Buffer {
  const text = header.toString('latin1');
  let at = text.indexOf('\n\n');
  if (at < 0) throw new Error('exim -H file without a header section');
  at += 2;
  const headers: string[] = [];
  const prefix = /^(\d{3,})(.) /;
  while (at < text.length) {
    const match = prefix.exec(text.slice(at, at + 16));
    if (!match) break;
    const start = at + match[0].length;
    const length = Number(match[1]);
    if (match[2] !== '*') headers.push(text.slice(start, start + length));
    at = start + length;
  }
  return Buffer.from(`${headers.join('')}\n`, 'latin1');
}

/** Spooled message `id` as exim would deliver it, a piece at a time: its header section (`spooledHeader`), then the `-D` file after its first line (the file's own name). */
async function* spooledMessage(input: string, id: string): AsyncGenerator<Buffer> {
  yield spooledHeader(await readFile(join(input, `${id}-H`)));
  // Opened once the header is taken, and read at once (a loop left early closes it).
  let named = false;
  for await (const piece of createReadStream(join(input, `${id}-D`)) as AsyncIterable<Buffer>) {
    if (named) yield piece;
    else {
      const end = piece.indexOf(0x0a);
      named = end >= 0;
      if (named && end + 1 < piece.length) yield piece.subarray(end + 1);
    }
  }
}

/** Every message in the spool's input/ directory, oldest first, each read when asked (only complete ones: -H is written last). */
export async function eximSpool(input: string): Promise<StoredMessage[]> {
  const names = (await readdir(input).catch(() => [] as string[])).filter((name) => name.endsWith('-H'));
  const found: Array<{ readonly id: string; readonly mtime: bigint }> = [];
  for (const name of names) {
    const info = await stat(join(input, name), { bigint: true }).catch(() => undefined);
    if (info) found.push({ id: name.slice(0, -2), mtime: info.mtimeNs });
  }
  found.sort((a, b) => (a.mtime === b.mtime ? a.id.localeCompare(b.id) : a.mtime < b.mtime ? -1 : 1));
  return found.map(({ id }) => ({ name: id, read: () => spooledMessage(input, id) }));
}

/** Every message in the spool's input/ directory, oldest first, each whole (one gone meanwhile is left out). */
export async function readEximSpool(input: string): Promise<Buffer[]> {
  const messages: Buffer[] = [];
  for (const message of await eximSpool(input)) {
    const whole = await readWhole(message).catch(() => undefined);
    if (whole) messages.push(whole);
  }
  return messages;
}

/** The handle's `tls`: STARTTLS on `port`, and the implicit listener when one was asked for. */
function tlsHandle(options: RealServerOptions, port: number, implicitPort: number | undefined) {
  const tls = tlsOffered(options, port, implicitPort);
  return tls ? { tls } : {};
}

/** Makes an Exim launcher (the default one is `eximLauncher`; tests point one at a missing binary). */
export function createEximLauncher(where: EximLauncherOptions = {}): ProcessLauncher {
  const binary = where.binary ?? 'exim4';
  const locate = (): Promise<string | undefined> => findBinary(binary, where.serversRoot ?? SERVERS_ROOT);
  return {
    name: 'exim',
    protocol: 'smtp',
    install: INSTALL,
    installed: async () => (await locate()) !== undefined,
    unsupported,
    start: onFreePort(async (options) => {
      const reason = unsupported(options);
      if (reason) throw new RangeError(`exim: ${reason}`);
      const path = await locate();
      if (!path) throw new ServerNotInstalled('exim', INSTALL);
      const exim = await eximAccount();
      const host = options.host ?? LOOPBACK;
      const { port } = options;
      const implicitPort = options.tls && options.tlsImplicit ? await freePort(host) : undefined;
      const launched = await launchServer({
        name: 'exim',
        prefix: 'wireprobe-exim-',
        port,
        host,
        prepare: async (dir) => {
          await chmod(dir, 0o755); // Debian-exim traverses it
          for (const sub of ['spool', 'log']) {
            await mkdir(join(dir, sub), { mode: 0o750 });
            await chown(join(dir, sub), exim.uid, exim.gid);
          }
          if (options.tls) {
            const files = await writeLocalhostCertificate(dir, options.tlsCertificate);
            for (const file of [files.certFile, files.keyFile]) await chown(file, exim.uid, exim.gid);
          }
          const file = join(dir, 'exim.conf');
          await writeFile(file, config(dir, port, options, implicitPort), { mode: 0o644 });
          return { command: path, args: ['-C', file, '-bdf'], logs: [join(dir, 'log', 'mainlog'), join(dir, 'log', 'paniclog')] };
        },
      });
      const input = join(launched.dir, 'spool', 'input');
      return serverHandle(launched, {
        name: 'exim',
        protocol: 'smtp',
        port,
        storage: input,
        messages: () => readEximSpool(input),
        stored: () => eximSpool(input),
        ...tlsHandle(options, port, implicitPort),
      });
    }),
  };
}

/** Exim from PATH (apt) or unpacked under SERVERS_ROOT, queue_only, messages read from its spool. */
export const eximLauncher: ProcessLauncher = createEximLauncher();
