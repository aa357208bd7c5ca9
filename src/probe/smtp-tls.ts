/**
 * SMTP TLS and AUTH: `smtp.starttls`, `smtp.tls`, `smtp.auth` on one connection, then
 * `smtp.starttls-injection` on a second.
 *
 *   1: EHLO ─► STARTTLS x (501?) ─► STARTTLS ─► TLS (certificate kept) ─► MAIL before EHLO (503?) ─► EHLO
 *      (STARTTLS gone?) ─► AUTH PLAIN, `*` (501?) ─► [AUTH with the target's credentials (235?)] ─► QUIT
 *   2: EHLO ─► "STARTTLS\r\nXYZZY\r\n" in one write ─► 220 ─► TLS ─► EHLO: its 250 must come first
 */
import { connectRaw } from './raw-connect.js';
import type { RawConnection } from './raw.js';
import type { TlsInfo } from './raw-tls.js';
import { rfcOf } from './ids.js';
import { finding, skipped } from './finding.js';
import {
  annotate,
  authenticate,
  authMechanisms,
  closeSmtp,
  ehloName,
  capabilities,
  noSession,
  openSmtp,
  said,
  UNKNOWN_COMMAND,
  type Capabilities,
} from './smtp-session.js';
import type { CheckGroup, Finding, FindingStatus, ProbeLimits, ProbeTarget } from './types.js';

/** A certificate expiring sooner than this many days is a warning. */
export const CERT_WARN_DAYS = 14;

type Problem = { readonly status: FindingStatus; readonly text: string };
const worst = (problems: readonly Problem[]): FindingStatus => (problems.some((p) => p.status === 'fail') ? 'fail' : problems.length ? 'warn' : 'pass');
const sentence = (problems: readonly Problem[]): string => {
  const text = problems.map((p) => p.text).join('; ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
};

/** The tls finding from what the handshake showed. */
export function judgeTls(info: TlsInfo, host: string): { status: FindingStatus; advice: string } {
  const problems: Problem[] = [];
  if (info.protocol === null || /^(SSLv|TLSv1(\.[01])?$)/.test(info.protocol)) {
    problems.push({
      status: 'fail',
      text: `it negotiated ${info.protocol ?? 'an unknown protocol'}: TLS 1.0 and 1.1 are deprecated (RFC 8996), enable TLS 1.2 and 1.3`,
    });
  }
  if (info.authorizationError === 'CERT_HAS_EXPIRED' || (info.daysLeft !== undefined && info.daysLeft < 0)) {
    problems.push({ status: 'fail', text: `the certificate expired (${info.validTo}): renew it` });
  } else if (info.authorizationError === 'CERT_NOT_YET_VALID') {
    problems.push({ status: 'fail', text: `the certificate is not valid yet (from ${info.validFrom}): check the server's clock or the certificate` });
  } else if (info.daysLeft !== undefined && info.daysLeft < CERT_WARN_DAYS) {
    problems.push({ status: 'warn', text: `the certificate expires in ${info.daysLeft} days (${info.validTo}): renew it` });
  }
  if (!info.nameMatches)
    problems.push({
      status: 'warn',
      text: `the certificate (${info.altNames ?? info.subject ?? 'no names'}) does not name ${host}: clients that verify will refuse it`,
    });
  if (info.selfSigned)
    problems.push({
      status: 'warn',
      text: "the certificate is self-signed: clients that verify will refuse it; use one from a public CA (e.g. Let's Encrypt)",
    });
  else if (!info.authorized && info.authorizationError && !['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID'].includes(info.authorizationError)) {
    problems.push({ status: 'warn', text: `the chain does not verify (${info.authorizationError}): serve the full chain from a CA clients trust` });
  }
  const what = `${info.protocol ?? '?'} with ${info.cipher}; certificate for ${info.subject ?? '?'} issued by ${info.issuer ?? '?'}, valid until ${info.validTo ?? '?'}`;
  return problems.length ? { status: worst(problems), advice: sentence(problems) } : { status: 'pass', advice: `${what}; it verifies and names ${host}.` };
}

/** The AUTH finding's part that needs no credentials: are password mechanisms offered before TLS? */
function plaintextAuth(plainCaps: Capabilities, tlsOffered: boolean): Problem | undefined {
  const clear = authMechanisms(plainCaps).filter((m) => m === 'PLAIN' || m === 'LOGIN');
  if (clear.length === 0) return undefined;
  return {
    status: 'warn',
    text: tlsOffered
      ? `AUTH ${clear.join(' ')} is offered before STARTTLS: a client may send its password in clear text; offer it only inside TLS (Postfix smtpd_tls_auth_only = yes)`
      : `AUTH ${clear.join(' ')} is offered without any TLS: passwords travel in clear text`,
  };
}

async function starttlsChecks(target: ProbeTarget, limits: ProbeLimits): Promise<Finding[]> {
  const ids = { starttls: 'smtp.starttls', tls: 'smtp.tls', auth: 'smtp.auth' } as const;
  const session = await openSmtp(target, limits, { tls: 'never' });
  if (!session.ok) {
    const why = noSession(session);
    return [skipped(ids.starttls, rfcOf(ids.starttls), why, session), skipped(ids.tls, rfcOf(ids.tls), why), skipped(ids.auth, rfcOf(ids.auth), why)];
  }
  const { conn, plainCaps } = session;
  const clear = limits.starttls === 'off';
  if (clear || !plainCaps.has('STARTTLS')) {
    const t = conn.takeTranscript();
    const auth = await authCheck(session.conn, target, plainCaps, plaintextAuth(plainCaps, !clear && plainCaps.has('STARTTLS')), clear);
    await closeSmtp(conn, limits);
    const required = limits.starttls === 'require';
    return [
      clear
        ? skipped(ids.starttls, rfcOf(ids.starttls), 'Not checked: --starttls off.', t)
        : finding(
            ids.starttls,
            required ? 'fail' : 'warn',
            rfcOf(ids.starttls),
            `STARTTLS is not offered: mail to and from this server travels in clear text; enable STARTTLS with a certificate.${required ? ' (--starttls require: the checks that need a session are skipped.)' : ''}`,
            t,
          ),
      skipped(ids.tls, rfcOf(ids.tls), clear ? 'Not checked: --starttls off.' : 'Not checked: no STARTTLS.'),
      required ? skipped(ids.auth, rfcOf(ids.auth), 'Not checked: no STARTTLS (--starttls require).') : auth,
    ];
  }

  const problems: Problem[] = [];
  const withArgument = await conn.command('STARTTLS wireprobe');
  if (!withArgument.ok) problems.push({ status: 'fail', text: `STARTTLS with an argument got no reply ${withArgument.event}` });
  else if (withArgument.value.code === 220) {
    problems.push({ status: 'warn', text: 'STARTTLS with an argument got 220, not 501 (RFC 3207 §4: no parameters allowed)' });
  } else if (withArgument.value.code !== 501) {
    problems.push({ status: withArgument.value.code >= 500 ? 'pass' : 'warn', text: `STARTTLS with an argument got "${said(withArgument)}"; 501 is expected` });
  }
  if (conn.ended !== null) {
    const t = conn.takeTranscript();
    const why = 'Not checked: STARTTLS with an argument ended the session.';
    return [
      finding(
        ids.starttls,
        'fail',
        rfcOf(ids.starttls),
        sentence(
          problems
            .filter((p) => p.status !== 'pass')
            .concat(problems.length ? [] : [{ status: 'fail', text: `the session ended at STARTTLS with an argument (${conn.ended})` }]),
        ),
        t,
      ),
      skipped(ids.tls, rfcOf(ids.tls), why),
      skipped(ids.auth, rfcOf(ids.auth), why),
    ];
  }
  // After a 220 to the argument form the server expects a handshake on this connection: start over.
  let current = conn;
  if (withArgument.ok && withArgument.value.code === 220) {
    await closeSmtp(conn, limits);
    const again = await openSmtp(target, limits, { tls: 'never' });
    if (!again.ok) {
      const t = conn.takeTranscript();
      return [
        finding(ids.starttls, 'fail', rfcOf(ids.starttls), `${sentence(problems)} A second session failed: ${again.reason}.`, t),
        skipped(ids.tls, rfcOf(ids.tls), 'Not checked.'),
        skipped(ids.auth, rfcOf(ids.auth), 'Not checked.'),
      ];
    }
    current = again.conn;
  }
  const start = await current.command('STARTTLS');
  if (!start.ok || start.value.code !== 220) {
    const status: FindingStatus = 'fail';
    problems.push({ status, text: `STARTTLS is advertised but got "${said(start)}", not 220: TLS is broken (certificate or key not loaded?)` });
    await closeSmtp(current, limits);
    const t = mergeTranscripts(conn, current);
    const why = `STARTTLS refused (${said(start)})`;
    return [
      finding(ids.starttls, 'fail', rfcOf(ids.starttls), sentence(problems.filter((p) => p.status !== 'pass')), t),
      skipped(ids.tls, rfcOf(ids.tls), 'Not checked: STARTTLS failed.'),
      await authInPlainText(target, limits, why),
    ];
  }
  const upgraded = await current.upgradeTls({ timeoutMs: limits.replyTimeoutMs });
  if (!upgraded.ok) {
    current.destroy();
    problems.push({ status: 'fail', text: `the TLS handshake after 220 failed ${upgraded.event}${upgraded.code ? ` (${upgraded.code})` : ''}` });
    const t = mergeTranscripts(conn, current);
    const why = `TLS handshake failed ${upgraded.event}`;
    return [
      finding(ids.starttls, 'fail', rfcOf(ids.starttls), sentence(problems.filter((p) => p.status !== 'pass')), t),
      skipped(ids.tls, rfcOf(ids.tls), 'Not checked: the handshake failed.'),
      await authInPlainText(target, limits, why),
    ];
  }
  const early = await current.command('MAIL FROM:<>');
  /** Lines of a plain-text control session, merged into the transcript after this one's. */
  let control: { sent: string[]; received: string[] } | undefined;
  /** The clear-text refusal of MAIL without EHLO when it was not a sequence error. */
  let otherRefusal: string | undefined;
  if (!early.ok) problems.push({ status: 'fail', text: `MAIL before the new EHLO got no reply ${early.event}` });
  else if (early.value.code < 400) {
    await current.command('RSET');
    // Only conclusive where the server wants a greeting at all: many accept MAIL with no EHLO in clear
    // text too (Postfix unless smtpd_helo_required), and then the same inside TLS proves nothing.
    // Only a sequence error (503) says the refusal was for the missing EHLO: a 530 (STARTTLS or AUTH
    // required, Postfix smtpd_tls_security_level = encrypt) says nothing about it.
    const plain = await mailWithoutEhlo(target, limits);
    control = plain.transcript;
    if (plain.refused !== undefined && plain.refused.code !== 503) otherRefusal = plain.refused.text;
    else if (plain.refused !== undefined) {
      problems.push({
        status: 'warn',
        text: `MAIL before EHLO inside TLS was accepted ("${said(early)}") although in clear text it is refused without EHLO: the server kept its pre-TLS state (RFC 3207 §4.2: discard it)`,
      });
    }
  }
  let tlsCaps: Capabilities | undefined;
  if (current.ended === null) {
    const ehlo = await current.command(`EHLO ${ehloName(current)}`);
    if (!ehlo.ok || ehlo.value.code !== 250) problems.push({ status: 'fail', text: `EHLO inside TLS got "${said(ehlo)}", not 250` });
    else {
      tlsCaps = capabilities(ehlo.value);
      if (tlsCaps.has('STARTTLS')) problems.push({ status: 'warn', text: 'STARTTLS is still advertised inside TLS (RFC 3207 §4.2: it must not be)' });
    }
  }
  const merged = mergeTranscripts(conn, current);
  const starttlsT = control ? { sent: [...merged.sent, ...control.sent], received: [...merged.received, ...control.received] } : merged;
  const real = problems.filter((p) => p.status !== 'pass');
  const mailBeforeEhlo =
    otherRefusal !== undefined
      ? `MAIL before the new EHLO accepted; in clear text MAIL without EHLO got "${otherRefusal}", not a sequence error (503), so this proves no kept state`
      : control
        ? 'MAIL before the new EHLO accepted, as it is in clear text (the server needs no EHLO)'
        : 'MAIL before the new EHLO refused';
  const starttls = finding(
    ids.starttls,
    worst(real),
    rfcOf(ids.starttls),
    real.length
      ? sentence(real)
      : `STARTTLS works: 501 for an argument, ${upgraded.tls.protocol} handshake, ${mailBeforeEhlo}, STARTTLS no longer offered inside TLS.`,
    starttlsT,
  );

  const judged = judgeTls(upgraded.tls, target.host);
  const tls = finding(
    ids.tls,
    judged.status,
    rfcOf(ids.tls),
    judged.advice,
    { sent: ['[TLS handshake]'], received: describeTls(upgraded.tls) },
    upgraded.tls.protocol ?? undefined,
  );

  const auth = tlsCaps
    ? await authCheck(current, target, tlsCaps, plaintextAuth(plainCaps, true), true)
    : skipped(ids.auth, rfcOf(ids.auth), 'Not checked: no EHLO inside TLS.');
  await closeSmtp(current, limits);
  return [starttls, tls, auth];
}

/**
 * A fresh plain-text session that sends MAIL right after the greeting: whether the server takes a
 * transaction with no EHLO at all (`refused`: the refusal's code and text; neither when it was taken, or
 * when the session failed before MAIL could be judged). Transcript lines are marked `[plain session] ...`.
 */
async function mailWithoutEhlo(
  target: ProbeTarget,
  limits: ProbeLimits,
): Promise<{ refused?: { code: number; text: string }; transcript: { sent: string[]; received: string[] } }> {
  const mark = (t: { sent: string[]; received: string[] }): { sent: string[]; received: string[] } => ({
    sent: ['[plain session: connect, MAIL without EHLO]', ...t.sent.map((l) => `[plain session] ${l}`)],
    received: t.received.map((l) => `[plain session] ${l}`),
  });
  const opened = await connectRaw({ host: target.host, port: target.port, timeoutMs: limits.replyTimeoutMs, closeOnTimeout: true });
  if (!opened.ok) return { transcript: mark({ sent: [], received: [opened.failure.event] }) };
  const conn = opened.conn;
  let refused: { code: number; text: string } | undefined;
  const greeting = await conn.readReply();
  if (greeting.ok && greeting.value.code === 220) {
    const mail = await conn.command('MAIL FROM:<>');
    if (mail.ok && mail.value.code >= 400) refused = { code: mail.value.code, text: said(mail) };
    else if (mail.ok) await conn.command('RSET');
  }
  await closeSmtp(conn, limits);
  return { ...(refused === undefined ? {} : { refused }), transcript: mark(conn.takeTranscript()) };
}

/** The handshake as transcript lines: protocol and cipher, certificate names, dates, verification. */
export function describeTls(info: TlsInfo): string[] {
  return [
    `protocol ${info.protocol ?? '?'}, cipher ${info.cipher}`,
    `subject ${info.subject ?? '?'}, issuer ${info.issuer ?? '?'}${info.altNames ? `, names ${info.altNames}` : ''}`,
    `valid ${info.validFrom ?? '?'} to ${info.validTo ?? '?'}${info.daysLeft !== undefined ? ` (${info.daysLeft} days left)` : ''}`,
    `verified: ${info.authorized ? 'yes' : `no (${info.authorizationError ?? '?'})`}; names the host: ${info.nameMatches ? 'yes' : 'no'}`,
    ...(info.fingerprint256 ? [`sha256 ${info.fingerprint256}`] : []),
  ];
}

/** Joins transcripts of a first and (if different) a second connection. */
function mergeTranscripts(first: { takeTranscript(): { sent: string[]; received: string[] } }, second: typeof first): { sent: string[]; received: string[] } {
  const a = first.takeTranscript();
  if (first === second) return a;
  const b = second.takeTranscript();
  return { sent: [...a.sent, ...b.sent], received: [...a.received, ...b.received] };
}

/**
 * `smtp.auth` after a failed STARTTLS: what an opportunistic client would see in plain text, on a
 * fresh session (credentials withheld: they go in clear only with --starttls off). With --starttls
 * require: skipped.
 */
async function authInPlainText(target: ProbeTarget, limits: ProbeLimits, why: string): Promise<Finding> {
  const id = 'smtp.auth';
  if (limits.starttls === 'require') return skipped(id, rfcOf(id), `Not checked: ${why} (--starttls require).`);
  const session = await openSmtp(target, limits, { tls: 'never' });
  if (!session.ok) return annotate(skipped(id, rfcOf(id), noSession(session), session), { plainText: why });
  const auth = await authCheck(session.conn, target, session.plainCaps, plaintextAuth(session.plainCaps, true), false);
  await closeSmtp(session.conn, limits);
  return annotate(auth, { plainText: why });
}

/**
 * `smtp.auth` on a session (inside TLS when there is one): `AUTH PLAIN` then `*` must cancel with 501,
 * and the target's credentials, when given and `sendCredentials` (inside TLS, or --starttls off), must
 * get 235. Takes its own part of the transcript.
 */
export async function authCheck(
  conn: RawConnection,
  target: ProbeTarget,
  caps: Capabilities,
  before: Problem | undefined,
  sendCredentials: boolean,
): Promise<Finding> {
  const id = 'smtp.auth';
  const problems: Problem[] = before ? [before] : [];
  const mechanisms = authMechanisms(caps);
  if (mechanisms.length === 0 && (target.user === undefined || !sendCredentials)) {
    return before
      ? finding(id, worst(problems), rfcOf(id), sentence(problems), conn.takeTranscript())
      : skipped(id, rfcOf(id), 'Not checked: the server offers no AUTH (fine for an MX that takes mail only for its own domains).');
  }
  if (mechanisms.includes('PLAIN') && conn.ended === null) {
    const begin = await conn.command('AUTH PLAIN');
    if (begin.ok && begin.value.code === 334) {
      const cancel = await conn.command('*');
      if (!cancel.ok) problems.push({ status: 'fail', text: `"*" to cancel AUTH got no reply ${cancel.event}` });
      else if (cancel.value.code !== 501) problems.push({ status: 'warn', text: `"*" to cancel AUTH got "${said(cancel)}", not 501 (RFC 4954 §4)` });
    }
  }
  let authed = '';
  if (target.user !== undefined && !sendCredentials) {
    authed = ' The given credentials were not sent: the session is not encrypted (--starttls off sends them in clear text).';
  } else if (target.user !== undefined && conn.ended === null) {
    const result = await authenticate(conn, target, caps);
    if (result.ok) authed = ' The given credentials were accepted (235).';
    else problems.push({ status: 'fail', text: `the given credentials were not accepted: ${result.reason}` });
  }
  const t = conn.takeTranscript();
  if (problems.length) return finding(id, worst(problems), rfcOf(id), `${sentence(problems)}${authed}`, t);
  return finding(id, 'pass', rfcOf(id), `AUTH ${mechanisms.join(' ')} is offered only where it is safe; "*" cancels with 501.${authed}`, t);
}

async function injectionCheck(target: ProbeTarget, limits: ProbeLimits): Promise<Finding> {
  const id = 'smtp.starttls-injection';
  if (limits.starttls === 'off') return skipped(id, rfcOf(id), 'Not checked: --starttls off.');
  const session = await openSmtp(target, limits, { tls: 'never' });
  if (!session.ok) return skipped(id, rfcOf(id), noSession(session), session);
  const { conn } = session;
  if (!session.plainCaps.has('STARTTLS')) {
    await closeSmtp(conn, limits);
    return skipped(id, rfcOf(id), 'Not checked: no STARTTLS.');
  }
  conn.takeTranscript();
  await conn.write(`STARTTLS\r\n${UNKNOWN_COMMAND}\r\n`);
  const start = await conn.readReply();
  const done = async (status: FindingStatus, advice: string): Promise<Finding> => {
    await closeSmtp(conn, limits);
    return finding(id, status, rfcOf(id), advice, conn.takeTranscript());
  };
  if (!start.ok) return done('warn', `STARTTLS with a command pipelined behind it got no reply ${start.event}; expected 220, or a refusal with text.`);
  if (start.value.code !== 220) {
    return done(
      'pass',
      `The server refused STARTTLS with a command pipelined behind it ("${said(start)}"): hardening (Postfix smtpd_forbid_unauth_pipelining).`,
    );
  }
  const upgraded = await conn.upgradeTls({ timeoutMs: limits.replyTimeoutMs });
  if (!upgraded.ok) {
    conn.destroy();
    const clear = upgraded.leftover ? ` It answered the pipelined command in clear text first ("${upgraded.leftover.trim()}").` : '';
    return finding(
      id,
      clear ? 'warn' : 'pass',
      rfcOf(id),
      `The TLS handshake failed after a command was pipelined behind STARTTLS ${upgraded.event}: the command was not carried into TLS.${clear}`,
      conn.takeTranscript(),
    );
  }
  const ehlo = await conn.command(`EHLO ${ehloName(conn)}`);
  if (!ehlo.ok) return done('warn', `No reply to EHLO inside TLS ${ehlo.event}.`);
  if (ehlo.value.code === 250) {
    return done('pass', 'The first reply inside TLS answers our own EHLO: commands sent in clear text before the handshake are discarded.');
  }
  const second = await conn.readReply(Math.min(limits.replyTimeoutMs, 2_000));
  if (second.ok && second.value.code === 250) {
    return done(
      'fail',
      `Vulnerable to STARTTLS command injection (CVE-2011-0411): the server answered "${UNKNOWN_COMMAND}", sent in clear text before the handshake, inside TLS ("${said(ehlo)}"); flush the input buffer at STARTTLS (upgrade the server).`,
    );
  }
  return done('warn', `The first reply inside TLS was "${said(ehlo)}", not 250 to our EHLO.`);
}

/** The TLS and AUTH group: `smtp.starttls`, `smtp.tls`, `smtp.auth`, `smtp.starttls-injection`. */
export const smtpTlsGroup: CheckGroup = async (target, limits) => {
  const [starttls, tls, auth] = await starttlsChecks(target, limits);
  const injection = await injectionCheck(target, limits);
  return [starttls!, injection, tls!, auth!];
};
