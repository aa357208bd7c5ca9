/**
 * The SMTP finding ids: stable, documented, part of the JSON contract. Each with its source and what it
 * checks in a few words (the help text and the README table are made from this list).
 */
import type { FindingInfo } from './types.js';

export const SMTP_FINDINGS = [
  { id: 'smtp.greeting', rfc: 'RFC 5321 §3.1, §4.5.3.2.1', checks: 'a 220 greeting arrives, and how long it takes (value: seconds)' },
  {
    id: 'smtp.ehlo',
    rfc: 'RFC 5321 §4.1.1.1, §4.2.4, §3.8',
    checks: 'EHLO gets 250 with capabilities (value), HELO 250 on a session of its own, an unknown command 500 and the session stays open',
  },
  {
    id: 'smtp.starttls',
    rfc: 'RFC 3207 §4, §4.2',
    checks:
      'STARTTLS offered and works (smtps://, RFC 8314 §3.3: skipped, warns if advertised); 501 with an argument; after TLS STARTTLS not offered again and MAIL before EHLO refused (judged where clear text refuses it too)',
  },
  { id: 'smtp.starttls-injection', rfc: 'RFC 3207 §4, §4.2; CVE-2011-0411', checks: 'a command pipelined behind STARTTLS is not answered inside TLS' },
  { id: 'smtp.tls', rfc: 'RFC 8996; RFC 7817', checks: 'TLS 1.2 or newer (value: version); certificate in date, trusted, naming the host' },
  { id: 'smtp.auth', rfc: 'RFC 4954 §4', checks: 'no password mechanisms offered in clear text; `*` cancels with 501; the given credentials get 235' },
  {
    id: 'smtp.tls-versions',
    rfc: 'RFC 8996; RFC 9325 §3.1.1',
    checks:
      'one extra connection per version (STARTTLS, or smtps://), each offering TLS 1.0, 1.1, 1.2 or 1.3 alone: 1.0 or 1.1 accepted warns (value: versions accepted; SSLv3, RC4, export ciphers not tested)',
  },
  {
    id: 'smtp.size',
    rfc: 'RFC 1870 §4, §6.1',
    checks: 'MAIL SIZE= above the advertised limit (value: octets) gets 552 (taken: warn); with --send an oversized body gets 552 (taken: fail)',
  },
  { id: 'smtp.pipelining', rfc: 'RFC 2920 §3.2', checks: 'MAIL, RCPT, RCPT, DATA in one write get four replies in order, 354 last' },
  {
    id: 'smtp.bare-lf',
    rfc: 'RFC 5321 §4.1.1.4, §2.3.8; CVE-2023-51764',
    checks: 'bare-LF/CR end-of-data look-alikes, each on its own transaction, never end DATA (SMTP smuggling; value: those that did)',
  },
  { id: 'smtp.open-relay', rfc: 'RFC 5321 §3.6.2, §7.9; RFC 2505 §2.1', checks: 'without AUTH, a recipient in an outside domain is refused (5xx)' },
  {
    id: 'smtp.early-talk',
    rfc: 'RFC 5321 §3.1',
    checks: 'EHLO before the greeting: refused (554) is hardening, answered after the 220 is fine, answered before it fails',
  },
  {
    id: 'smtp.line-length',
    rfc: 'RFC 5321 §4.5.3.1.4, §4.5.3.1.6, §4.5.3.1.9',
    checks:
      'a 512-octet command line gets 250, a 2048-octet one a reply (500 is fine) and the session goes on; with --send a message with a 1000-octet text line gets 250',
  },
  {
    id: 'smtp.rcpt-limit',
    rfc: 'RFC 5321 §4.5.3.1.8, §4.5.3.1.10',
    checks: '101 RCPT (--rcpt repeated) in one transaction, then RSET: the first 100 get 250, past a limit 452 (value: recipients accepted)',
  },
  {
    id: 'smtp.drop-mid-data',
    rfc: 'RFC 5321 §4.1.1.10, §4.1.1.4',
    checks: 'part of a message, then the connection dropped inside DATA (once RST, once FIN): no 2xx to it, and the next session is served',
  },
  {
    id: 'smtp.smtputf8',
    rfc: 'RFC 6531 §3.1, §3.2, §3.4, §3.5; RFC 5321 §4.1.2',
    checks:
      'when SMTPUTF8 is offered: MAIL with SMTPUTF8 gets 250 and a UTF-8 address in RCPT is not refused for its syntax; without SMTPUTF8 it is refused (5xx)',
  },
  {
    id: 'smtp.8bitmime',
    rfc: 'RFC 6152 §2, §3; RFC 5321 §4.1.1.11',
    checks: 'when 8BITMIME is offered: MAIL with BODY=8BITMIME gets 250, BODY=BOGUS a refusal (501 or 555)',
  },
  {
    id: 'smtp.session-limit',
    rfc: 'RFC 5321 §3.8, §4.2.3',
    checks: 'sessions opened one by one up to --max-sessions: the limit (value) and a 421 refusal, not a reset or silence',
  },
  {
    id: 'smtp.idle-timeout',
    rfc: 'RFC 5321 §4.5.3.2.7, §3.8',
    checks: 'with --max-idle: seconds until an idle session is closed (value), 421 first, at least 5 minutes',
  },
  {
    id: 'smtp.chunking',
    rfc: 'RFC 3030 §2',
    checks:
      'if CHUNKING is offered: 250 to each BDAT chunk (a LAST chunk, delivering, only with --send; else RSET after the first) and 503 to DATA after a BDAT',
  },
] as const satisfies readonly FindingInfo[];

export type SmtpFindingId = (typeof SMTP_FINDINGS)[number]['id'];

/** Every SMTP finding id, in report order. */
export const SMTP_IDS: readonly SmtpFindingId[] = SMTP_FINDINGS.map((f) => f.id);
