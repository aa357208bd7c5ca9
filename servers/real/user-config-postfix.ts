/**
 * A user's Postfix main.cf, merged with what a private instance on loopback must own.
 *
 *   parse:  logical lines (a line starting with whitespace continues the one before; `#` lines and
 *           blank lines are skipped), `name = value`, the last definition of a name wins; values are
 *           kept as written (`$name` references are left for Postfix to expand).
 *   merge:  ours for the instance's keys (addresses, queue and log paths, where mail lands), outward
 *           keys removed (relayhost, transports, content filters, milters...), restriction items that
 *           ask DNS or a policy server dropped, maps and `/file/name` items that cannot be read here
 *           dropped (a setting left with none is removed, but for a restriction list), certificate
 *           paths that do not exist here replaced by the launcher's localhost certificate; every other
 *           setting (restrictions, limits, timeouts, banner) kept. Each change is listed.
 */
import { decide, type Machine, type Merged, missingPath, type Overridden, UserConfigSyntaxError } from './user-config.js';

/** main.cf's settings in file order, each name once (its last value). */
export function parseMainCf(text: string): Map<string, string> {
  const logical: Array<{ readonly line: number; text: string }> = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    if (/^\s*(#|$)/.test(raw)) return;
    const last = logical.at(-1);
    if (/^\s/.test(raw) && last) last.text += ` ${raw.trim()}`;
    else logical.push({ line: index + 1, text: raw.trim() });
  });
  const settings = new Map<string, string>();
  for (const { line, text: entry } of logical) {
    const match = /^([A-Za-z0-9_./-]+)\s*=\s*(.*)$/.exec(entry);
    if (!match) throw new UserConfigSyntaxError(`line ${line}: expected "name = value", got ${JSON.stringify(entry.slice(0, 60))}`);
    settings.delete(match[1]!);
    settings.set(match[1]!, match[2]!.trim());
  }
  return settings;
}

/** Keys that send mail or lookups elsewhere: removed, so Postfix's default (nothing outside) applies. */
const OUTWARD = new Set([
  'relayhost',
  'fallback_relay',
  'smtp_fallback_relay',
  'content_filter',
  'smtpd_proxy_filter',
  'smtpd_milters',
  'non_smtpd_milters',
  'transport_maps',
  'default_transport',
  'relay_transport',
  'local_transport',
  'virtual_transport',
  'mailbox_transport',
  'mailbox_transport_maps',
  'mailbox_command',
  'mailbox_command_maps',
  'fallback_transport',
  'fallback_transport_maps',
  'sender_dependent_relayhost_maps',
  'sender_dependent_default_transport_maps',
  'address_verify_relayhost',
  'address_verify_transport_maps',
  'always_bcc',
  'sender_bcc_maps',
  'recipient_bcc_maps',
  'luser_relay',
]);

/** Restriction items that ask DNS, a policy server or a remote MTA, with the argument each takes. */
const LOOKS_OUTSIDE: ReadonlyMap<string, boolean> = new Map([
  ...['reject_rbl_client', 'reject_rhsbl_client', 'reject_rhsbl_sender', 'reject_rhsbl_recipient', 'reject_rhsbl_helo', 'reject_rhsbl_reverse_client'].map(
    (name) => [name, true] as const,
  ),
  ...['permit_dnswl_client', 'permit_rhswl_client', 'check_policy_service'].map((name) => [name, true] as const),
  ...[
    'reject_unknown_client_hostname',
    'reject_unknown_reverse_client_hostname',
    'reject_unknown_client',
    'reject_unknown_helo_hostname',
    'reject_unknown_hostname',
    'reject_unknown_sender_domain',
    'reject_unknown_recipient_domain',
    'reject_unverified_sender',
    'reject_unverified_recipient',
    'permit_mx_backup',
  ].map((name) => [name, false] as const),
]);

/** Map types served by another process or host: never readable here. */
const REMOTE_MAPS = new Set(['ldap', 'mysql', 'pgsql', 'tcp', 'socketmap', 'memcache', 'nis', 'nisplus', 'netinfo']);
/** Indexed map types: the file Postfix opens is the source path plus this suffix. */
const INDEXED_MAPS: ReadonlyMap<string, string> = new Map([
  ['hash', '.db'],
  ['btree', '.db'],
  ['lmdb', '.lmdb'],
  ['cdb', '.cdb'],
  ['dbm', '.dir'],
  ['sdbm', '.dir'],
]);
const FILE_MAPS = new Set(['texthash', 'regexp', 'pcre', 'cidr', 'sqlite']);

/** Whether the map `token` (`type:name`) cannot be read here; false for anything that is not a map. */
function unusableMap(token: string, machine: Machine): boolean {
  const match = /^([a-z]+):(.+)$/.exec(token);
  if (!match) return false;
  const [, type = '', name = ''] = match;
  if (type === 'proxy') return unusableMap(name, machine);
  if (REMOTE_MAPS.has(type)) return true;
  const suffix = INDEXED_MAPS.get(type);
  if (suffix !== undefined) return missingPath(`${name}${suffix}`, machine);
  return FILE_MAPS.has(type) && missingPath(name, machine);
}

/** A value's items: split at commas and whitespace, `{...}` kept whole. */
function items(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let depth = 0;
  for (const char of value) {
    if (char === '{') depth++;
    if (char === '}') depth = Math.max(0, depth - 1);
    if (depth === 0 && (char === ',' || /\s/.test(char))) {
      if (current) out.push(current);
      current = '';
    } else current += char;
  }
  if (current) out.push(current);
  return out;
}

/** The value without its outside lookups and unreadable maps, or the value itself when it has none. */
function withoutOutside(value: string, machine: Machine): string {
  const kept: string[] = [];
  const all = items(value);
  let changed = false;
  for (let i = 0; i < all.length; i++) {
    const item = all[i]!;
    const takesArgument = LOOKS_OUTSIDE.get(item) ?? /^check_\w+_(mx|ns|a)_access$/.test(item);
    if (LOOKS_OUTSIDE.has(item) || /^check_\w+_(mx|ns|a)_access$/.test(item)) {
      changed = true;
      if (takesArgument) i++;
      continue;
    }
    // A `/file/name` item is read by Postfix for its list: one that is not here would be fatal.
    if (unusableMap(item, machine) || missingPath(item, machine)) {
      changed = true;
      if (kept.at(-1)?.startsWith('check_')) kept.pop(); // the restriction the map was the argument of
      continue;
    }
    kept.push(item);
  }
  return changed ? kept.join(', ') : value;
}

/** Our certificate in place of the user's where the user's file is not on this machine. */
function certificateKey(key: string, cert: { readonly certFile: string; readonly keyFile: string }): string | undefined {
  if (key === 'smtpd_tls_cert_file') return cert.certFile;
  if (key === 'smtpd_tls_key_file') return cert.keyFile;
  if (key === 'smtpd_tls_chain_files') return `${cert.keyFile}, ${cert.certFile}`;
  return undefined;
}

/** What the launcher gives the merger for one start. */
export interface PostfixMergeInput {
  /** Keys the instance must own (paths, addresses, delivery into its Maildir), written whatever the user says. */
  readonly forced: Readonly<Record<string, string>>;
  /** Scenario knobs (message_size_limit...): they win over the user's value, which is listed. */
  readonly knobs: Readonly<Record<string, string>>;
  /** Written only when the user's file has no such key (what a private instance needs a value for). */
  readonly fallback: Readonly<Record<string, string>>;
  /** Where the launcher's localhost certificate goes, should the user's be missing here. */
  readonly certificate: { readonly certFile: string; readonly keyFile: string };
}

/** The merged main.cf, every change listed, and whether the launcher's certificate is used. */
export function mergeMainCf(userText: string, input: PostfixMergeInput, machine: Machine): Merged & { readonly usesCertificate: boolean } {
  const user = parseMainCf(userText);
  const overridden: Overridden[] = [];
  const out = new Map<string, string>();
  let usesCertificate = false;
  for (const [key, value] of user) {
    let ours: string | undefined = value;
    if (key in input.forced) ours = input.forced[key];
    else if (key in input.knobs) ours = input.knobs[key];
    else if (OUTWARD.has(key) && value !== '') ours = undefined;
    // Its SASL backend (Dovecot's socket, saslauthd) is not in the private instance: smtpd dies before its greeting.
    else if (key === 'smtpd_sasl_auth_enable') ours = 'no';
    else if (/(_file|_files|_directory|_path|_CApath)$/.test(key) && items(value).some((path) => missingPath(path, machine))) {
      ours = certificateKey(key, input.certificate);
      usesCertificate ||= ours !== undefined;
    } else {
      ours = withoutOutside(value, machine);
      // `myorigin = /etc/mailname` without the file: Postfix's default, not an empty value.
      if (ours === '' && value !== '' && !key.endsWith('_restrictions')) ours = undefined;
    }
    const written = decide(overridden, key, value, ours);
    if (written !== undefined) out.set(key, written);
  }
  for (const [key, value] of Object.entries({ ...input.fallback, ...input.forced, ...input.knobs })) {
    if (!user.has(key) || key in input.forced || key in input.knobs) out.set(key, value);
  }
  // Postfix's default key file is the cert file: with ours in place, the key must be named too.
  if (usesCertificate && out.get('smtpd_tls_cert_file') === input.certificate.certFile && !user.has('smtpd_tls_key_file')) {
    out.set('smtpd_tls_key_file', input.certificate.keyFile);
  }
  const text = [...out].map(([key, value]) => `${key} = ${value}`).join('\n');
  return { text: `${text}\n`, overridden, usesCertificate };
}
