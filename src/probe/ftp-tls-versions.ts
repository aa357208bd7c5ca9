/**
 * `ftp.tls-versions`: the TLS versions the server still accepts (./tls-versions.ts judges). Each try is
 * its own connection: greeting, AUTH TLS, 234, then the handshake offering one version; for ftps:// the
 * handshake comes first. Skipped when AUTH TLS is refused (ftp.auth-tls says so).
 */
import { said } from './ftp-shared.js';
import { rfcOf } from './ids.js';
import { connectRaw } from './raw-connect.js';
import type { RawConnection } from './raw.js';
import type { TlsOffer } from './raw-tls.js';
import { tlsVersionsCheck, type Reached } from './tls-versions.js';
import type { CheckGroup, ProbeLimits, ProbeTarget } from './types.js';

const ID = 'ftp.tls-versions';

/** Connects and gets to a handshake offering `offer`: AUTH TLS first, or implicit TLS. */
async function reach(target: ProbeTarget, limits: ProbeLimits, offer: TlsOffer): Promise<Reached> {
  const opened = await connectRaw({ host: target.host, port: target.port, timeoutMs: limits.replyTimeoutMs, closeOnTimeout: true });
  if (!opened.ok) return { ok: false, why: `no connection ${opened.failure.event}`, transcript: { sent: [], received: [opened.failure.event] } };
  const conn = opened.conn;
  if (target.implicitTls) return { ok: true, conn, upgrade: await conn.upgradeTls({ timeoutMs: limits.replyTimeoutMs, offer }) };
  const stop = async (why: string): Promise<Reached> => {
    await quit(conn, limits);
    return { ok: false, why, transcript: conn.takeTranscript() };
  };
  let greeting = await conn.readReply();
  if (greeting.ok && greeting.value.code === 120) greeting = await conn.readReply();
  if (!greeting.ok || greeting.value.code !== 220) return stop(`no 220 greeting (${said(greeting)})`);
  const auth = await conn.command('AUTH TLS');
  if (!auth.ok || auth.value.code !== 234) return stop(`AUTH TLS got ${said(auth)}, not 234 (see ftp.auth-tls)`);
  return { ok: true, conn, upgrade: await conn.upgradeTls({ timeoutMs: limits.replyTimeoutMs, offer }) };
}

/** QUIT within a short bound, then the connection is destroyed. */
async function quit(conn: RawConnection, limits: ProbeLimits): Promise<void> {
  if (conn.ended === null) await conn.command('QUIT', { timeoutMs: Math.min(limits.replyTimeoutMs, 2_000) });
  conn.destroy();
}

/** The `ftp.tls-versions` group. */
export const ftpTlsVersionsChecks: CheckGroup = async (target, limits) => {
  const check = await tlsVersionsCheck({ id: ID, rfc: rfcOf(ID), reach: (offer) => reach(target, limits, offer), close: (conn) => quit(conn, limits) });
  return [check];
};
