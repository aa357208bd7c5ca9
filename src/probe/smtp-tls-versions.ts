/**
 * `smtp.tls-versions`: the TLS versions the server still accepts (./tls-versions.ts judges). Each try is
 * its own connection: greeting, EHLO, STARTTLS, 220, then the handshake offering one version; for
 * smtps:// the handshake comes first (RFC 8314 §3.3). Skipped with --starttls off, or without STARTTLS.
 */
import { rfcOf } from './ids.js';
import { skipped } from './finding.js';
import { connectRaw } from './raw-connect.js';
import type { TlsOffer } from './raw-tls.js';
import { capabilities, closeSmtp, ehloName, said } from './smtp-session.js';
import { tlsVersionsCheck, type Reached } from './tls-versions.js';
import type { CheckGroup, ProbeLimits, ProbeTarget } from './types.js';

const ID = 'smtp.tls-versions';

/** Connects and gets to a handshake offering `offer`: STARTTLS first, or implicit TLS. */
async function reach(target: ProbeTarget, limits: ProbeLimits, offer: TlsOffer): Promise<Reached> {
  const base = { host: target.host, port: target.port, timeoutMs: limits.replyTimeoutMs, closeOnTimeout: true };
  if (target.implicitTls) {
    const plain = await connectRaw(base);
    if (!plain.ok) return { ok: false, why: `no connection ${plain.failure.event}`, transcript: { sent: [], received: [plain.failure.event] } };
    return { ok: true, conn: plain.conn, upgrade: await plain.conn.upgradeTls({ timeoutMs: limits.replyTimeoutMs, offer }) };
  }
  const opened = await connectRaw(base);
  if (!opened.ok) return { ok: false, why: `no connection ${opened.failure.event}`, transcript: { sent: [], received: [opened.failure.event] } };
  const conn = opened.conn;
  const stop = async (why: string): Promise<Reached> => {
    await closeSmtp(conn, limits);
    return { ok: false, why, transcript: conn.takeTranscript() };
  };
  const greeting = await conn.readReply();
  if (!greeting.ok || greeting.value.code !== 220) return stop(`no 220 greeting (${said(greeting)})`);
  const ehlo = await conn.command(`EHLO ${ehloName(conn)}`);
  if (!ehlo.ok || ehlo.value.code !== 250) return stop(`EHLO not accepted (${said(ehlo)})`);
  if (!capabilities(ehlo.value).has('STARTTLS')) return stop('no STARTTLS, no TLS to try versions on');
  const start = await conn.command('STARTTLS');
  if (!start.ok || start.value.code !== 220) return stop(`STARTTLS refused (${said(start)})`);
  return { ok: true, conn, upgrade: await conn.upgradeTls({ timeoutMs: limits.replyTimeoutMs, offer }) };
}

/** The `smtp.tls-versions` group. */
export const smtpTlsVersionsGroup: CheckGroup = async (target, limits) => {
  if (limits.starttls === 'off' && !target.implicitTls) return [skipped(ID, rfcOf(ID), 'Not checked: --starttls off.')];
  return [
    await tlsVersionsCheck({
      id: ID,
      rfc: rfcOf(ID),
      reach: (offer) => reach(target, limits, offer),
      close: (conn) => closeSmtp(conn, limits),
    }),
  ];
};
