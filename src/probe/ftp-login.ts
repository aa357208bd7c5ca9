/**
 * FTP checks of the first minute of a session: `ftp.greeting`, `ftp.login`, `ftp.feat` (ids documented
 * in ./ftp-ids.ts). One control session for all three, plus one more for a wrong password when the target
 * names a user (anonymous logins accept any password, so nothing to learn there).
 *
 *   connect ─► 120? 220 ─► greeting │ USER/PASS ─► login │ SYST, FEAT, TYPE I, then one harmless
 *   command per advertised feature it can try (OPTS UTF8 ON, SIZE/MDTM of a missing file, REST 0, MLST) ─► feat
 *
 * TYPE I first, as clients send it before REST and SIZE: servers may refuse a restart (or a size) in
 * ASCII type, where octet offsets and counts are not those of the file (RFC 3659 §4, §5). OPTS UTF8 ON
 * is not defined by RFC 2640 (which only defines the UTF8 feature; the command comes from an expired
 * draft), so its answer is reported, never judged.
 */
import { randomBytes } from 'node:crypto';
import { FtpSession, type Login } from './ftp-control.js';
import { finding, merge, seconds, skipped } from './finding.js';
import { codeOf, isAnonymous, probeFileName, said } from './ftp-shared.js';
import { rfcOf } from './ids.js';
import type { Read } from './raw.js';
import type { Reply } from '../protocol/reply.js';
import type { Finding, ProbeLimits, ProbeTarget } from './types.js';

const RFC = { greeting: rfcOf('ftp.greeting'), login: rfcOf('ftp.login'), feat: rfcOf('ftp.feat') } as const;

/** A greeting slower than this is a warning: clients give up (often a reverse DNS lookup of the client). */
const SLOW_GREETING_MS = 3000;
/**
 * Extra wait for the reply to a wrong password: servers hold it back on purpose against password
 * guessing (RFC 2577 suggests about 5 s; pure-ftpd's delay varies and grows), which is no fault.
 */
const FAILED_LOGIN_GRACE_MS = 15_000;

/** What to send to see that an advertised feature is implemented, and which replies say it is not. */
const FEATURE_TESTS: Readonly<Record<string, (missing: string) => string>> = {
  UTF8: () => 'OPTS UTF8 ON',
  SIZE: (missing) => `SIZE ${missing}`,
  MDTM: (missing) => `MDTM ${missing}`,
  REST: () => 'REST 0',
  MLST: () => 'MLST',
};
/** Features whose test is informational: a refusal does not make the feature broken (see above). */
const INFORMATIONAL: ReadonlySet<string> = new Set(['UTF8']);
/** Replies meaning "no such command / not implemented" (RFC 959 §4.2.1: 500, 502, 504). */
const NOT_IMPLEMENTED: ReadonlySet<number> = new Set([500, 502, 504]);

/** The greeting, login and feat checks. */
export async function ftpLoginChecks(target: ProbeTarget, limits: ProbeLimits): Promise<Finding[]> {
  const opened = await FtpSession.open(target, limits);
  const where = `${target.host}:${target.port}`;
  if (!opened.ok) {
    const notRun = 'Not run: no FTP session could be opened (see ftp.greeting).';
    const transcript = opened.stage === 'connect' ? opened.transcript : opened.session.take();
    if (opened.stage === 'greeting') opened.session.conn.destroy();
    const advice =
      opened.stage === 'connect'
        ? `Connecting to ${where} ${opened.failure.kind === 'refused' ? 'was refused: nothing listens there, or a firewall rejects it' : `failed: ${opened.failure.event}`}.`
        : greetingTrouble(opened.read);
    const value = opened.stage === 'greeting' && opened.read.ok ? opened.read.value.code : undefined;
    return [
      finding('ftp.greeting', 'fail', RFC.greeting, advice, transcript, value),
      skipped('ftp.login', RFC.login, notRun),
      skipped('ftp.feat', RFC.feat, notRun),
    ];
  }
  const { session } = opened;
  try {
    const findings = [greetingFinding(opened.greeting, opened.ms, session, opened.preliminary)];
    const login = await session.loginAs(target);
    const loginTranscript = session.take();
    if (!login.ok) {
      findings.push(finding('ftp.login', 'fail', RFC.login, loginRefused(login, target.user ?? 'anonymous'), loginTranscript, login.code || undefined));
      findings.push(skipped('ftp.feat', RFC.feat, 'Not run: the login failed (see ftp.login).'));
      return findings;
    }
    // The login went inside TLS by AUTH TLS (not ftps://): the wrong password's session does too.
    const authTls = session.conn.tls !== null && !target.implicitTls;
    findings.push(await loginFinding(target, limits, login, loginTranscript, authTls));
    findings.push(await featFinding(session));
    return findings;
  } finally {
    await session.quit();
  }
}

/** Why there was no 220, in one sentence. */
function greetingTrouble(read: Read<Reply>): string {
  if (!read.ok) {
    if (read.end === 'timeout')
      return `No greeting within the wait (${read.event}): clients time out; the server may be stuck, overloaded, or doing a slow reverse DNS lookup of the client (a longer --timeout times a slow one).`;
    if (read.end === 'rst')
      return 'The server reset the connection instead of greeting: clients report "connection reset"; check its connection limits and tcp wrappers.';
    return 'The server closed the connection without a greeting (no 421): clients cannot tell why; a limit should answer 421 with a reason.';
  }
  const r = read.value;
  if (r.malformed)
    return `The greeting is not an FTP reply ("${r.lines[0] ?? ''}"): this is not an FTP server, or something in front of it speaks another protocol.`;
  if (r.code === 421)
    return `The server greeted with ${r.code} "${r.lines[0] ?? ''}": it is refusing new sessions now (overloaded, or a connection limit reached).`;
  return `The server greeted with ${r.code} "${r.lines[0] ?? ''}" instead of 220: clients stop here.`;
}

function greetingFinding(greeting: Reply, ms: number, session: FtpSession, preliminary?: Reply): Finding {
  const transcript = session.take();
  const value = seconds(ms, 3); // to the millisecond: greetings are usually fast
  if (greeting.bareLf)
    return finding(
      'ftp.greeting',
      'warn',
      RFC.greeting,
      'The greeting ends its lines with a bare LF: RFC 959 asks for CRLF, and strict clients may hang waiting for it.',
      transcript,
      value,
    );
  if (ms > SLOW_GREETING_MS) {
    return finding(
      'ftp.greeting',
      'warn',
      RFC.greeting,
      `The 220 took ${value} s: clients with short timeouts give up; turn off reverse DNS lookups of clients (UseReverseDNS off, reverse_lookup_enable=NO, pure-ftpd -H).`,
      transcript,
      value,
    );
  }
  const lines = greeting.lines.length > 1 ? ` (${greeting.lines.length} lines)` : '';
  const first = preliminary ? `${preliminary.code} then ` : '';
  return finding('ftp.greeting', 'pass', RFC.greeting, `The server greeted with ${first}220${lines} after ${value} s.`, transcript, value);
}

function loginRefused(login: Login, user: string): string {
  if (login.at === 'AUTH') {
    const why =
      login.tls === 'not offered'
        ? 'FEAT lists no AUTH TLS, and --starttls require asks for TLS'
        : login.tls === 'refused'
          ? `FEAT lists AUTH TLS, but AUTH TLS got ${said(login.last)}`
          : `AUTH TLS got 234, but the TLS handshake failed ${login.last.ok ? '' : login.last.event}`;
    return `${why}: the login as ${user} was not tried, so its password was not sent in clear text (--starttls off sends it in clear).`;
  }
  if (!login.last.ok)
    return `The server ${login.last.end === 'timeout' ? 'did not answer' : 'ended the session'} at ${login.at} (${login.last.event}) instead of logging in ${user}.`;
  if (login.code === 530)
    return `The login as ${user} was refused at ${login.at} (${said(login.last)}): check the user name and password, or that the account may log in by FTP.`;
  if (login.code === 421) return `The server closed the session at ${login.at} (${said(login.last)}): it is refusing sessions now (a limit, or overloaded).`;
  return `The login as ${user} did not succeed: ${login.at} got ${said(login.last)} where 230 was expected.`;
}

/** The login worked; for a named user, also check that a wrong password gets 530 (one attempt, own session; `authTls`: inside AUTH TLS, as the login). */
async function loginFinding(
  target: ProbeTarget,
  limits: ProbeLimits,
  login: Login,
  transcript: { sent: string[]; received: string[] },
  authTls: boolean,
): Promise<Finding> {
  const tls = authTls
    ? ', inside TLS after AUTH TLS'
    : login.tls === 'refused'
      ? ', in clear text: FEAT lists AUTH TLS but it was refused (see ftp.auth-tls; --starttls require never sends the password in clear)'
      : '';
  const how = `${login.at === 'PASS' ? '331 then 230' : '230 at USER'}${tls}`;
  const user = target.user ?? 'anonymous';
  if (isAnonymous(target.user))
    return finding(
      'ftp.login',
      'pass',
      RFC.login,
      `Logged in as ${user} (${how}); a wrong password was not tried (anonymous accepts any).`,
      transcript,
      login.code,
    );
  const other = await FtpSession.open(target, limits);
  if (!other.ok) {
    if (other.stage === 'greeting') other.session.conn.destroy();
    return finding(
      'ftp.login',
      'pass',
      RFC.login,
      `Logged in as ${user} (${how}); a second session for a wrong password could not be opened.`,
      transcript,
      login.code,
    );
  }
  // As the login did: inside TLS when it went there (a server that requires TLS refuses USER in clear).
  const secured = authTls ? await other.session.secureControl() : true;
  other.session.take();
  const wrong =
    secured === true
      ? await other.session.login(user, `wireprobe-wrong-${randomBytes(8).toString('hex')}`, limits.replyTimeoutMs + FAILED_LOGIN_GRACE_MS)
      : secured;
  const both = merge(transcript, other.session.take(), 'wrong password, new session');
  await other.session.quit();
  if (wrong.ok)
    return finding(
      'ftp.login',
      'fail',
      RFC.login,
      `The server accepted a wrong password for ${user}: anyone can log in as this user; check its authentication setup.`,
      both,
      wrong.code,
    );
  if (wrong.code === 530) return finding('ftp.login', 'pass', RFC.login, `Logged in as ${user} (${how}); a wrong password got 530.`, both, login.code);
  return finding(
    'ftp.login',
    'warn',
    RFC.login,
    `Logged in as ${user} (${how}), but a wrong password got ${said(wrong.last)} instead of 530: clients cannot tell a bad password from a fault.`,
    both,
    login.code,
  );
}

/** SYST, FEAT, and one harmless command per advertised feature the probe knows how to try. */
async function featFinding(session: FtpSession): Promise<Finding> {
  await session.command('SYST');
  const feat = await session.command('FEAT');
  if (!feat.ok) return finding('ftp.feat', 'fail', RFC.feat, `FEAT got no reply (${feat.event}): the session broke on a harmless command.`, session.take());
  const reply = feat.value;
  if (NOT_IMPLEMENTED.has(reply.code))
    return finding(
      'ftp.feat',
      'warn',
      RFC.feat,
      `FEAT is not supported (${said(feat)}): clients cannot discover SIZE, MDTM, UTF8 or EPSV and fall back to guessing.`,
      session.take(),
      reply.code,
    );
  if (reply.code !== 211) return finding('ftp.feat', 'fail', RFC.feat, `FEAT got ${said(feat)} instead of 211.`, session.take(), reply.code);
  // RFC 2389 §3.2: between the 211- and 211 lines, one feature per line, each indented by one space.
  const inner = reply.raw.slice(1, -1);
  const badLines = inner.filter((line) => !/^ \S/.test(line));
  const features = inner.map((line) => line.trim()).filter((line) => line !== '');
  const missing = probeFileName();
  const broken: string[] = [];
  const tried: string[] = [];
  const info: string[] = [];
  const testable = features.filter((feature) => {
    const name = (feature.split(' ')[0] ?? '').toUpperCase();
    return FEATURE_TESTS[name] !== undefined && (name !== 'REST' || /STREAM/i.test(feature));
  });
  if (testable.length > 0) await session.command('TYPE I');
  for (const feature of testable) {
    const name = (feature.split(' ')[0] ?? '').toUpperCase();
    const read = await session.command(FEATURE_TESTS[name]!(missing));
    if (INFORMATIONAL.has(name)) {
      const accepted = codeOf(read) >= 200 && codeOf(read) < 300;
      info.push(
        `OPTS UTF8 ON got ${said(read)}${accepted ? '' : ' (not a fault: RFC 2640 defines the UTF8 feature, not this command, and servers that always use UTF-8 need no switch)'}`,
      );
      continue;
    }
    tried.push(name);
    const works = name === 'REST' ? codeOf(read) === 350 : read.ok && !NOT_IMPLEMENTED.has(read.value.code);
    if (!works) broken.push(`${name} (${said(read)})`);
  }
  const value = features.join('; ');
  const transcript = session.take();
  const also = info.length > 0 ? ` ${info.join('; ')}.` : '';
  if (broken.length > 0) {
    return finding(
      'ftp.feat',
      'fail',
      RFC.feat,
      `FEAT advertises ${broken.join(', ')} but it does not work: clients trust FEAT, so fix the feature or stop advertising it.${also}`,
      transcript,
      value,
    );
  }
  if (badLines.length > 0) {
    return finding(
      'ftp.feat',
      'warn',
      RFC.feat,
      `FEAT lines must each start with one space (RFC 2389 §3.2); ${JSON.stringify(badLines[0])} does not: strict clients miss features.${also}`,
      transcript,
      value,
    );
  }
  const checked = tried.length > 0 ? `; ${tried.join(', ')} answered as advertised` : '';
  const untried = features.filter((f) => !tried.includes((f.split(' ')[0] ?? '').toUpperCase()) && !INFORMATIONAL.has((f.split(' ')[0] ?? '').toUpperCase()));
  const rest = untried.length > 0 ? ` (not tried here: ${untried.join(', ')})` : '';
  return finding('ftp.feat', 'pass', RFC.feat, `FEAT lists ${features.length} features${checked}${rest}.${also}`, transcript, value);
}

/**
 * After the first group (greeting, login, feat): whether a session can be had at all. False when the
 * greeting or the login failed; run.ts then reports the other ids as `skip`.
 */
export function ftpSessionUsable(findings: readonly Finding[]): boolean {
  const ok = (id: string): boolean => findings.some((f) => f.id === id && (f.status === 'pass' || f.status === 'warn'));
  return ok('ftp.greeting') && ok('ftp.login');
}
