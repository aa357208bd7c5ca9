/**
 * Postfix's main.cf and master.cf for one private instance: the stock configuration the launcher
 * writes from RealServerOptions, or a user's main.cf merged with what the instance must own
 * (user-config-postfix.ts).
 */
import { join } from 'node:path';
import { certificateKeyType, LOOPBACK, LOOPBACK6 } from './common.js';
import type { RealServerOptions } from './types.js';
import { mergeMainCf } from './user-config-postfix.js';
import { type Machine, type Merged, THIS_MACHINE } from './user-config.js';

/** `nobody`/`nogroup` on Debian: the virtual agent writes into the Maildir as this uid and gid. */
export const MAILBOX_ID = 65534;

/** How a setting of ours meets a user's main.cf: always ours, a scenario knob, or only where the user has none. */
type Kind = 'forced' | 'knob' | 'fallback';

/**
 * main.cf's settings, in the order the stock file has them. What a scenario does not ask for keeps
 * Postfix's default, except what a private instance needs (paths, loopback only, a sink). Every
 * recipient domain is a virtual mailbox domain (`static:all`) mapped to the one Maildir:
 * u@example.test and the engine's sink@wireprobe.test alike are accepted and stored, nothing is
 * relayed. `local_header_rewrite_clients =` stops Postfix adding Message-Id/Date/From/To to a message
 * without them (its default counts 127.0.0.1 as local): a stored message is the sent one with trace
 * headers prepended, which the integrity check relies on, so a user's main.cf gets it too.
 */
function settings(dir: string, options: RealServerOptions): Array<readonly [string, string, Kind]> {
  const list: Array<readonly [string, string, Kind]> = [
    ['compatibility_level', '3.6', 'fallback'],
    ['queue_directory', `${dir}/spool`, 'forced'],
    ['data_directory', `${dir}/data`, 'forced'],
    ['mail_owner', 'postfix', 'forced'],
    ['setgid_group', 'postdrop', 'forced'],
    ['myhostname', 'mx.example.test', 'fallback'],
    ['mydomain', 'example.test', 'fallback'],
    ['mydestination', '', 'forced'],
    // On ::1 (options.host) Postfix must speak IPv6; its smtpd listens where master.cf says.
    ['inet_interfaces', options.host === LOOPBACK6 ? `[${LOOPBACK6}]` : LOOPBACK, 'forced'],
    ['inet_protocols', options.host === LOOPBACK6 ? 'ipv6' : 'ipv4', 'forced'],
    ['mynetworks', options.host === LOOPBACK6 ? '127.0.0.0/8, [::1]/128' : '127.0.0.0/8', 'fallback'],
    // No syslog here: postlogd writes this file. The prefixes list is required (else fatal, rc=1, no output).
    ['maillog_file', `${dir}/log/maillog`, 'forced'],
    ['maillog_file_prefixes', `${dir}, /dev/stdout`, 'forced'],
    ['alias_maps', '', 'forced'],
    ['alias_database', '', 'forced'],
    ['local_recipient_maps', '', 'forced'],
    ['smtputf8_enable', 'no', 'fallback'],
    // No reverse DNS for clients (127.0.0.2... are not in /etc/hosts): no queries leave the machine.
    ['smtpd_peername_lookup', 'no', 'forced'],
    ['biff', 'no', 'fallback'],
    ['local_header_rewrite_clients', '', 'forced'],
    ['virtual_mailbox_domains', 'static:all', 'forced'],
    ['virtual_mailbox_base', `${dir}/mail`, 'forced'],
    ['virtual_mailbox_maps', 'static:inbox/', 'forced'],
    ['virtual_uid_maps', `static:${MAILBOX_ID}`, 'forced'],
    ['virtual_gid_maps', `static:${MAILBOX_ID}`, 'forced'],
    // message_size_limit may not exceed these (fatal at start): 0 is no mailbox limit.
    ['virtual_mailbox_limit', '0', 'forced'],
    ['mailbox_size_limit', '0', 'forced'],
    ['smtpd_relay_restrictions', 'permit_mynetworks, reject_unauth_destination', 'fallback'],
  ];
  if (options.messageSizeLimit !== undefined) list.push(['message_size_limit', String(options.messageSizeLimit), 'knob']);
  if (options.idleTimeoutMs !== undefined) list.push(['smtpd_timeout', `${options.idleTimeoutMs / 1000}s`, 'knob']);
  if (options.maxPerAddress !== undefined) {
    // Without the empty exceptions list $mynetworks, all of loopback, is exempt from the limit.
    list.push(['smtpd_client_connection_count_limit', String(options.maxPerAddress), 'knob'], ['smtpd_client_event_limit_exceptions', '', 'knob']);
  }
  if (options.tls) {
    // An EC key (the private CA's) goes in smtpd_tls_chain_files (Postfix >= 3.4, any algorithm), key first.
    const ec = certificateKeyType(options) === 'ec';
    list.push(
      ...(ec
        ? [['smtpd_tls_chain_files', `${dir}/key.pem, ${dir}/cert.pem`, 'knob'] as const]
        : [['smtpd_tls_cert_file', `${dir}/cert.pem`, 'knob'] as const, ['smtpd_tls_key_file', `${dir}/key.pem`, 'knob'] as const]),
      ['smtpd_tls_security_level', options.tlsRequired ? 'encrypt' : 'may', 'knob'],
    );
    if (options.tlsMaxVersion === 'TLSv1.2') list.push(['smtpd_tls_protocols', '>=TLSv1, <=TLSv1.2', 'knob']);
  }
  return list;
}

/**
 * main.cf for the instance in `dir`: the stock one (plus `extra` lines), or the user's `userText`
 * merged. `usesCertificate`: the launcher must write its localhost certificate into `dir`.
 */
export function mainCf(
  dir: string,
  options: RealServerOptions,
  extra: readonly string[] = [],
  userText?: string,
  machine: Machine = THIS_MACHINE,
): Merged & { readonly usesCertificate: boolean } {
  const list = settings(dir, options);
  if (userText === undefined) {
    const lines = [...list.map(([key, value]) => `${key} = ${value}`.trimEnd()), ...extra];
    return { text: `${lines.join('\n')}\n`, overridden: [], usesCertificate: options.tls === true };
  }
  const of = (kind: Kind) => Object.fromEntries(list.filter(([, , k]) => k === kind).map(([key, value]) => [key, value]));
  const certificate = { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
  const merged = mergeMainCf(userText, { forced: of('forced'), knobs: of('knob'), fallback: of('fallback'), certificate }, machine);
  const text = extra.length > 0 ? `${merged.text}${extra.join('\n')}\n` : merged.text;
  return { ...merged, text, usesCertificate: merged.usesCertificate || options.tls === true };
}

/**
 * master.cf: chroot `n` on every line (no jail to populate), the inet smtpd with maxproc = maxSessions
 * ('-': default_process_limit, 100), and with `implicitPort` a second smtpd there in wrapper mode. At the process limit Postfix does not answer at all: the next
 * client waits in the listen backlog, without a greeting, until an smtpd is free.
 */
export function masterCf(port: number, options: RealServerOptions, implicitPort?: number): string {
  return [
    `${options.host === LOOPBACK6 ? `[${LOOPBACK6}]` : LOOPBACK}:${port} inet n - n - ${options.maxSessions ?? '-'} smtpd`,
    // RFC 8314 §3.3 submission over implicit TLS ("smtps"): the handshake first, TLS required.
    ...(implicitPort === undefined
      ? []
      : [
          `${options.host === LOOPBACK6 ? `[${LOOPBACK6}]` : LOOPBACK}:${implicitPort} inet n - n - ${options.maxSessions ?? '-'} smtpd -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt`,
        ]),
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
    'proxywrite unix - - n - 1 proxymap',
    'showq unix n - n - - showq',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'virtual unix - n n - - virtual',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
    '',
  ].join('\n');
}
