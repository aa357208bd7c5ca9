/**
 * SMTP open relay: `smtp.open-relay`. Without AUTH (STARTTLS when offered, as a spammer's client
 * would), MAIL from an outside address and RCPT to a `.invalid` domain (RFC 2606: it never exists, so
 * nothing can ever be delivered there), then RSET: no DATA is ever sent.
 *
 *   EHLO ─► MAIL FROM:<wireprobe@example.com> ─► RCPT TO:<probe@wireprobe-relay-test.invalid> ─► RSET ─► QUIT
 *                 5xx: pass                        5xx: pass; 4xx: warn; 2xx: fail ("may be an open relay")
 */
import { rfcOf } from './ids.js';
import { finding, skipped } from './finding.js';
import { ADDRESSES, annotate, closeSmtp, mayWantTls, noSession, openSmtp, said, trustedVantage, wantsFirst, type SessionNotes } from './smtp-session.js';
import type { CheckGroup, Finding } from './types.js';

/** The open-relay group: `smtp.open-relay`. */
export const smtpRelayGroup: CheckGroup = async (target, limits) => {
  const id = 'smtp.open-relay';
  const rfc = rfcOf(id);
  const notes: SessionNotes = {};
  const session = await openSmtp(target, limits, { auth: false, notes });
  if (!session.ok) return [annotate(skipped(id, rfc, noSession(session), session), notes)];
  const { conn } = session;
  const vantage = conn.localAddress;
  const done = async (status: Finding['status'], advice: string): Promise<Finding[]> => {
    if (conn.ended === null) await conn.command('RSET');
    await closeSmtp(conn, limits);
    return [annotate(finding(id, status, rfc, advice, conn.takeTranscript()), notes)];
  };
  const mail = await conn.command(`MAIL FROM:<${ADDRESSES.outsideSender}>`);
  if (!mail.ok) return done('warn', `MAIL from an outside address got no reply ${mail.event}: inconclusive.`);
  // A plain-text session by the user's choice (--starttls off) is no spammer's: one would start TLS.
  if (limits.starttls === 'off' && mayWantTls(session, mail.value))
    return done('skip', `Not checked: ${wantsFirst(session, limits, mail.value)}; a relaying client would start it.`);
  if (mail.value.code >= 500) return done('pass', `Mail from outside without authentication is refused at MAIL ("${said(mail)}").`);
  if (mail.value.code >= 400)
    return done('warn', `MAIL from an outside address got a temporary refusal ("${said(mail)}"): inconclusive; run the probe again later.`);
  const rcpt = await conn.command(`RCPT TO:<${ADDRESSES.outsideRecipient}>`);
  if (!rcpt.ok) return done('warn', `RCPT to an outside domain got no reply ${rcpt.event}: inconclusive.`);
  if (rcpt.value.code >= 500) return done('pass', `Relaying to an outside domain without authentication is refused ("${said(rcpt)}").`);
  if (rcpt.value.code >= 400)
    return done(
      'warn',
      `RCPT to an outside domain got a temporary refusal ("${said(rcpt)}"): inconclusive (greylisting, or a DNS check that failed); a relay refusal should be 5xx.`,
    );
  const trusted = trustedVantage(vantage)
    ? ` This probe connected from ${vantage}, an address servers often trust to relay (Postfix mynetworks): probe from outside your networks to be sure.`
    : '';
  return done(
    'fail',
    `May be an open relay: without authentication it accepted a recipient in a domain it cannot host ("${said(rcpt)}" to <${ADDRESSES.outsideRecipient}>); relay only for authenticated users and your own domains (Postfix reject_unauth_destination).${trusted}`,
  );
};
