/**
 * The SMTP TLS group for both kinds of target: smtp:// runs ./smtp-tls.ts (STARTTLS, injection, the
 * handshake, AUTH); smtps:// is inside TLS from the first octet (RFC 8314 §3.3), so the STARTTLS checks
 * do not apply (skipped, saying why; a STARTTLS still advertised inside TLS warns, RFC 3207 §4.2) and
 * `smtp.tls` and `smtp.auth` are judged on an implicit-TLS session.
 *
 *   smtps: connect ─► TLS ─► 220 ─► EHLO (STARTTLS listed?) ─► AUTH PLAIN, `*` ─► [AUTH (235?)] ─► QUIT
 */
import { finding, skipped } from './finding.js';
import { rfcOf } from './ids.js';
import { closeSmtp, noSession, openSmtp } from './smtp-session.js';
import { authCheck, describeTls, judgeTls, smtpTlsGroup } from './smtp-tls.js';
import type { CheckGroup, Finding } from './types.js';

const IMPLICIT = 'smtps:// is TLS from the first octet (RFC 8314 §3.3): STARTTLS does not apply';

/** `smtp.starttls`, `smtp.starttls-injection`, `smtp.tls`, `smtp.auth` on an smtps:// target. */
const implicitTlsGroup: CheckGroup = async (target, limits) => {
  const ids = { starttls: 'smtp.starttls', injection: 'smtp.starttls-injection', tls: 'smtp.tls', auth: 'smtp.auth' } as const;
  const injection = skipped(ids.injection, rfcOf(ids.injection), `Not checked: ${IMPLICIT}.`);
  const session = await openSmtp(target, limits, { tls: 'never' });
  if (!session.ok) {
    const why = noSession(session);
    return [
      skipped(ids.starttls, rfcOf(ids.starttls), why, session),
      injection,
      skipped(ids.tls, rfcOf(ids.tls), why),
      skipped(ids.auth, rfcOf(ids.auth), why),
    ];
  }
  const { conn, caps } = session;
  const ehlo = conn.takeTranscript();
  const starttls: Finding = caps.has('STARTTLS')
    ? finding(
        ids.starttls,
        'warn',
        rfcOf(ids.starttls),
        'STARTTLS is advertised inside implicit TLS: a second TLS layer is never wanted (RFC 3207 §4.2: not offered once TLS is on); drop it from this port.',
        ehlo,
      )
    : skipped(ids.starttls, rfcOf(ids.starttls), `Not checked: ${IMPLICIT}; it is not advertised, as it should not be.`, ehlo);
  const info = conn.tls;
  const judged = info ? judgeTls(info, target.host) : undefined;
  const tls =
    info && judged
      ? finding(ids.tls, judged.status, rfcOf(ids.tls), judged.advice, { sent: ['[TLS handshake]'], received: describeTls(info) }, info.protocol ?? undefined)
      : skipped(ids.tls, rfcOf(ids.tls), 'Not checked: no TLS record.');
  const auth = await authCheck(conn, target, caps, undefined, true);
  await closeSmtp(conn, limits);
  return [starttls, injection, tls, auth];
};

/** The SMTP TLS and AUTH group: smtps:// or smtp:// (see the file's comment). */
export const smtpTlsAnyGroup: CheckGroup = (target, limits, context) =>
  target.implicitTls ? implicitTlsGroup(target, limits, context) : smtpTlsGroup(target, limits, context);
