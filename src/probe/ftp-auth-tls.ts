/**
 * `ftp.auth-tls` (RFC 4217): TLS on the control connection and the data connections. Read-only: the
 * data connection under TLS carries a LIST, never a STOR.
 *
 *   ftp://  1: 220 ─► FEAT (AUTH TLS listed?) ─► AUTH TLS ─► 234 ─► TLS ─► USER/PASS ─► PBSZ 0 ─► PROT P
 *           ─► LIST over a data connection with a fresh TLS session ─► [refused: LIST again resuming the
 *           control connection's session] ─► QUIT
 *           2: 220 ─► USER (no PASS ever) in clear text: 331/230 = clear-text login still allowed ─► QUIT
 *   ftps:// the same from the login on (the control connection is TLS from its first octet)
 */
import { codeOf, listsAuthTls, said } from './ftp-shared.js';
import { FtpSession } from './ftp-control.js';
import { DataOpener } from './ftp-data-opener.js';
import { finding } from './finding.js';
import { rfcOf } from './ids.js';
import { ANONYMOUS } from './target.js';
import type { CheckGroup, FindingStatus, ProbeLimits, ProbeTarget } from './types.js';

const ID = 'ftp.auth-tls';

/** One LIST over a protected data connection: how it went, in words, and whether 226 came. */
async function protectedList(s: FtpSession, resume: boolean): Promise<{ readonly ok: boolean; readonly what: string }> {
  s.protectData({ resume });
  if (s.stale) return { ok: false, what: 'the control connection had ended' };
  const plan = await new DataOpener(s).open();
  if (!plan) return { ok: false, what: 'no data connection could be made (see ftp.pasv-connect, ftp.epsv, ftp.active)' };
  const t = await s.transfer(plan, 'LIST');
  if (!t.first.ok || codeOf(t.first) >= 200) return { ok: false, what: `LIST got "${said(t.first)}"` };
  if (t.dataFailed) return { ok: false, what: `${t.dataFailed}, then "${said(t.final)}"` };
  if (codeOf(t.final) !== 226 && codeOf(t.final) !== 250) return { ok: false, what: `the listing ended with "${said(t.final)}"` };
  return { ok: true, what: `LIST 150 … ${said(t.final)}` };
}

/**
 * USER (never PASS) before any AUTH, on a session of its own: 331 or 230 means the server still takes a
 * login in clear text while it offers TLS. Undefined when that could not be asked.
 */
async function clearTextLogin(
  target: ProbeTarget,
  limits: ProbeLimits,
): Promise<{ readonly allowed?: boolean; readonly reply: string; readonly transcript: { sent: string[]; received: string[] } }> {
  const opened = await FtpSession.open(target, limits);
  if (!opened.ok) {
    if (opened.stage === 'greeting') opened.session.conn.destroy();
    return { reply: opened.stage === 'connect' ? opened.failure.event : said(opened.read), transcript: { sent: [], received: [] } };
  }
  const s = opened.session;
  const user = await s.command(`USER ${target.user ?? ANONYMOUS.user}`);
  await s.quit();
  const t = s.take();
  const mark = {
    sent: ['[clear-text session]', ...t.sent.map((l) => `[clear-text session] ${l}`)],
    received: t.received.map((l) => `[clear-text session] ${l}`),
  };
  return { ...(user.ok ? { allowed: user.value.code === 331 || user.value.code === 230 } : {}), reply: said(user), transcript: mark };
}

type Problem = { readonly status: FindingStatus; readonly text: string };
type Lines = { sent: string[]; received: string[] };

/**
 * A session with TLS on its control connection (AUTH TLS, or ftps://), logged in, PBSZ 0 and PROT P
 * accepted; or the problem that stopped it. `notes` receives what passed; the transcript goes to `lines`.
 */
async function secured(
  target: ProbeTarget,
  limits: ProbeLimits,
  lines: Lines,
  notes: string[],
): Promise<{ readonly s: FtpSession } | { readonly stop: Problem; readonly value?: string }> {
  const opened = await FtpSession.open(target, limits);
  if (!opened.ok) {
    if (opened.stage === 'greeting') opened.session.conn.destroy();
    return { stop: { status: 'skip', text: 'Not run: no FTP session (see ftp.greeting).' } };
  }
  const s = opened.session;
  const stop = async (problem: Problem): Promise<{ readonly stop: Problem; readonly value?: string }> => {
    // The value: the TLS version once there was TLS, `not offered` when AUTH TLS is not.
    const value = s.conn.tls?.protocol ?? (problem.status === 'warn' ? 'not offered' : undefined);
    await s.quit();
    const t = s.take();
    lines.sent.push(...t.sent);
    lines.received.push(...t.received);
    return { stop: problem, ...(value ? { value } : {}) };
  };
  if (!target.implicitTls) {
    const feat = await s.command('FEAT');
    const listed = feat.ok && feat.value.code === 211 && listsAuthTls(feat.value.lines);
    const auth = await s.command('AUTH TLS');
    if (codeOf(auth) !== 234) {
      const why = listed ? `FEAT lists AUTH TLS but AUTH TLS got "${said(auth)}", not 234` : `AUTH TLS is not offered ("${said(auth)}")`;
      return stop({
        status: listed ? 'fail' : 'warn',
        text: `${why}: logins and files travel in clear text; enable TLS (vsftpd ssl_enable, proftpd mod_tls, pure-ftpd -Y 1).`,
      });
    }
    notes.push(listed ? 'FEAT lists AUTH TLS, it gets 234' : 'AUTH TLS gets 234 though FEAT does not list it');
    const upgraded = await s.conn.upgradeTls({ timeoutMs: limits.replyTimeoutMs });
    if (!upgraded.ok)
      return stop({ status: 'fail', text: `AUTH TLS got 234 but the TLS handshake failed ${upgraded.event}: is the certificate or key loaded?` });
  } else notes.push('TLS from the first octet (implicit FTPS)');
  const login = await s.loginAs({ ...target, implicitTls: false });
  if (!login.ok) return stop({ status: 'fail', text: `The login inside TLS failed ("${said(login.last)}").` });
  const pbsz = await s.command('PBSZ 0');
  const prot = codeOf(pbsz) === 200 ? await s.command('PROT P') : undefined;
  if (codeOf(prot) !== 200) {
    const what = prot ? `PROT P got "${said(prot)}"` : `PBSZ 0 got "${said(pbsz)}"`;
    return stop({ status: 'fail', text: `${what}, not 200: the data connections cannot be protected, files travel in clear text (RFC 4217 §9).` });
  }
  notes.push('PBSZ 0 and PROT P get 200');
  return { s };
}

/** Ends `s` and adds its transcript to `lines`. */
async function close(s: FtpSession, lines: Lines): Promise<void> {
  await s.quit();
  const t = s.take();
  lines.sent.push(...t.sent);
  lines.received.push(...t.received);
}

/** The `ftp.auth-tls` group. */
export const ftpAuthTlsChecks: CheckGroup = async (target, limits) => {
  const lines: Lines = { sent: [], received: [] };
  const problems: Problem[] = [];
  const notes: string[] = [];
  const first = await secured(target, limits, lines, notes);
  if ('stop' in first) return [finding(ID, first.stop.status, rfcOf(ID), first.stop.text, lines, first.value)];
  let s = first.s;
  const value = s.conn.tls?.protocol ?? undefined;
  const fresh = await protectedList(s, false);
  if (fresh.ok) notes.push(`a data connection with a TLS session of its own works (${fresh.what}): session reuse is not required`);
  else {
    // On a new session, always: a server may end the control connection over the refused data
    // connection (vsftpd's 522 does), and whether that close has arrived yet is timing.
    await close(s, lines);
    const again = await secured(target, limits, lines, []);
    if ('stop' in again)
      return [
        finding(ID, 'fail', rfcOf(ID), `A LIST over a TLS data connection failed (${fresh.what}) and a new session failed: ${again.stop.text}`, lines, value),
      ];
    s = again.s;
    const resumed = await protectedList(s, true);
    if (resumed.ok) notes.push(`the data connection must resume the control connection's TLS session (without: ${fresh.what}; resuming: ${resumed.what})`);
    else
      problems.push({
        status: 'fail',
        text: `no listing over a TLS data connection: with a fresh TLS session ${fresh.what}; resuming the control session ${resumed.what}`,
      });
  }
  await close(s, lines);
  if (!target.implicitTls) {
    const clear = await clearTextLogin(target, limits);
    lines.sent.push(...clear.transcript.sent);
    lines.received.push(...clear.transcript.received);
    if (clear.allowed)
      problems.push({
        status: 'warn',
        text: `USER before AUTH TLS got "${clear.reply}": a client can still send its password in clear text; refuse logins without TLS (vsftpd force_local_logins_ssl, proftpd TLSRequired on, pure-ftpd -Y 2)`,
      });
    else if (clear.allowed === false) notes.push(`USER before AUTH TLS is refused ("${clear.reply}")`);
  }
  const status: FindingStatus = problems.some((p) => p.status === 'fail') ? 'fail' : problems.length ? 'warn' : 'pass';
  const text = [...problems.map((p) => p.text), ...notes].join('; ');
  return [finding(ID, status, rfcOf(ID), `${text.charAt(0).toUpperCase()}${text.slice(1)}.`, lines, value)];
};
