/**
 * The private Exim instance the `exim-relay` client runs per job: its runtime configuration, spool
 * and log directories, all under the job's temporary directory. No daemon: the message is queued from
 * the command line (`-odq`), and each delivery attempt is an `exim -M ID`.
 *
 * - One router (accept) and one smtp transport whose host is the proxy (`hosts`, `port`): a smarthost
 *   without MX lookup, as a manualroute to an IP literal would be (RFC 5321 §5.1).
 * - `hosts_try_chunking = *` (Exim's default, said here): BDAT to a server that offers CHUNKING
 *   (RFC 3030). No TLS unless the job asks (`hosts_avoid_tls = *`); no TCP Fast Open.
 * - Its timeouts are the job's, in whole seconds (Exim's unit).
 * - It adds no header: `received_header_text` empty (no Received), `suppress_local_fixups` (no
 *   Message-ID, Date, From or Sender of its own): the smarthost gets the job's message octet for octet.
 * - `queue_only`: a bounce Exim makes for a failed message stays in the spool, never relayed to the
 *   smarthost as another message (only the job's message is ever delivered, by `-M`).
 * - `exim_path`: where the binary is (an unpacked copy is not at its compiled-in /usr/sbin/exim4).
 *
 * Kept apart from servers/real/exim.ts: a client adapter imports nothing of servers/
 * (test/architecture.test.ts).
 */
import { chmod, chown, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemId } from '../util/postfix-queue.js';
import type { SmtpJob } from './types.js';

/** The account Debian's exim binary runs as (its compiled-in EXIM_USER). */
export const EXIM_USER = 'Debian-exim';

/** Whole seconds for Exim, at least 1. */
const seconds = (ms: number): string => `${Math.max(1, Math.ceil(ms / 1000))}s`;

/**
 * The transport's TLS, per TLS mode: none (`hosts_avoid_tls`), STARTTLS required (`hosts_require_tls`,
 * RFC 3207 §4) or TLS from the first octet (`protocol = smtps`, RFC 8314 §3.3); `-verify` checks the
 * chain against the job's CA (copied to DIR/ca.pem: Exim's user reads it) and the name against the
 * host, else nothing is verified.
 */
function tlsSettings(dir: string, job: SmtpJob): string[] {
  const mode = job.tls ?? 'none';
  if (mode === 'none') return ['  hosts_avoid_tls = *'];
  const verify = mode.endsWith('-verify')
    ? ['  tls_verify_hosts = *', `  tls_verify_certificates = ${job.ca ? `${dir}/ca.pem` : 'system'}`, '  tls_verify_cert_hostnames = *']
    : ['  tls_verify_hosts =', '  tls_try_verify_hosts =', '  tls_verify_cert_hostnames ='];
  return [...(mode.startsWith('implicit') ? ['  protocol = smtps'] : []), '  hosts_require_tls = *', ...verify];
}

/** The runtime configuration of the relay instance in `dir` for `job`, run from `binary`. */
export function relayEximConf(dir: string, job: SmtpJob, binary: string): string {
  const ipv6 = job.host.includes(':');
  return `${[
    'keep_environment =',
    `exim_path = ${binary}`,
    'primary_hostname = relay.wireprobe.test',
    'qualify_domain = wireprobe.test',
    `spool_directory = ${dir}/spool`,
    `log_file_path = ${dir}/log/%slog`,
    `pid_file_path = ${dir}/exim.pid`,
    `disable_ipv6 = ${ipv6 ? 'false' : 'true'}`,
    'host_lookup =',
    'rfc1413_hosts =',
    'queue_only = true',
    // Exim's own default (50M) would turn a larger message away at submission, before any
    // connection: the relay must not be what limits a scenario's size (0: no limit).
    'message_size_limit = 0',
    'received_header_text =',
    'acl_not_smtp_start = no_fixups',
    '',
    'begin acl',
    '',
    'no_fixups:',
    '  accept control = suppress_local_fixups',
    '',
    'begin routers',
    '',
    'smarthost:',
    '  driver = accept',
    '  transport = relay_smtp',
    '',
    'begin transports',
    '',
    'relay_smtp:',
    '  driver = smtp',
    // `<;`: a list whose separator is not ':', for an IPv6 address (Exim spec §6.21).
    `  hosts = <; ${job.host}`,
    `  port = ${job.port}`,
    '  allow_localhost',
    '  hosts_try_chunking = *',
    ...tlsSettings(dir, job),
    '  hosts_try_fastopen = :',
    `  connect_timeout = ${seconds(job.timeouts.connect)}`,
    `  command_timeout = ${seconds(Math.max(job.timeouts.greeting, job.timeouts.socket))}`,
    `  data_timeout = ${seconds(job.timeouts.socket)}`,
    `  final_timeout = ${seconds(job.timeouts.socket)}`,
    '',
    'begin retry',
    '',
    // No retry of its own: the adapter's `exim -M` is the one retry, counted.
    '* * F,1h,1h',
    '',
  ].join('\n')}`;
}

/**
 * Writes the instance into `dir` (mode 0755: Exim's user traverses it): exim.conf (root's, 0644:
 * Exim refuses a configuration others may write), spool/ and log/ owned by EXIM_USER. Rejects when
 * that account is missing.
 */
export async function writeEximRelay(dir: string, job: SmtpJob, binary: string): Promise<string> {
  const [uid, gid] = await Promise.all([systemId('passwd', EXIM_USER), systemId('group', EXIM_USER)]);
  if (uid === undefined || gid === undefined) throw new Error(`no ${EXIM_USER} account (run scripts/install/mta.sh)`);
  await chmod(dir, 0o755);
  for (const sub of ['spool', 'log']) {
    await mkdir(join(dir, sub), { mode: 0o750 });
    await chown(join(dir, sub), uid, gid);
  }
  if (job.ca && job.tls?.endsWith('-verify')) await copyFile(job.ca, join(dir, 'ca.pem'));
  const file = join(dir, 'exim.conf');
  await writeFile(file, relayEximConf(dir, job, binary), { mode: 0o644 });
  return file;
}
