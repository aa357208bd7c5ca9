/**
 * The FTP finding ids of `wireprobe probe ftp://[user[:password]@]host[:port]`: stable, documented, part
 * of the JSON contract. Each with its source and what it checks in a few words (help text, README table);
 * the checks take their `rfc` from here. Their groups run in the order of ./registry.ts; each opens its
 * own sessions (one at a time, except the session ramp) and closes them. `value` holds what the check
 * measured.
 *
 * | id                 | what is sent                                         | pass                                        | value |
 * |--------------------|------------------------------------------------------|---------------------------------------------|-------|
 * | ftp.greeting       | connect                                              | 220 (120 first allowed) within 3 s          | seconds to the 220 (the code when refused) |
 * | ftp.login          | USER/PASS; for a named user, a wrong password in a second session | 230; wrong password 530        | the login's reply code |
 * | ftp.feat           | SYST, FEAT, TYPE I, then OPTS UTF8 ON, SIZE/MDTM of a missing file, REST 0, MLST for what FEAT lists | 211 with one-space-indented lines; every tried feature implemented (OPTS UTF8 ON only reported) | the features, `; `-separated |
 * | ftp.auth-tls       | FEAT, AUTH TLS, login, PBSZ 0, PROT P, LIST over TLS data (fresh session, then resumed); USER in clear on a second session | 234, 200, 200, 226; USER in clear refused | the TLS version |
 * | ftp.tls-versions   | per version: AUTH TLS, a handshake offering that version only | TLS 1.0 and 1.1 refused | versions accepted |
 * | ftp.pasv-address   | PASV; if its address is not the control peer: a connect there, and to the control address | the 227 address is the control peer (warn: another that works) | the 227 address |
 * | ftp.pasv-connect   | PASV, connect, LIST                                  | connected; 150 … 226                        | the passive port |
 * | ftp.epsv           | EPSV, connect, LIST; at the end EPSV ALL then PASV, PORT, EPRT (no transfer) | 229, 150 … 226; each refused after EPSV ALL | the EPSV port, the refusal's code, or `PORT accepted after EPSV ALL` |
 * | ftp.active         | PORT (EPRT over IPv6) to the probe's listener, LIST  | 200, the server connects back, 226          | the reply code to PORT/EPRT |
 * | ftp.port-bounce    | PORT 127.0.0.2,<unused port> (no transfer follows)   | refused (4xx/5xx) (RFC 2577)                | the reply code |
 * | ftp.pasv-range     | 8 PASV/EPSV in turn, each port connected to and closed (no transfer) | every port accepts a connection | `low-high (N seen)` |
 * | ftp.mlsd           | FEAT; if MLST is listed: MLSD over a data connection, MLST of a file it listed (or of the directory) | 150 … 226, each entry's facts parse; MLST 250 with one entry | MLSD entries |
 * | ftp.integrity      | TYPE I, STOR wireprobe-probe-<random>.bin (limits.uploadOctets random octets, default 8 MiB), SIZE, MDTM, RETR, DELE | 226, SIZE = octets sent, the download's SHA-256 matches, deleted | octets the server holds |
 * | ftp.resume         | EPSV/PASV + connect, then REST n + RETR; APPE + RETR; connect, REST n + STOR of the octets from n, RETR | 350 then only the last octets; APPE adds in place; the file unchanged after REST+STOR | octets received after REST |
 * | ftp.quota          | with limits.quotaOctets: TYPE I, STOR wireprobe-probe-<random>.bin of up to that many octets, SIZE, DELE | 452/552 with text, or all taken and SIZE equal | `552 after N octets`, `no limit within N octets` |
 * | ftp.data-timeout   | STOR, 64 KiB, then nothing (at most limits.maxDataIdleSeconds; skipped at 0), DELE | 426 (or 421) when the server gives up, or still open at the bound | `closed after N s idle with 426`, `still open after N s` |
 * | ftp.idle-timeout   | log in, then silence (at most limits.maxIdleSeconds; skipped at 0) | 421 then close, or none within the wait | seconds until the 421 / close |
 * | ftp.session-limit  | sessions opened and logged in one at a time, up to limits.maxSessions | refusal by 421 (530 at PASS warns; RST, silent close or no greeting fail), or no limit | sessions admitted |
 * | ftp.long-transfer  | after ftp.idle-timeout: STOR of 1 KiB every 250 ms for its idle timeout (or limits.maxIdleSeconds) + 2 s, the control connection silent; SIZE, DELE (skipped at maxIdleSeconds 0) | 226 after the FIN and SIZE = octets sent | `226 after N s`, `control connection closed after N s` |
 *
 * Safe by default: the only files written have unique names and are deleted (DELE) afterwards, even when
 * a check fails midway (in a new session if needed); the ramp stops at maxSessions; idle waits, the
 * stalled upload and the long one only when allowed; every wait is bounded by limits.replyTimeoutMs (for transfers: each
 * wait for progress, so a large upload that moves is not cut short); the only address named that is neither the
 * server's nor the probe's is the bounce check's 127.0.0.2 (loopback, nothing listening, no transfer).
 * A wrong password is tried once, for a named user only (fail2ban counts it). Per-address limits: when
 * the server is on a loopback address, the ramp adds one session from 127.0.0.2 (within maxSessions) to
 * tell a per-address limit from a total one; against a remote server the limit measured is the lower
 * of the two (every probe session comes from one address), and the advice does not guess which.
 */
import type { FindingInfo } from './types.js';

/** The FTP finding ids with their source and what each checks in a few words (help text, README table). */
export const FTP_FINDINGS = [
  { id: 'ftp.greeting', rfc: 'RFC 959 §4.2, §5.4', checks: 'a 220 greeting (a 120 first is fine), within 3 s (value: seconds)' },
  { id: 'ftp.login', rfc: 'RFC 959 §4.1.1, §5.4', checks: 'USER/PASS get 230 (value: code); for a named user a wrong password gets 530' },
  {
    id: 'ftp.feat',
    rfc: 'RFC 2389 §3.2; RFC 3659 §3, §4, §5, §7; RFC 2640 §3.2',
    checks:
      'FEAT gets 211 with one-space-indented lines (value: features); after TYPE I, SIZE, MDTM, REST STREAM, MLST work when listed (OPTS UTF8 ON: reported only)',
  },
  {
    id: 'ftp.auth-tls',
    rfc: 'RFC 4217 §4, §6, §9, §10.2',
    checks:
      'AUTH TLS gets 234 (FEAT lists it) and the handshake works, the login inside TLS, PBSZ 0 and PROT P get 200, a LIST over a TLS data connection (a fresh TLS session, then resuming the control one: whether reuse is required); USER in clear text before AUTH TLS refused (331 warns). ftps://: TLS from the first octet (value: TLS version)',
  },
  {
    id: 'ftp.tls-versions',
    rfc: 'RFC 8996; RFC 9325 §3.1.1',
    checks:
      'one extra connection per version (AUTH TLS, or ftps://), each offering TLS 1.0, 1.1, 1.2 or 1.3 alone: 1.0 or 1.1 accepted warns (value: versions accepted; SSLv3, RC4, export ciphers not tested)',
  },
  {
    id: 'ftp.pasv-address',
    rfc: 'RFC 959 §4.1.2; vsftpd pasv_address, proftpd MasqueradeAddress, pure-ftpd -P',
    checks: "the 227 address (value) is the control connection's peer; another that accepts warns, one that does not fails",
  },
  { id: 'ftp.pasv-connect', rfc: 'RFC 959 §3.2, §4.1.2', checks: 'the passive port (value) accepts a connection and LIST gets 150 … 226' },
  {
    id: 'ftp.epsv',
    rfc: 'RFC 2428 §3, §4',
    checks: 'EPSV gets 229 (value: port) and LIST works through it; after EPSV ALL, PASV, PORT and EPRT are each refused (value names any accepted)',
  },
  { id: 'ftp.active', rfc: 'RFC 959 §4.1.2; RFC 2428 §2', checks: 'PORT/EPRT to the probe get 200 (value: code) and the server connects back for LIST' },
  {
    id: 'ftp.port-bounce',
    rfc: 'RFC 2577 §2, §3; vsftpd port_promiscuous, proftpd AllowForeignAddress',
    checks: 'PORT naming a third-party address (127.0.0.2, nothing listening) is refused (value: code)',
  },
  {
    id: 'ftp.pasv-range',
    rfc: 'RFC 959 §3.2, §4.1.2; RFC 2428 §3; vsftpd pasv_min_port/pasv_max_port, proftpd PassivePorts, pure-ftpd -p',
    checks: '8 PASV/EPSV in turn: the span of passive ports handed out (value: `30000-30009 (8 seen)`); each accepts a connection',
  },
  {
    id: 'ftp.mlsd',
    rfc: 'RFC 3659 §7',
    checks: 'when FEAT lists MLST: MLSD gets 150 … 226 and every entry parses (type, size, modify); MLST gets 250 with one entry (value: MLSD entries)',
  },
  {
    id: 'ftp.integrity',
    rfc: 'RFC 959 §4.1.3; RFC 3659 §3, §4',
    checks:
      'an uploaded random file of --upload-size (default 8 MiB; unique name, deleted after) has the right SIZE and SHA-256 when downloaded; time and rate in the advice (value: octets held)',
  },
  {
    id: 'ftp.resume',
    rfc: 'RFC 3659 §5; RFC 959 §4.1.3',
    checks:
      "data connection, then REST n right before RETR brings only the rest (value: octets); APPE appends in place; REST n right before STOR of the file's octets from n on leaves it as it was",
  },
  {
    id: 'ftp.quota',
    rfc: 'RFC 959 §4.2, §5.4',
    checks:
      'with --quota-probe SIZE: an upload of up to SIZE octets (unique name, deleted after) is refused with 452 or 552 and text, or taken whole; a 226 for a truncated file, a reset or silence fails (value: `552 after N octets`, `no limit within N octets`)',
  },
  {
    id: 'ftp.data-timeout',
    rfc: 'RFC 959 §4.2; vsftpd data_connection_timeout, proftpd TimeoutStalled, pure-ftpd -I',
    checks: 'with --max-data-idle: an upload stalled after 64 KiB is aborted with 426 (value: "closed after N s idle with 426", or "still open after N s")',
  },
  { id: 'ftp.idle-timeout', rfc: 'RFC 959 §4.2', checks: 'with --max-idle: seconds until an idle session is closed (value), 421 first' },
  {
    id: 'ftp.session-limit',
    rfc: 'RFC 959 §4.2, §5.4',
    checks: 'sessions opened one by one up to --max-sessions: the limit (value), refused with 421, not a reset, silence or 530',
  },
  {
    id: 'ftp.long-transfer',
    rfc: 'RFC 959 §4.2; RFC 3659 §4; vsftpd idle_session_timeout, data_connection_timeout',
    checks:
      'with --max-idle: an upload trickling a few KiB a second for 2 s longer than the idle timeout ftp.idle-timeout measured gets its 226 and the right SIZE; a control connection closed, reset or 421 under it fails (value: "226 after N s", "control connection closed after N s")',
  },
] as const satisfies readonly FindingInfo[];

export type FtpFindingId = (typeof FTP_FINDINGS)[number]['id'];
