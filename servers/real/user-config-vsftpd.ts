/**
 * A user's vsftpd.conf (`key=value` lines, `#` comments, the last value of a key wins), merged with
 * what a private instance on loopback must own: listening (address, port, foreground), the passive
 * range, the log and chroot paths, and the anonymous login our runs use, rooted in the launcher's
 * upload directory. Access rules, limits and timeouts are the user's. When the user's anonymous logins
 * are off, the anonymous login stands in for their local users: it may upload, make directories and
 * overwrite, so whether a client can upload is up to the user's write_enable, as for a local user.
 */
import { decide, type Machine, type Merged, missingPath, type Overridden, UserConfigSyntaxError } from './user-config.js';

/** vsftpd.conf's settings in file order, each key once (its last value). */
export function parseVsftpdConf(text: string): Map<string, string> {
  const settings = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (!match) throw new UserConfigSyntaxError(`line ${index + 1}: expected "key=value", got ${JSON.stringify(line.slice(0, 60))}`);
    settings.delete(match[1]!);
    settings.set(match[1]!, match[2]!);
  });
  return settings;
}

/** File settings that vsftpd opens: dropped when the file is not on this machine. */
const FILE_KEYS = new Set([
  'banner_file',
  'banned_email_file',
  'email_password_file',
  'chroot_list_file',
  'userlist_file',
  'user_config_dir',
  'local_root',
  'ca_certs_file',
  'dsa_cert_file',
  'dsa_private_key_file',
  'message_file',
]);
/** Accounts vsftpd switches to: dropped when the account is not on this machine (vsftpd would not start). */
const ACCOUNT_KEYS = new Set(['nopriv_user', 'guest_username', 'chown_username']);
/** The anonymous login's write rights, given when it stands in for the user's local users. */
const STAND_IN = { anon_upload_enable: 'YES', anon_mkdir_write_enable: 'YES', anon_other_write_enable: 'YES' } as const;

/** What the launcher gives the merger for one start. */
export interface VsftpdMergeInput {
  /** Keys the instance must own, written whatever the user says. */
  readonly forced: Readonly<Record<string, string>>;
  /** Scenario knobs (max_clients...): they win over the user's value, which is listed. */
  readonly knobs: Readonly<Record<string, string>>;
  /** Written only when the user's file has no such key. */
  readonly fallback: Readonly<Record<string, string>>;
  readonly certificate: { readonly certFile: string; readonly keyFile: string };
}

/** The merged vsftpd.conf, every change listed, and whether the launcher's certificate is used. */
export function mergeVsftpdConf(userText: string, input: VsftpdMergeInput, machine: Machine): Merged & { readonly usesCertificate: boolean } {
  const user = parseVsftpdConf(userText);
  const anonymousOn = (user.get('anonymous_enable') ?? 'YES').toUpperCase() === 'YES';
  const forced: Record<string, string> = { ...input.forced, ...(anonymousOn ? {} : STAND_IN) };
  const certificates: Record<string, string> = { rsa_cert_file: input.certificate.certFile, rsa_private_key_file: input.certificate.keyFile };
  const overridden: Overridden[] = [];
  const out = new Map<string, string>();
  let usesCertificate = false;
  for (const [key, value] of user) {
    let ours: string | undefined = value;
    if (key in forced) ours = forced[key];
    else if (key in input.knobs) ours = input.knobs[key];
    else if (key in certificates && missingPath(value, machine)) {
      ours = certificates[key];
      usesCertificate = true;
    } else if (FILE_KEYS.has(key) && missingPath(value, machine)) ours = undefined;
    else if (ACCOUNT_KEYS.has(key) && !machine.hasAccount(value)) ours = undefined;
    const written = decide(overridden, key, value, ours);
    if (written !== undefined) out.set(key, written);
  }
  for (const [key, value] of Object.entries({ ...input.fallback, ...forced, ...input.knobs })) {
    if (!user.has(key) || key in forced || key in input.knobs) out.set(key, value);
  }
  // vsftpd's default key file is the cert file: with ours in place, the key must be named too.
  if (usesCertificate && !out.has('rsa_private_key_file')) out.set('rsa_private_key_file', input.certificate.keyFile);
  return { text: [...out].map(([key, value]) => `${key}=${value}\n`).join(''), overridden, usesCertificate };
}
