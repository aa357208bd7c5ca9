/**
 * A client that talks before the greeting: `smtp.early-talk`. RFC 5321 §3.1 opens a session with the
 * server's greeting (a 554 in its place refuses it); spam software often sends before it comes. Refusing it (Exim's "554 SMTP synchronization error", Postfix
 * postscreen) is hardening; answering it after the 220 is common and fine. What fails is a reply to
 * the EHLO sent before the greeting (replies out of order).
 *
 *   connect ─► EHLO at once (before any greeting) ─► 220 then 250: pass (accepted)
 *                                                 ─► 554 / 220 then 554 / close after a reply: pass (refused)
 *                                                 ─► 250 first: fail; nothing, or a close without a word: warn
 */
import { connectRaw, tlsOf } from './raw-connect.js';
import { rfcOf } from './ids.js';
import { finding, skipped } from './finding.js';
import { closeSmtp, ehloName, said } from './smtp-session.js';
import type { CheckGroup, Finding, FindingStatus, ProbeLimits, ProbeTarget } from './types.js';

async function earlyTalk(target: ProbeTarget, limits: ProbeLimits): Promise<Finding> {
  const id = 'smtp.early-talk';
  const rfc = rfcOf(id);
  const opened = await connectRaw({ host: target.host, port: target.port, ...tlsOf(target), timeoutMs: limits.replyTimeoutMs, closeOnTimeout: true });
  if (!opened.ok) return skipped(id, rfc, `Not checked: connect failed ${opened.failure.event}.`, { sent: [], received: [opened.failure.event] });
  const { conn } = opened;
  await conn.send(`EHLO ${ehloName(conn)}`);
  conn.note('[EHLO sent before the greeting]');
  const first = await conn.readReply();
  let status: FindingStatus;
  let advice: string;
  if (!first.ok) {
    status = 'warn';
    advice = `After an EHLO sent before the greeting the server gave no reply ${first.event}: refusing early talkers is hardening, but say why ("554 SMTP synchronization error").`;
  } else if (first.value.code === 250) {
    status = 'fail';
    advice = `The server answered the early EHLO with "${said(first)}" before any greeting: replies out of order.`;
  } else if (first.value.code !== 220) {
    status = 'pass';
    advice = `An EHLO sent before the greeting was refused ("${said(first)}"): hardening against clients that do not wait for the 220 (RFC 5321 §3.1).`;
  } else {
    const second = await conn.readReply();
    status = 'pass';
    if (second.ok && second.value.code === 250)
      advice = `An EHLO sent before the greeting was answered after the 220 (${second.value.code}): accepted; servers may refuse such clients (Exim smtp_enforce_sync, Postfix postscreen_greet_action) as hardening.`;
    else if (second.ok) advice = `An EHLO sent before the greeting got the 220, then "${said(second)}": refused, hardening against clients that do not wait.`;
    else advice = `An EHLO sent before the greeting got the 220, then ${second.event}: refused, hardening against clients that do not wait.`;
  }
  await closeSmtp(conn, limits);
  return finding(id, status, rfc, advice, conn.takeTranscript());
}

/** The early-talk group: `smtp.early-talk`. */
export const smtpEarlyGroup: CheckGroup = async (target, limits) => [await earlyTalk(target, limits)];
