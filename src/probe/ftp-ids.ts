/**
 * The FTP finding ids: stable, documented, part of the JSON contract. Each with its source and what it
 * checks in a few words (help text, README table); the checks take their `rfc` from here. See ./ftp.ts
 * for what each one sends.
 */

/** The FTP finding ids with their source and what each checks in a few words (help text, README table). */
export const FTP_FINDINGS = [
  { id: 'ftp.greeting', rfc: 'RFC 959 §4.2, §5.4', checks: 'a 220 greeting (a 120 first is fine), within 3 s (value: seconds)' },
  { id: 'ftp.login', rfc: 'RFC 959 §4.1.1, §5.4', checks: 'USER/PASS get 230 (value: code); for a named user a wrong password gets 530' },
  { id: 'ftp.feat', rfc: 'RFC 2389 §3.2; RFC 3659 §3, §4, §5, §7; RFC 2640 §3.2', checks: 'FEAT gets 211 with one-space-indented lines (value: features); after TYPE I, SIZE, MDTM, REST STREAM, MLST work when listed (OPTS UTF8 ON: reported only)' },
  { id: 'ftp.pasv-address', rfc: 'RFC 959 §4.1.2; vsftpd pasv_address, proftpd MasqueradeAddress, pure-ftpd -P', checks: 'the 227 address (value) is the control connection\'s peer; another that accepts warns, one that does not fails' },
  { id: 'ftp.pasv-connect', rfc: 'RFC 959 §3.2, §4.1.2', checks: 'the passive port (value) accepts a connection and LIST gets 150 … 226' },
  { id: 'ftp.epsv', rfc: 'RFC 2428 §3, §4', checks: 'EPSV gets 229 (value: port) and LIST works through it; after EPSV ALL, PASV, PORT and EPRT are each refused (value names any accepted)' },
  { id: 'ftp.active', rfc: 'RFC 959 §4.1.2; RFC 2428 §2', checks: 'PORT/EPRT to the probe get 200 (value: code) and the server connects back for LIST' },
  { id: 'ftp.port-bounce', rfc: 'RFC 2577 §2, §3; vsftpd port_promiscuous, proftpd AllowForeignAddress', checks: 'PORT naming a third-party address (127.0.0.2, nothing listening) is refused (value: code)' },
  { id: 'ftp.integrity', rfc: 'RFC 959 §4.1.3; RFC 3659 §3, §4', checks: 'an uploaded random file of --upload-size (default 8 MiB; unique name, deleted after) has the right SIZE and SHA-256 when downloaded; time and rate in the advice (value: octets held)' },
  { id: 'ftp.resume', rfc: 'RFC 3659 §5; RFC 959 §4.1.3', checks: 'data connection, then REST n right before RETR brings only the rest (value: octets); APPE appends in place' },
  { id: 'ftp.data-timeout', rfc: 'RFC 959 §4.2; vsftpd data_connection_timeout, proftpd TimeoutStalled, pure-ftpd -I', checks: 'with --max-data-idle: an upload stalled after 64 KiB is aborted with 426 (value: "closed after N s idle with 426", or "still open after N s")' },
  { id: 'ftp.idle-timeout', rfc: 'RFC 959 §4.2', checks: 'with --max-idle: seconds until an idle session is closed (value), 421 first' },
  { id: 'ftp.session-limit', rfc: 'RFC 959 §4.2, §5.4', checks: 'sessions opened one by one up to --max-sessions: the limit (value), refused with 421, not a reset, silence or 530' },
] as const;

export type FtpFindingId = (typeof FTP_FINDINGS)[number]['id'];

/** The source of an FTP finding id. */
export function ftpRfc(id: FtpFindingId): string {
  return FTP_FINDINGS.find((f) => f.id === id)?.rfc ?? '';
}
