/**
 * The private Postfix instance the `postfix-relay` client runs per job: main.cf, master.cf and its queue
 * directories. It takes mail only from its own sendmail (no listening smtpd) and relays all of it to one
 * smarthost, the proxy: `relayhost = [HOST]:PORT` (brackets: no MX lookup, RFC 5321 §5.1).
 *
 * - Its SMTP client's timeouts are the job's socket timeout, in whole seconds (Postfix's unit).
 * - No retry of its own during a run (queue_run_delay and back-off of an hour): a deferred message is
 *   retried only when the adapter flushes it (`postqueue -i ID`), so the retries are counted.
 * - Its own Received header is dropped as the message is queued (header_checks), and it adds no
 *   header: the smarthost gets the job's message octet for octet.
 * - A bounce (from the null sender) is discarded, never relayed to the smarthost as another message.
 *
 * Kept apart from servers/real/postfix.ts: a client adapter imports nothing of servers/
 * (test/architecture.test.ts); the queue layout is the same, as `post-install create-missing` makes it.
 */
import { chmod, mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makePostfixQueue } from '../util/postfix-queue.js';
import type { SmtpJob } from './types.js';

/** Whole seconds for Postfix, at least 1. */
const seconds = (ms: number): string => `${Math.max(1, Math.ceil(ms / 1000))}s`;

/** What STARTTLS the SMTP client does, per TLS mode (postconf(5) smtp_tls_security_level). */
function tlsSettings(dir: string, job: SmtpJob): string[] {
  const mode = job.tls ?? 'none';
  if (mode === 'none') return ['smtp_tls_security_level = none'];
  if (mode === 'starttls') return ['smtp_tls_security_level = encrypt'];
  // `secure` checks the certificate's chain and that it names the next hop (the bracketed address).
  return ['smtp_tls_security_level = secure', 'smtp_tls_secure_cert_match = nexthop', `smtp_tls_CAfile = ${job.ca ?? `${dir}/etc/no-ca.pem`}`];
}

/** main.cf of the relay instance in `dir` for `job`. */
export function relayMainCf(dir: string, job: SmtpJob): string {
  const host = job.host.includes(':') ? `[ipv6:${job.host}]` : `[${job.host}]`;
  const timeout = seconds(job.timeouts.socket);
  return `${[
    'compatibility_level = 3.6',
    `queue_directory = ${dir}/spool`,
    `data_directory = ${dir}/data`,
    'mail_owner = postfix',
    'setgid_group = postdrop',
    'myhostname = relay.wireprobe.test',
    'mydomain = wireprobe.test',
    'myorigin = $mydomain',
    'mydestination =',
    'relay_domains =',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = all',
    'mynetworks = 127.0.0.0/8',
    `maillog_file = ${dir}/log/maillog`,
    `maillog_file_prefixes = ${dir}, /dev/stdout`,
    'alias_maps =',
    'alias_database =',
    'local_recipient_maps =',
    'smtputf8_enable = no',
    'biff = no',
    'local_header_rewrite_clients =',
    'always_add_missing_headers = no',
    // Postfix's own default (10240000) turned every larger message away at sendmail, before any
    // connection: the relay must not be what limits a scenario's size (0: no limit).
    'message_size_limit = 0',
    `relayhost = ${host}:${job.port}`,
    'default_transport = smtp',
    'relay_transport = smtp',
    `sender_dependent_default_transport_maps = texthash:${dir}/etc/null-sender`,
    `header_checks = regexp:${dir}/etc/header-checks`,
    'smtp_connection_cache_on_demand = no',
    'smtp_host_lookup = native',
    `smtp_connect_timeout = ${seconds(job.timeouts.connect)}`,
    `smtp_helo_timeout = ${seconds(Math.max(job.timeouts.greeting, job.timeouts.socket))}`,
    ...['mail', 'rcpt', 'data_init', 'data_xfer', 'data_done', 'quit', 'rset', 'starttls', 'xforward'].map((step) => `smtp_${step}_timeout = ${timeout}`),
    'queue_run_delay = 3600s',
    'minimal_backoff_time = 3600s',
    'maximal_backoff_time = 3600s',
    'delay_warning_time = 0',
    ...tlsSettings(dir, job),
  ].join('\n')}\n`;
}

/** master.cf: the daemons a queue needs to relay, no smtpd (mail comes in through sendmail). */
export const RELAY_MASTER_CF = `${[
  'pickup unix n - n 60 1 pickup',
  'cleanup unix n - n - 0 cleanup',
  'qmgr unix n - n 300 1 qmgr',
  'tlsmgr unix - - n 1000? 1 tlsmgr',
  'rewrite unix - - n - - trivial-rewrite',
  'bounce unix - - n - 0 bounce',
  'defer unix - - n - 0 bounce',
  'trace unix - - n - 0 bounce',
  'verify unix - - n - 1 verify',
  'flush unix n - n 1000? 0 flush',
  'proxymap unix - - n - - proxymap',
  'showq unix n - n - - showq',
  'error unix - - n - - error',
  'retry unix - - n - - error',
  'discard unix - - n - - discard',
  'smtp unix - - n - - smtp',
  'relay unix - - n - - smtp',
  'anvil unix - - n - 1 anvil',
  'scache unix - - n - 1 scache',
  'postlog unix-dgram n - n - 1 postlogd',
].join('\n')}\n`;

/**
 * Writes the instance's files into `dir` (mode 0755: Postfix's users traverse it): etc/ with both
 * config files and their tables, log/, data/ and the queue layout. Rejects when Postfix's users are missing.
 */
export async function writeRelayInstance(dir: string, job: SmtpJob): Promise<void> {
  await chmod(dir, 0o755);
  for (const sub of ['etc', 'log']) await mkdir(join(dir, sub));
  await writeFile(join(dir, 'etc', 'main.cf'), relayMainCf(dir, job));
  await writeFile(join(dir, 'etc', 'master.cf'), RELAY_MASTER_CF);
  await writeFile(join(dir, 'etc', 'null-sender'), '<> discard:\n');
  await writeFile(join(dir, 'etc', 'header-checks'), '/^Received:/ IGNORE\n');
  // Postfix waits for a main.cf under a second old to cool down (~2 s per command): date both back.
  const past = new Date(Date.now() - 60_000);
  for (const file of ['main.cf', 'master.cf']) await utimes(join(dir, 'etc', file), past, past);
  await makePostfixQueue(dir);
}
