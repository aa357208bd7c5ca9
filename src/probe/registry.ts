/**
 * The registry of checks, both protocols alike: each group with its protocol, the finding ids it
 * reports (their sources are in the id tables, ./ids.ts) and how it runs, in run order. run.ts runs a
 * protocol's groups from here; test/probe/registry.test.ts keeps the groups' ids and the id tables in step.
 */
import { ftpAuthTlsChecks } from './ftp-auth-tls.js';
import { ftpDataChecks } from './ftp-data.js';
import { ftpDataTimeoutChecks } from './ftp-data-timeout.js';
import { ftpIntegrityChecks } from './ftp-integrity.js';
import { ftpLimitChecks } from './ftp-limits.js';
import { ftpLoginChecks, ftpSessionUsable } from './ftp-login.js';
import { ftpLongTransferChecks } from './ftp-long-transfer.js';
import { ftpMlsdChecks } from './ftp-mlsd.js';
import { ftpPasvRangeChecks } from './ftp-pasv-range.js';
import { ftpQuotaChecks } from './ftp-quota.js';
import { ftpTlsVersionsChecks } from './ftp-tls-versions.js';
import { FINDINGS, type FindingId } from './ids.js';
import { smtpChunkingGroup } from './smtp-chunking.js';
import { smtpDataGroup } from './smtp-data.js';
import { smtpDropGroup } from './smtp-drop.js';
import { smtpEarlyGroup } from './smtp-early.js';
import { smtpLinesGroup } from './smtp-lines.js';
import { smtpRcptGroup } from './smtp-rcpt.js';
import { smtpGreetingGroup, smtpSessionUsable } from './smtp-greeting.js';
import { smtpLimitsGroup } from './smtp-limits.js';
import { smtpRelayGroup } from './smtp-relay.js';
import { smtpTlsAnyGroup } from './smtp-implicit-tls.js';
import { smtpTlsVersionsGroup } from './smtp-tls-versions.js';
import { smtpUtf8Group } from './smtp-utf8.js';
import type { CheckGroup, Finding, ProbeTarget } from './types.js';

type Protocol = ProbeTarget['protocol'];

/** One group of checks as registered. */
export interface RegisteredGroup {
  readonly protocol: Protocol;
  /** The finding ids it reports, in report order. */
  readonly ids: readonly FindingId[];
  readonly run: CheckGroup;
  /**
   * It changes the server and undoes that when interrupted (the FTP uploads of integrity, quota, data-timeout and long-transfer):
   * after an interrupt it is awaited to its end; any other group is abandoned at once (an idle wait may
   * be long). Default false.
   */
  readonly cleansUp?: boolean;
}

/** Every group, in the order a protocol's groups run: session first, limits (the slow waits) last. */
export const CHECK_GROUPS: readonly RegisteredGroup[] = [
  { protocol: 'smtp', ids: ['smtp.greeting', 'smtp.ehlo'], run: smtpGreetingGroup },
  { protocol: 'smtp', ids: ['smtp.starttls', 'smtp.starttls-injection', 'smtp.tls', 'smtp.auth'], run: smtpTlsAnyGroup },
  { protocol: 'smtp', ids: ['smtp.tls-versions'], run: smtpTlsVersionsGroup },
  { protocol: 'smtp', ids: ['smtp.size', 'smtp.pipelining', 'smtp.bare-lf'], run: smtpDataGroup },
  { protocol: 'smtp', ids: ['smtp.open-relay'], run: smtpRelayGroup },
  { protocol: 'smtp', ids: ['smtp.early-talk'], run: smtpEarlyGroup },
  { protocol: 'smtp', ids: ['smtp.line-length'], run: smtpLinesGroup },
  { protocol: 'smtp', ids: ['smtp.rcpt-limit'], run: smtpRcptGroup },
  { protocol: 'smtp', ids: ['smtp.drop-mid-data'], run: smtpDropGroup },
  { protocol: 'smtp', ids: ['smtp.smtputf8', 'smtp.8bitmime'], run: smtpUtf8Group },
  { protocol: 'smtp', ids: ['smtp.session-limit', 'smtp.idle-timeout'], run: smtpLimitsGroup },
  { protocol: 'ftp', ids: ['ftp.greeting', 'ftp.login', 'ftp.feat'], run: ftpLoginChecks },
  { protocol: 'ftp', ids: ['ftp.auth-tls'], run: ftpAuthTlsChecks },
  { protocol: 'ftp', ids: ['ftp.tls-versions'], run: ftpTlsVersionsChecks },
  { protocol: 'ftp', ids: ['ftp.pasv-address', 'ftp.pasv-connect', 'ftp.epsv', 'ftp.active', 'ftp.port-bounce'], run: ftpDataChecks },
  { protocol: 'ftp', ids: ['ftp.pasv-range'], run: ftpPasvRangeChecks },
  { protocol: 'ftp', ids: ['ftp.mlsd'], run: ftpMlsdChecks },
  { protocol: 'ftp', ids: ['ftp.integrity', 'ftp.resume'], run: ftpIntegrityChecks, cleansUp: true },
  { protocol: 'ftp', ids: ['ftp.quota'], run: ftpQuotaChecks, cleansUp: true },
  { protocol: 'ftp', ids: ['ftp.data-timeout'], run: ftpDataTimeoutChecks, cleansUp: true },
  { protocol: 'ftp', ids: ['ftp.idle-timeout', 'ftp.session-limit'], run: ftpLimitChecks },
  { protocol: 'ftp', ids: ['ftp.long-transfer'], run: ftpLongTransferChecks, cleansUp: true },
  { protocol: 'smtp', ids: ['smtp.chunking'], run: smtpChunkingGroup },
];

/**
 * After a protocol's first group (its session: greeting, then EHLO or login): whether a session can
 * be had at all. When not, run.ts reports the other ids as `skip` instead of waiting on each.
 */
const SESSION_USABLE: Readonly<Record<Protocol, (findings: readonly Finding[]) => boolean>> = {
  smtp: smtpSessionUsable,
  ftp: ftpSessionUsable,
};

/** A protocol's checks as run.ts runs them (tests pass their own). */
export interface ProtocolChecks {
  readonly groups: readonly CheckGroup[];
  /** After the first group: false stops the run; every id in `ids` not yet reported is then a `skip`. */
  readonly usable?: (findings: readonly Finding[]) => boolean;
  /** Every finding id, in report order, with its source (for the skips above). */
  readonly ids?: readonly { readonly id: string; readonly rfc: string }[];
  /** Groups awaited to their end after an interrupt (RegisteredGroup.cleansUp). */
  readonly cleansUp?: readonly CheckGroup[];
}

/** A protocol's checks, from the registry. */
export function checksOf(protocol: Protocol): ProtocolChecks {
  const groups = CHECK_GROUPS.filter((g) => g.protocol === protocol);
  return {
    groups: groups.map((g) => g.run),
    usable: SESSION_USABLE[protocol],
    ids: FINDINGS.filter((f) => f.protocol === protocol).map(({ id, rfc }) => ({ id, rfc })),
    cleansUp: groups.filter((g) => g.cleansUp).map((g) => g.run),
  };
}

/** Each protocol's checks. */
export const PROBE_CHECKS: Readonly<Record<Protocol, ProtocolChecks>> = { smtp: checksOf('smtp'), ftp: checksOf('ftp') };
