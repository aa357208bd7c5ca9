/**
 * `wireprobe probe ftp://[user[:password]@]host[:port]`: the FTP check groups, in the order they run.
 * Each group opens its own sessions (one at a time, except the session ramp) and closes them. The ids
 * below are part of the JSON contract: keep them stable. `value` holds what the check measured.
 *
 * | id                 | what is sent                                         | pass                                        | value |
 * |--------------------|------------------------------------------------------|---------------------------------------------|-------|
 * | ftp.greeting       | connect                                              | 220 (120 first allowed) within 3 s          | seconds to the 220 (the code when refused) |
 * | ftp.login          | USER/PASS; for a named user, a wrong password in a second session | 230; wrong password 530        | the login's reply code |
 * | ftp.feat           | SYST, FEAT, TYPE I, then OPTS UTF8 ON, SIZE/MDTM of a missing file, REST 0, MLST for what FEAT lists | 211 with one-space-indented lines; every tried feature implemented (OPTS UTF8 ON only reported) | the features, `; `-separated |
 * | ftp.pasv-address   | PASV; if its address is not the control peer: a connect there, and to the control address | the 227 address is the control peer (warn: another that works) | the 227 address |
 * | ftp.pasv-connect   | PASV, connect, LIST                                  | connected; 150 … 226                        | the passive port |
 * | ftp.epsv           | EPSV, connect, LIST; at the end EPSV ALL then PASV, PORT, EPRT (no transfer) | 229, 150 … 226; each refused after EPSV ALL | the EPSV port, the refusal's code, or `PORT accepted after EPSV ALL` |
 * | ftp.active         | PORT (EPRT over IPv6) to the probe's listener, LIST  | 200, the server connects back, 226          | the reply code to PORT/EPRT |
 * | ftp.port-bounce    | PORT 127.0.0.2,<unused port> (no transfer follows)   | refused (4xx/5xx) (RFC 2577)                | the reply code |
 * | ftp.integrity      | TYPE I, STOR wireprobe-probe-<random>.bin (limits.uploadOctets random octets, default 8 MiB), SIZE, MDTM, RETR, DELE | 226, SIZE = octets sent, the download's SHA-256 matches, deleted | octets the server holds |
 * | ftp.resume         | EPSV/PASV + connect, then REST n + RETR; APPE + RETR | 350 then only the last octets; APPE adds in place | octets received after REST |
 * | ftp.data-timeout   | STOR, 64 KiB, then nothing (at most limits.maxDataIdleSeconds; skipped at 0), DELE | 426 (or 421) when the server gives up, or still open at the bound | `closed after N s idle with 426`, `still open after N s` |
 * | ftp.idle-timeout   | log in, then silence (at most limits.maxIdleSeconds; skipped at 0) | 421 then close, or none within the wait | seconds until the 421 / close |
 * | ftp.session-limit  | sessions opened and logged in one at a time, up to limits.maxSessions | refusal by 421 (530 at PASS warns; RST, silent close or no greeting fail), or no limit | sessions admitted |
 *
 * Safe by default: the only files written have unique names and are deleted (DELE) afterwards, even when
 * a check fails midway (in a new session if needed); the ramp stops at maxSessions; idle waits and the
 * stalled upload only when allowed; every wait is bounded by limits.replyTimeoutMs (for transfers: each
 * wait for progress, so a large upload that moves is not cut short); the only address named that is neither the
 * server's nor the probe's is the bounce check's 127.0.0.2 (loopback, nothing listening, no transfer).
 * A wrong password is tried once, for a named user only (fail2ban counts it). Per-address limits: when
 * the server is on a loopback address, the ramp adds one session from 127.0.0.2 (within maxSessions) to
 * tell a per-address limit from a total one; against a remote server the limit measured is the lower
 * of the two (every probe session comes from one address), and the advice does not guess which.
 */
import { ftpDataChecks } from './ftp-data.js';
import { ftpDataTimeoutChecks } from './ftp-data-timeout.js';
import { ftpIntegrityChecks } from './ftp-integrity.js';
import { ftpLimitChecks } from './ftp-limits.js';
import { ftpLoginChecks } from './ftp-login.js';
import type { CheckGroup, Finding } from './types.js';

export { FTP_FINDINGS, type FtpFindingId } from './ftp-ids.js';

/** The FTP check groups, in order: greeting/login/feat, data connections, integrity/resume, a stalled upload, limits. */
export const FTP_GROUPS: CheckGroup[] = [ftpLoginChecks, ftpDataChecks, ftpIntegrityChecks, ftpDataTimeoutChecks, ftpLimitChecks];

/**
 * After the first group (greeting, login, feat): whether a session can be had at all. False when the
 * greeting or the login failed; run.ts then reports the other ids (FTP_FINDINGS) as `skip`.
 */
export function ftpSessionUsable(findings: readonly Finding[]): boolean {
  const ok = (id: string): boolean => findings.some((f) => f.id === id && (f.status === 'pass' || f.status === 'warn'));
  return ok('ftp.greeting') && ok('ftp.login');
}
