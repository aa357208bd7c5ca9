/**
 * SMTP line lengths: `smtp.line-length`. RFC 5321 §4.5.3.1.4 sets a command line at 512 octets with its
 * CRLF, §4.5.3.1.6 a text line at 1000: lines that long must be taken. Longer ones may be refused (500
 * "line too long", §4.5.3.1.9), but never met with silence, a close or a reset.
 *
 *   NOOP wireprobe ─► NOOP padded to 512 octets ─► 250 ─► NOOP padded to 2048 ─► any reply ─► NOOP ─► 250 (still reading)
 *   [--send] MAIL, RCPT, DATA ─► a message with one 1000-octet text line ─► 250 at its end
 *
 * The 1000-octet text line needs --send: a server answers for the data only after <CRLF>.<CRLF>, so
 * seeing its verdict delivers the message.
 *
 * NOOP carries the padding because a server SHOULD ignore its parameter (RFC 5321 §4.1.1.9), so the
 * reply is about the line's length alone. A server that refuses any parameter to NOOP (OpenSMTPD) is
 * known by a short `NOOP wireprobe` first: a padded line refused in the same words was answered as
 * such a NOOP, not for its length.
 */
import { rfcOf } from './ids.js';
import { finding, skipped } from './finding.js';
import { probeHeader } from './smtp-mail.js';
import { annotate, closeSmtp, noSession, openSmtp, said, type SessionNotes } from './smtp-session.js';
import type { RawConnection, Read } from './raw.js';
import type { Reply } from '../protocol/reply.js';
import type { CheckGroup, Finding, FindingStatus, ProbeLimits, ProbeTarget } from './types.js';

/** RFC 5321 §4.5.3.1.4: a command line, command word and CRLF included. */
export const COMMAND_LINE_OCTETS = 512;
/** RFC 5321 §4.5.3.1.6: a text line, CRLF included (sent with --send). */
export const TEXT_LINE_OCTETS = 1000;
/** A command line past the limit, as a client with a bug or an attacker sends it. */
export const LONG_COMMAND_OCTETS = 2048;

/** NOOP with a short parameter: what the server makes of a parameter at all, before any padding. */
export const SHORT_NOOP = 'NOOP wireprobe';

/** NOOP padded to exactly `octets` octets, CRLF included (sent with conn.write, shown short). */
export const paddedNoop = (octets: number): string => `NOOP ${'x'.repeat(octets - 7)}\r\n`;

/** A text line of exactly TEXT_LINE_OCTETS octets, CRLF included: the longest §4.5.3.1.6 allows. */
export const longestTextLine = (): string => `${'x'.repeat(TEXT_LINE_OCTETS - 2)}\r\n`;

interface Problem {
  readonly status: FindingStatus;
  readonly text: string;
}

async function noop(conn: RawConnection, octets: number) {
  await conn.write(paddedNoop(octets), { show: `NOOP xxx... [${octets} octets with CRLF]` });
  return conn.readReply();
}

async function lineLength(target: ProbeTarget, limits: ProbeLimits, notes: SessionNotes): Promise<Finding> {
  const id = 'smtp.line-length';
  const rfc = rfcOf(id);
  const session = await openSmtp(target, limits, { auth: true, notes });
  if (!session.ok) return skipped(id, rfc, noSession(session), session);
  const { conn } = session;
  const problems: Problem[] = [];
  const done = async (extra: string): Promise<Finding> => {
    await closeSmtp(conn, limits);
    const t = conn.takeTranscript();
    if (problems.length)
      return finding(id, problems.some((p) => p.status === 'fail') ? 'fail' : 'warn', rfc, `${cap(problems.map((p) => p.text).join('; '))}.${extra}`, t);
    return finding(
      id,
      'pass',
      rfc,
      aside
        ? `A ${COMMAND_LINE_OCTETS}-octet command line was answered as a NOOP with a parameter, like a short one, and a ${LONG_COMMAND_OCTETS}-octet one got a reply, the session reading on.${aside}${extra}`
        : `A ${COMMAND_LINE_OCTETS}-octet command line got 250 and a ${LONG_COMMAND_OCTETS}-octet one a reply, the session reading on.${extra}`,
      t,
    );
  };
  // What NOOP with any parameter gets: a server that refuses the parameter itself (OpenSMTPD: "500 5.5.4
  // Invalid command arguments") refuses the padded line for that, not for its length.
  const plain = await conn.command(SHORT_NOOP);
  if (!plain.ok) {
    const how = plain.end === 'timeout' ? 'no reply' : `no reply, the connection ended ${plain.event}`;
    problems.push({ status: 'warn', text: `a short NOOP with a parameter ("${SHORT_NOOP}") got ${how}, so the long lines were not tried` });
    return done('');
  }
  const short = await noop(conn, COMMAND_LINE_OCTETS);
  let aside = '';
  if (!short.ok || short.value.code !== 250) {
    if (sameRefusal(plain, short))
      aside = ` It refuses NOOP with a parameter whatever its length ("${said(plain)}"; RFC 5321 §4.1.1.9: a server SHOULD ignore it).`;
    else {
      const shortOne = plain.ok && plain.value.code === 250 ? `, where a short NOOP with a parameter got 250` : '';
      problems.push({
        status: 'fail',
        text: `a command line of ${COMMAND_LINE_OCTETS} octets (NOOP with padding) got "${said(short)}", not 250${shortOne}: RFC 5321 §4.5.3.1.4 allows command lines this long`,
      });
      if (!short.ok) return done('');
    }
  }
  const long = await noop(conn, LONG_COMMAND_OCTETS);
  if (!long.ok) {
    const how = long.end === 'timeout' ? 'no reply (the server swallowed it)' : `no reply, the connection ended ${long.event}`;
    problems.push({
      status: 'fail',
      text: `a command line of ${LONG_COMMAND_OCTETS} octets got ${how}: refuse an overlong line with "500 Line too long" (RFC 5321 §4.5.3.1.9)`,
    });
    return done('');
  }
  const after = await conn.command('NOOP');
  if (!after.ok || after.value.code !== 250)
    problems.push({
      status: 'warn',
      text: `after a ${LONG_COMMAND_OCTETS}-octet command line ("${said(long)}") the next NOOP got "${said(after)}": the session did not go on reading commands`,
    });
  const shown = ` (${LONG_COMMAND_OCTETS} octets: "${said(long)}".)`;
  if (!limits.send)
    return done(
      `${shown} A ${TEXT_LINE_OCTETS}-octet text line inside DATA is tried only with --send: a server answers for it at the end of the data, so seeing that delivers a message.`,
    );
  return done(`${shown}${await textLine(conn, limits, problems)}`);
}

/**
 * --send: a message with one text line of TEXT_LINE_OCTETS octets must be taken at its end (250). What
 * the advice says of it; a refusal or a lost connection is a problem. A transaction refused before DATA
 * (a policy, authentication) says nothing about lines: not tried.
 */
async function textLine(conn: RawConnection, limits: ProbeLimits, problems: Problem[]): Promise<string> {
  for (const command of ['RSET', 'MAIL FROM:<>', `RCPT TO:<${limits.rcpt}>`, 'DATA']) {
    const reply = await conn.command(command);
    const wanted = command === 'DATA' ? 354 : 250;
    if (!reply.ok || (reply.value.code !== wanted && !(command.startsWith('RCPT') && reply.value.code === 251))) {
      return ` A ${TEXT_LINE_OCTETS}-octet text line was not tried: ${command.split(':')[0]} got "${said(reply)}".`;
    }
  }
  const body = `${probeHeader(limits.rcpt)}${longestTextLine()}wireprobe probe: the line above is ${TEXT_LINE_OCTETS} octets with its CRLF.\r\n.\r\n`;
  await conn.write(body, { show: [`[message: one text line of ${TEXT_LINE_OCTETS} octets with CRLF]`, '.'] });
  const end = await conn.readReply();
  if (end.ok && end.value.code === 250)
    return ` A ${TEXT_LINE_OCTETS}-octet text line inside DATA was taken (250): --send delivered that message to ${limits.rcpt}.`;
  problems.push({
    status: 'fail',
    text: `a message with a text line of ${TEXT_LINE_OCTETS} octets got "${said(end)}" at its end, not 250: RFC 5321 §4.5.3.1.6 allows text lines this long`,
  });
  return '';
}

/** The line-length group: `smtp.line-length`. */
export const smtpLinesGroup: CheckGroup = async (target, limits) => {
  const notes: SessionNotes = {};
  return [annotate(await lineLength(target, limits, notes), notes)];
};

/** Both refused alike (code and text): the padded line was refused for its parameter, not its length. */
function sameRefusal(plain: Read<Reply>, padded: Read<Reply>): boolean {
  return plain.ok && padded.ok && plain.value.code !== 250 && plain.value.code === padded.value.code && said(plain) === said(padded);
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
