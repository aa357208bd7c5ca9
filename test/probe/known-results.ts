/**
 * What `wireprobe probe` finds on each real server, started by its launcher with the configuration
 * below: one row per finding, each justified against its RFC. test/probe/known-results.test.ts fails
 * when a finding changes, and the README prints this table (between its known-results markers), so a
 * change to the probe or a launcher that changes a verdict is seen and explained, never silent.
 */
import type { RealServerLauncher, RealServerName, RealServerOptions } from '../../servers/real/index.js';
import { runProbe } from '../../src/probe/run.js';
import { DEFAULT_PROBE_LIMITS, type FindingStatus, type ProbeLimits, type ProbeReport } from '../../src/probe/types.js';

/** One expected finding. `value` absent: the value is not compared (it is measured and varies, e.g. a rate). */
export interface KnownRow {
  readonly id: string;
  readonly status: FindingStatus;
  readonly value?: number | string;
  /** Why this is the right verdict for this server, with the RFC clause. */
  readonly why: string;
}

export interface KnownServer {
  /** What the launcher is asked for (a stock configuration plus these knobs). */
  readonly options: RealServerOptions;
  /** The probe's limits beyond the defaults. */
  readonly limits: Partial<ProbeLimits>;
  /** The configuration in words, for the README. */
  readonly config: string;
  readonly rows: readonly KnownRow[];
}

/** Starts `launcher` as `known` says, probes it, stops it. */
export async function probeKnown(launcher: RealServerLauncher, known: KnownServer): Promise<ProbeReport> {
  const server = await launcher.start(known.options);
  try {
    const login = server.login ? { user: server.login.user, password: server.login.password } : {};
    return await runProbe({ protocol: launcher.protocol, host: server.host, port: server.port, ...login }, { ...DEFAULT_PROBE_LIMITS, ...known.limits });
  } finally {
    await server.close();
  }
}

export const KNOWN_RESULTS: Readonly<Record<RealServerName, KnownServer>> = {
  postfix: {
    options: { tls: true },
    limits: { send: true },
    config: 'Debian 12 Postfix 3.7 as the launcher configures it: mynetworks loopback, STARTTLS with a self-signed certificate, `--send`',
    rows: [
      { id: 'smtp.greeting', status: 'pass', why: '220 at once (RFC 5321 §3.1)' },
      {
        id: 'smtp.ehlo',
        status: 'pass',
        value: 'PIPELINING, SIZE 10240000, VRFY, ETRN, STARTTLS, ENHANCEDSTATUSCODES, 8BITMIME, DSN, CHUNKING',
        why: 'EHLO lists the extensions, HELO works on its own session, 500 to an unknown command (RFC 5321 §4.1.1.1, §4.2.4)',
      },
      {
        id: 'smtp.starttls',
        status: 'pass',
        why: '501 to an argument, 220 then TLS 1.3; MAIL without EHLO is taken inside TLS as in clear text (smtpd_helo_required = no), so it proves no kept state (RFC 3207 §4, §4.2)',
      },
      { id: 'smtp.starttls-injection', status: 'pass', why: 'a command pipelined behind STARTTLS is discarded (RFC 3207 §4.2; CVE-2011-0411 is fixed)' },
      {
        id: 'smtp.tls',
        status: 'warn',
        value: 'TLSv1.3',
        why: "TLS 1.3, but the launcher's certificate is self-signed: clients that verify refuse it (RFC 7817)",
      },
      { id: 'smtp.auth', status: 'skip', why: 'no AUTH offered (an MX needs none)' },
      {
        id: 'smtp.tls-versions',
        status: 'warn',
        value: 'TLSv1, TLSv1.1, TLSv1.2, TLSv1.3',
        why: 'TLS 1.0 and 1.1, each offered alone, are accepted: Postfix 3.7 excludes only SSLv2 and SSLv3 by default (smtpd_tls_protocols = >=TLSv1.2 would refuse them; RFC 8996)',
      },
      {
        id: 'smtp.size',
        status: 'pass',
        value: 10240000,
        why: 'message_size_limit 10240000: 552 to SIZE=10240001 at MAIL and to an undeclared larger body at its end (RFC 1870 §4, §6.1)',
      },
      { id: 'smtp.pipelining', status: 'pass', why: 'four pipelined commands, four replies in order (RFC 2920 §3.2)' },
      {
        id: 'smtp.bare-lf',
        status: 'fail',
        value: '\\n.\\n \\r\\n.\\n \\n.\\r\\n',
        why: 'Postfix before 3.9 (smtpd_forbid_bare_newline off) ends DATA at a bare-LF dot: SMTP smuggling (RFC 5321 §4.1.1.4; CVE-2023-51764)',
      },
      {
        id: 'smtp.open-relay',
        status: 'fail',
        why: 'mynetworks trusts loopback, where the probe connects from: it relays for it (RFC 5321 §3.6.2; the advice says to probe from outside)',
      },
      {
        id: 'smtp.early-talk',
        status: 'pass',
        why: 'an EHLO sent before the greeting is answered after the 220: accepted (postscreen, which would refuse it, is not in the launcher; RFC 5321 §3.1)',
      },
      {
        id: 'smtp.line-length',
        status: 'pass',
        why: 'NOOP lines of 512 and 2048 octets both get 250, and the --send message with a 1000-octet text line 250 at its end (RFC 5321 §4.5.3.1.4, §4.5.3.1.6)',
      },
      {
        id: 'smtp.rcpt-limit',
        status: 'pass',
        value: 101,
        why: '101 recipients in one transaction all get 250: no limit below the 100 RFC 5321 §4.5.3.1.8 requires',
      },
      {
        id: 'smtp.drop-mid-data',
        status: 'pass',
        why: 'a session dropped inside DATA by RST and by FIN ("lost connection after DATA") gets no 250 and the next session is served (RFC 5321 §4.1.1.10)',
      },
      { id: 'smtp.smtputf8', status: 'skip', why: 'smtputf8_enable = no (the launcher keeps it off): SMTPUTF8 is not offered (RFC 6531 §3.2)' },
      {
        id: 'smtp.8bitmime',
        status: 'pass',
        why: 'BODY=8BITMIME gets 250, BODY=BOGUS "555 5.5.4 Unsupported option: BODY=BOGUS" (RFC 6152 §2; RFC 5321 §4.1.1.11)',
      },
      { id: 'smtp.session-limit', status: 'pass', why: 'default smtpd process limit (100) above the 5 sessions tried (RFC 5321 §4.2.3)' },
      { id: 'smtp.idle-timeout', status: 'skip', why: 'only with --max-idle' },
      {
        id: 'smtp.chunking',
        status: 'pass',
        why: 'CHUNKING offered: 250 to each of two BDAT chunks (with --send the message is queued), "503 5.5.1 Error: DATA after BDAT" (RFC 3030 §2)',
      },
    ],
  },
  exim: {
    options: { tls: true },
    limits: { send: true },
    config: 'Debian 12 Exim 4.96 as the launcher configures it: queue_only, loopback relay, STARTTLS with a self-signed certificate, `--send`',
    rows: [
      { id: 'smtp.greeting', status: 'pass', why: '220 at once (RFC 5321 §3.1)' },
      {
        id: 'smtp.ehlo',
        status: 'pass',
        value: 'SIZE 52428800, 8BITMIME, PIPELINING, PIPECONNECT, CHUNKING, STARTTLS, SMTPUTF8, HELP',
        why: 'EHLO lists the extensions, HELO works, 500 to an unknown command (RFC 5321 §4.1.1.1, §4.2.4)',
      },
      {
        id: 'smtp.starttls',
        status: 'pass',
        why: '501 to an argument, TLS 1.3, MAIL before the new EHLO refused, STARTTLS not offered again (RFC 3207 §4, §4.2)',
      },
      { id: 'smtp.starttls-injection', status: 'pass', why: 'a command pipelined behind STARTTLS is discarded (RFC 3207 §4.2)' },
      { id: 'smtp.tls', status: 'warn', value: 'TLSv1.3', why: "TLS 1.3, but the launcher's certificate is self-signed (RFC 7817)" },
      { id: 'smtp.auth', status: 'skip', why: 'no AUTH offered' },
      {
        id: 'smtp.tls-versions',
        status: 'warn',
        value: 'TLSv1, TLSv1.1, TLSv1.2, TLSv1.3',
        why: "TLS 1.0 and 1.1, each offered alone, are accepted: Debian's Exim (GnuTLS, tls_require_ciphers unset) still allows them (RFC 8996)",
      },
      {
        id: 'smtp.size',
        status: 'pass',
        value: 52428800,
        why: "message_size_limit 50M: 552 to SIZE= above it at MAIL (RFC 1870 §6.1); the body check is skipped above the probe's 10 MiB",
      },
      { id: 'smtp.pipelining', status: 'pass', why: 'four pipelined commands, four replies in order (RFC 2920 §3.2)' },
      { id: 'smtp.bare-lf', status: 'pass', why: 'no look-alike ends DATA: Exim waits for <CRLF>.<CRLF> (RFC 5321 §4.1.1.4)' },
      { id: 'smtp.open-relay', status: 'fail', why: 'the launcher lets loopback relay, where the probe connects from (RFC 5321 §3.6.2)' },
      {
        id: 'smtp.early-talk',
        status: 'pass',
        why: 'an EHLO sent before the greeting is answered after the 220: this Exim does not enforce synchronisation at the greeting (RFC 5321 §3.1)',
      },
      {
        id: 'smtp.line-length',
        status: 'pass',
        why: 'NOOP lines of 512 and 2048 octets both get 250, and the --send message with a 1000-octet text line 250 at its end (RFC 5321 §4.5.3.1.4, §4.5.3.1.6)',
      },
      {
        id: 'smtp.rcpt-limit',
        status: 'pass',
        value: 101,
        why: '101 recipients in one transaction all get 250: no limit below the 100 RFC 5321 §4.5.3.1.8 requires',
      },
      {
        id: 'smtp.drop-mid-data',
        status: 'pass',
        why: 'a session dropped inside DATA by RST and by FIN gets no 250 and the next session is served (RFC 5321 §4.1.1.10)',
      },
      {
        id: 'smtp.smtputf8',
        status: 'warn',
        why: 'with SMTPUTF8 the UTF-8 recipient gets 250, but without it as well: RFC 5321 §4.1.2 wants a non-ASCII address refused (501; 553 with 5.6.7 in RFC 6531 §3.5)',
      },
      { id: 'smtp.8bitmime', status: 'pass', why: 'BODY=8BITMIME gets 250, BODY=BOGUS "501 invalid data for BODY" (RFC 6152 §2)' },
      { id: 'smtp.session-limit', status: 'pass', why: 'smtp_accept_max above the 5 sessions tried (RFC 5321 §4.2.3)' },
      { id: 'smtp.idle-timeout', status: 'skip', why: 'only with --max-idle' },
      {
        id: 'smtp.chunking',
        status: 'pass',
        why: 'CHUNKING offered: 250 to each of two BDAT chunks (with --send the message is queued), "503 only BDAT permissible after non-LAST BDAT" (RFC 3030 §2)',
      },
    ],
  },
  vsftpd: {
    options: { maxSessions: 3, idleTimeoutMs: 2_000 },
    limits: { maxIdleSeconds: 4 },
    config: 'Debian 12 vsftpd 3.0.3 as the launcher configures it: anonymous upload into /pub, max_clients 3, idle_session_timeout 2; `--max-idle 4`',
    rows: [
      { id: 'ftp.greeting', status: 'pass', why: '220 at once (RFC 959 §5.4)' },
      { id: 'ftp.login', status: 'pass', value: 230, why: 'anonymous: 331 then 230 (RFC 959 §4.1.1)' },
      {
        id: 'ftp.feat',
        status: 'pass',
        value: 'EPRT; EPSV; MDTM; PASV; REST STREAM; SIZE; TVFS',
        why: 'FEAT in the RFC 2389 §3.2 shape; MDTM, SIZE and REST (after TYPE I) answer as listed (RFC 3659)',
      },
      {
        id: 'ftp.auth-tls',
        status: 'warn',
        value: 'not offered',
        why: 'the launcher starts it without TLS: AUTH TLS is refused, logins and files travel in clear text (RFC 4217 §4)',
      },
      { id: 'ftp.tls-versions', status: 'skip', why: 'no AUTH TLS: no TLS to offer versions on' },
      { id: 'ftp.pasv-address', status: 'pass', value: '127.0.0.1', why: "the 227 names the control connection's address (RFC 959 §4.1.2)" },
      { id: 'ftp.pasv-connect', status: 'pass', why: 'LIST over the passive port (RFC 959 §3.2)' },
      {
        id: 'ftp.epsv',
        status: 'warn',
        value: 'EPRT accepted after EPSV ALL',
        why: 'vsftpd refuses PASV and PORT after EPSV ALL but takes EPRT: RFC 2428 §3 says every setup command but EPSV must be refused',
      },
      { id: 'ftp.active', status: 'pass', value: 200, why: 'PORT to the probe, and the server connects back (RFC 959 §4.1.2)' },
      { id: 'ftp.port-bounce', status: 'pass', value: 500, why: 'PORT to another address refused (port_promiscuous = NO; RFC 2577 §2)' },
      {
        id: 'ftp.pasv-range',
        status: 'pass',
        why: 'PASV and EPSV hand out ports of the 16-port range the launcher sets, each taking a connection (RFC 959 §4.1.2; RFC 2428 §3)',
      },
      { id: 'ftp.mlsd', status: 'skip', why: 'FEAT lists no MLST: vsftpd implements neither MLST nor MLSD, which are optional extensions (RFC 3659 §7)' },
      {
        id: 'ftp.integrity',
        status: 'warn',
        value: 8388608,
        why: 'SIZE says the 8 MiB arrived, but anonymous uploads are not readable back (anon_world_readable_only): the content cannot be compared',
      },
      { id: 'ftp.resume', status: 'skip', why: 'the file cannot be read back (see ftp.integrity)' },
      { id: 'ftp.quota', status: 'skip', why: 'only with --quota-probe (it writes until refused)' },
      { id: 'ftp.data-timeout', status: 'skip', why: 'only with --max-data-idle' },
      { id: 'ftp.idle-timeout', status: 'pass', why: 'idle_session_timeout 2: 421 Timeout. after about 2 s of silence, then the close (RFC 959 §4.2)' },
      { id: 'ftp.session-limit', status: 'pass', value: 3, why: 'max_clients 3: the fourth session gets 421 at connect (RFC 959 §5.4)' },
      {
        id: 'ftp.long-transfer',
        status: 'pass',
        why: 'an upload of 4 s (2 s past the idle timeout) with the control connection silent gets 226 and the right SIZE: vsftpd times a transfer by data_connection_timeout, not idle_session_timeout (RFC 959 §4.2)',
      },
    ],
  },
  'pure-ftpd': {
    options: { maxSessions: 3 },
    limits: {},
    config: 'Debian 12 pure-ftpd 1.0.50 as the launcher starts it: a virtual user, -c 3',
    rows: [
      { id: 'ftp.greeting', status: 'pass', why: 'a 5-line 220 at once (RFC 959 §5.4)' },
      { id: 'ftp.login', status: 'pass', value: 230, why: '331 then 230; a wrong password gets 530 (RFC 959 §4.1.1)' },
      {
        id: 'ftp.feat',
        status: 'pass',
        value:
          'UTF8; EPRT; IDLE; MDTM; SIZE; MFMT; REST STREAM; MLST type*;size*;sizd*;modify*;UNIX.mode*;UNIX.uid*;UNIX.gid*;unique*;; MLSD; PRET; AUTH TLS; PBSZ; PROT; TVFS; ESTA; PASV; EPSV',
        why: 'listed features answer as listed; its 504 to OPTS UTF8 ON is only reported, the command is not in RFC 2640',
      },
      {
        id: 'ftp.auth-tls',
        status: 'fail',
        why: 'built with TLS but started without it: FEAT still lists AUTH TLS, PBSZ and PROT, and AUTH TLS gets 500 (RFC 4217 §6: FEAT lists what the server supports)',
      },
      { id: 'ftp.tls-versions', status: 'skip', why: 'AUTH TLS refused: no TLS to offer versions on' },
      { id: 'ftp.pasv-address', status: 'pass', value: '127.0.0.1', why: "the 227 names the control connection's address (RFC 959 §4.1.2)" },
      { id: 'ftp.pasv-connect', status: 'pass', why: 'LIST over the passive port (RFC 959 §3.2)' },
      {
        id: 'ftp.epsv',
        status: 'warn',
        value: 'PASV accepted after EPSV ALL',
        why: 'pure-ftpd takes EPSV ALL (220, "active mode is disabled") and then refuses PORT and EPRT but still answers PASV: RFC 2428 §3 says PASV must be refused too',
      },
      { id: 'ftp.active', status: 'pass', value: 200, why: 'PORT to the probe, and the server connects back (RFC 959 §4.1.2)' },
      { id: 'ftp.port-bounce', status: 'pass', value: 500, why: 'PORT to another address refused (RFC 2577 §2)' },
      {
        id: 'ftp.pasv-range',
        status: 'pass',
        why: 'PASV and EPSV hand out ports of the 16-port range the launcher sets, each taking a connection (RFC 959 §4.1.2; RFC 2428 §3)',
      },
      {
        id: 'ftp.mlsd',
        status: 'pass',
        value: 2,
        why: 'MLSD lists the empty home (cdir, pdir) in facts that parse; MLST of the directory gets 250 with one entry (RFC 3659 §7)',
      },
      { id: 'ftp.integrity', status: 'pass', value: 8388608, why: '8 MiB up and down, SIZE and SHA-256 equal (RFC 959 §4.1.3; RFC 3659 §4)' },
      { id: 'ftp.resume', status: 'pass', value: 4194304, why: 'REST right before RETR brings the second half; APPE appends (RFC 3659 §5)' },
      { id: 'ftp.quota', status: 'skip', why: 'only with --quota-probe (it writes until refused)' },
      { id: 'ftp.data-timeout', status: 'skip', why: 'only with --max-data-idle' },
      { id: 'ftp.idle-timeout', status: 'skip', why: 'only with --max-idle' },
      { id: 'ftp.session-limit', status: 'pass', value: 3, why: '-c 3: the fourth session gets 421 at connect (RFC 959 §5.4)' },
      { id: 'ftp.long-transfer', status: 'skip', why: 'only with --max-idle' },
    ],
  },
  proftpd: {
    options: { maxSessions: 3 },
    limits: {},
    config: 'Debian 12 proftpd 1.3.8 as the launcher configures it: a virtual user, AllowStoreRestart on, MaxClients 3',
    rows: [
      { id: 'ftp.greeting', status: 'pass', why: '220 after its reverse lookup of loopback, under the 3 s the probe allows (RFC 959 §5.4)' },
      { id: 'ftp.login', status: 'pass', value: 230, why: '331 then 230; a wrong password gets 530 (RFC 959 §4.1.1)' },
      {
        id: 'ftp.feat',
        status: 'pass',
        value:
          'CLNT; CSID; EPRT; EPSV; HOST; LANG C.UTF-8*; MDTM; MFF modify;UNIX.group;UNIX.mode;; MFMT; MLST modify*;perm*;size*;type*;unique*;UNIX.group*;UNIX.groupname*;UNIX.mode*;UNIX.owner*;UNIX.ownername*;; RANG STREAM; REST STREAM; SIZE; TVFS; UTF8',
        why: 'listed features answer as listed (RFC 2389 §3.2; RFC 3659)',
      },
      {
        id: 'ftp.auth-tls',
        status: 'warn',
        value: 'not offered',
        why: 'the launcher starts it without TLS: AUTH TLS is refused, logins and files travel in clear text (RFC 4217 §4)',
      },
      { id: 'ftp.tls-versions', status: 'skip', why: 'no AUTH TLS: no TLS to offer versions on' },
      { id: 'ftp.pasv-address', status: 'pass', value: '127.0.0.1', why: "the 227 names the control connection's address (RFC 959 §4.1.2)" },
      { id: 'ftp.pasv-connect', status: 'pass', why: 'LIST over the passive port (RFC 959 §3.2)' },
      { id: 'ftp.epsv', status: 'pass', why: 'after EPSV ALL, PASV, PORT and EPRT are refused (RFC 2428 §3)' },
      { id: 'ftp.active', status: 'pass', value: 200, why: 'PORT to the probe, and the server connects back (RFC 959 §4.1.2)' },
      { id: 'ftp.port-bounce', status: 'pass', value: 500, why: 'PORT to another address refused (AllowForeignAddress off; RFC 2577 §2)' },
      {
        id: 'ftp.pasv-range',
        status: 'pass',
        why: 'PASV and EPSV hand out ports of the 16-port range the launcher sets, each taking a connection (RFC 959 §4.1.2; RFC 2428 §3)',
      },
      {
        id: 'ftp.mlsd',
        status: 'pass',
        value: 2,
        why: 'MLSD lists the empty home (cdir, pdir) in facts that parse; MLST of the directory gets 250 with one entry (RFC 3659 §7)',
      },
      { id: 'ftp.integrity', status: 'pass', value: 8388608, why: '8 MiB up and down, SIZE and SHA-256 equal (RFC 959 §4.1.3; RFC 3659 §4)' },
      { id: 'ftp.resume', status: 'pass', value: 4194304, why: 'REST right before RETR brings the second half; APPE appends (RFC 3659 §5)' },
      { id: 'ftp.quota', status: 'skip', why: 'only with --quota-probe (it writes until refused)' },
      { id: 'ftp.data-timeout', status: 'skip', why: 'only with --max-data-idle' },
      { id: 'ftp.idle-timeout', status: 'skip', why: 'only with --max-idle' },
      {
        id: 'ftp.session-limit',
        status: 'warn',
        value: 3,
        why: 'MaxClients 3 greets the fourth session and refuses it at PASS with 530, which clients report as a wrong password; RFC 959 §5.4 has 421 for a service that cannot take the session',
      },
      { id: 'ftp.long-transfer', status: 'skip', why: 'only with --max-idle' },
    ],
  },
};

/** The README section: one table per server, between `<!-- known-results -->` markers. */
export function renderKnownResults(): string {
  const out: string[] = [];
  for (const [name, known] of Object.entries(KNOWN_RESULTS)) {
    out.push(`**${name}** (${known.config}):`, '', '| finding | status | value | why |', '|---|---|---|---|');
    for (const row of known.rows) {
      const value = row.value === undefined ? '' : `\`${String(row.value).replaceAll('|', '\\|')}\``;
      out.push(`| \`${row.id}\` | ${row.status} | ${value} | ${row.why.replaceAll('|', '\\|')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
