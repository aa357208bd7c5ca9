/**
 * Property: the line framers (src/protocol/lines.ts) and the SMTP and FTP trackers built on them mark the
 * same lines, commands, replies, body ranges and dots, at the same stream offsets, and leave the client's
 * view in the same place, however the bytes are split into chunks: in one piece, at arbitrary points, or
 * one octet at a time. Random bytes are mixed with protocol fragments so the trackers reach every mode
 * (body after 354, SASL after 334, opaque after STARTTLS/AUTH TLS, multi-line and preliminary replies).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineBuffer } from '../../src/protocol/lines.js';
import { Replies } from '../../src/protocol/replies.js';
import { FtpPhase, FtpTracker } from '../../src/protocol/ftp.js';
import { SmtpPhase, SmtpTracker, type Direction } from '../../src/protocol/smtp.js';
import type { Mark, Tracker, View } from '../../src/protocol/conversation.js';
import { BYTEWISE_MAX, SEED, bytes, bytewise, cut, cuts, latin1, longLine } from './arbitraries.js';

/** One side's turn: the octets it sends, and where to cut them. */
type Turn = { readonly dir: Direction; readonly data: Buffer; readonly at: readonly number[] };
type Chunking = 'whole' | 'cut' | 'bytewise';

/** A protocol fragment from `texts`, free bytes, or a line longer than the framer keeps. */
const fragments = (texts: readonly string[]): fc.Arbitrary<Buffer> =>
  fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...texts).map(latin1) }, { weight: 3, arbitrary: bytes(24) }, { weight: 1, arbitrary: longLine });

/** A conversation: turns of client (`up`) and server (`down`) fragments. */
function conversation(up: readonly string[], down: readonly string[]): fc.Arbitrary<Turn[]> {
  const turn = (dir: Direction, texts: readonly string[]): fc.Arbitrary<Turn> =>
    fc.record({ dir: fc.constant(dir), data: fc.array(fragments(texts), { maxLength: 6 }).map((xs) => Buffer.concat(xs)), at: cuts });
  return fc.array(fc.oneof(turn('up', up), turn('down', down)), { maxLength: 10 });
}

/** Now and then, free bytes or a long line added to a protocol fragment. */
const junk: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 24, arbitrary: fc.constant(Buffer.alloc(0)) },
  { weight: 3, arbitrary: bytes(12) },
  { weight: 1, arbitrary: longLine },
);

/**
 * A session that mostly follows the protocol: the greeting, then exchanges (what the client sends, what
 * the server answers), each side sometimes with junk added, so the trackers reach their later modes.
 */
function session(greeting: string, exchanges: fc.Arbitrary<readonly Exchange[]>): fc.Arbitrary<Turn[]> {
  const turn = (dir: Direction, text: string): fc.Arbitrary<Turn> =>
    fc.record({ dir: fc.constant(dir), data: fc.tuple(junk, junk).map(([a, b]) => Buffer.concat([a, latin1(text), b])), at: cuts });
  const exchange = exchanges.chain((xs) => fc.tuple(...xs.flatMap(([up, down]) => [turn('up', up), turn('down', down)])));
  return fc.tuple(turn('down', greeting), fc.array(exchange, { maxLength: 6 })).map(([g, xs]) => [g, ...xs.flat()]);
}

/** What the client sends and what the server answers. */
type Exchange = readonly [string, string];
const one = (...xs: Exchange[]): fc.Arbitrary<readonly Exchange[]> => fc.constantFrom(...xs.map((x) => [x]));

/** A message body: lines, dot-stuffed lines, bare LF and CR dots that do not end it, then CRLF.CRLF. */
const body = fc
  .array(
    fc.oneof(
      fc.constantFrom('Subject: s\r\n', '\r\n', '..x\r\n', 'x\n.\n', 'a\r.\rb', '.', '\r\n.', '\r'),
      bytes(16).map((b) => b.toString('latin1')),
    ),
    { maxLength: 8 },
  )
  .map((xs) => `${xs.join('')}\r\n.\r\n`);

/** SMTP exchanges, AUTH LOGIN and mail transactions (plain and pipelined) kept whole so their modes are reached. */
const SMTP_EXCHANGES: fc.Arbitrary<readonly Exchange[]> = fc.oneof(
  one(
    ['EHLO x\r\n', '250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n'],
    ['MAIL FROM:<a@x>\r\n', '250 ok\r\n'],
    ['RCPT TO:<b@y>\r\n', '250 ok\r\n'],
    ['DATA\r\n', '554 no\r\n'],
    ['NOOP\n', '250 ok\n'],
    ['RSET\r\n', '250-a\r\n2500 x\r\n'],
    ['QUIT\r\n', '221 bye\r\n'],
    ['STARTTLS\r\n', '220 go TLS\r\n'],
  ),
  fc.constant<readonly Exchange[]>([
    ['AUTH LOGIN\r\n', '334 VXNlcm5hbWU6\r\n'],
    ['dXNlcg==\r\n', '334 UGFzc3dvcmQ6\r\n'],
    ['c2VjcmV0\r\n', '235 ok\r\n'],
  ]),
  body.map((b): readonly Exchange[] => [
    ['DATA\r\n', '354 go ahead\r\n'],
    [b, '250 queued\r\n'],
  ]),
  body.map((b): readonly Exchange[] => [
    ['MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n', '250 ok\r\n250 ok\r\n354 go\r\n'],
    [b, '250 queued\r\n'],
  ]),
);

/** A FEAT reply with inner lines that look like replies but do not end it (RFC 959 §4.2). */
const FEAT_REPLY = '211-Extensions supported:\r\n MLST size*;\r\n 211 indented\r\n123-another code\r\n2110 four\r\n211 END\r\n';
/** FTP exchanges: login, FEAT, passive addresses, transfers with their 1xx, ABOR after Telnet IP/Synch, AUTH TLS. */
const FTP_EXCHANGES: fc.Arbitrary<readonly Exchange[]> = one(
  ['USER joe\r\n', '331 password\r\n'],
  ['PASS s3cret\r\n', '230 in\r\n'],
  ['FEAT\r\n', FEAT_REPLY],
  ['EPSV\r\n', '229 Entering Extended Passive Mode (|||40001|)\r\n'],
  ['PASV\r\n', '227 Entering Passive Mode (127,0,0,1,156,65)\r\n'],
  ['STOR a.bin\r\n', '150 opening\r\n'],
  ['', '226 done\r\n'],
  ['RETR a.bin\r\n', '150 go\r\n226 done\r\n'],
  ['LIST\r\n', '125 go\r\n'],
  ['\xff\xf4\xff\xf2ABOR\r\n', '426 aborted\r\n226 ok\r\n'],
  ['NOOP\n', '200 ok\n'],
  ['SYST\r\n', '215-UNIX\r\n215 Type: L8\r\n'],
  ['QUIT\r\n', '221 bye\r\n'],
  ['AUTH TLS\r\n', '234 go TLS\r\n'],
);

/** Fragments for free-form conversations, where any may follow any. */
const SMTP_UP = [
  'EHLO x\r\n',
  'MAIL FROM:<a@x>\r\n',
  'RCPT TO:<b@y>\r\n',
  'DATA\r\n',
  'AUTH LOGIN\r\n',
  'STARTTLS\r\n',
  '.\r\n',
  '\r\n.\r\n',
  '..x\r\n',
  'x\n.\n',
  'Subject: s\r\n',
  'QUIT\r\n',
  'NOOP\n',
  '\r\n',
  '\r',
  '.',
];
const SMTP_DOWN = [
  '220 mx ESMTP\r\n',
  '250-mx\r\n',
  '250-PIPELINING\r\n',
  '250 ok\r\n',
  '354 go ahead\r\n',
  '334 VXNlcg==\r\n',
  '235 ok\r\n',
  '220 go TLS\r\n',
  '421 bye\r\n',
  '2500 four digits\r\n',
  '250\r\n',
  '250-\n',
  '554 no\n',
  '\r\n',
];
const FTP_UP = [
  'USER joe\r\n',
  'PASS s3cret\r\n',
  'EPSV\r\n',
  'PASV\r\n',
  'STOR a.bin\r\n',
  'RETR a.bin\r\n',
  'FEAT\r\n',
  'AUTH TLS\r\n',
  'QUIT\r\n',
  '\xff\xf4\xff\xf2ABOR\r\n',
  'NOOP\n',
  '\r\n',
];
const FTP_DOWN = [
  '220 ready\r\n',
  '331 password\r\n',
  '230 in\r\n',
  '211-Features:\r\n',
  ' MLST size*;\r\n',
  ' 211 indented\r\n',
  '2110 four digits\r\n',
  '211 End\r\n',
  '150 opening\r\n',
  '226 done\r\n',
  '229 Entering Extended Passive Mode (|||40001|)\r\n',
  '234 go TLS\r\n',
  '421 bye\r\n',
  '211\r\n',
  '123-other code\r\n',
  '\r\n',
];

/** A mark with its chunk offsets made absolute in its direction's stream. */
type AbsMark = Record<string, unknown>;

/**
 * Feeds `turns` cut as `how` says; returns the absolute marks and, after each turn, what the tracker and
 * the view report. Body marks depend on chunking by design (a split terminator's first octets land in a
 * body mark): adjacent ones are merged and cut at the end of content, which the dot gives exactly.
 */
function run(turns: readonly Turn[], how: Chunking, make: () => { tracker: Tracker; view: View }): { marks: AbsMark[]; states: unknown[] } {
  const { tracker, view } = make();
  const offset: Record<Direction, number> = { up: 0, down: 0 };
  const marks: AbsMark[] = [];
  const states: unknown[] = [];
  for (const { dir, data, at } of turns) {
    const chunks = how === 'whole' ? [data] : how === 'cut' ? cut(data, at) : bytewise(data);
    for (const chunk of chunks) {
      for (const m of tracker.feed(dir, chunk)) {
        marks.push(absolute(m, offset[dir], dir));
        if (dir === 'up') view.sent(m);
        else view.shown(m);
      }
      offset[dir] += chunk.length;
    }
    states.push({
      partialCommandBytes: tracker.partialCommandBytes,
      partialReplyBytes: tracker.partialReplyBytes,
      phase: view.phase,
      lastCode: view.lastCode,
      violations: [...view.violations],
      accepted: view.accepted,
      transactions: view.transactions,
    });
  }
  return { marks: normaliseBody(marks), states };
}

function absolute(m: Mark, base: number, dir: Direction): AbsMark {
  if (m.kind === 'body') return { dir, kind: 'body', start: base + m.start, end: base + m.end };
  return { dir, ...m, end: base + m.end };
}

function normaliseBody(marks: readonly AbsMark[]): AbsMark[] {
  const out: AbsMark[] = [];
  for (const m of marks) {
    const last = out.at(-1);
    if (m.kind === 'body' && last?.kind === 'body' && last.end === m.start) last.end = m.end;
    else out.push({ ...m });
  }
  for (const [i, m] of out.entries()) {
    const dot = out.slice(i + 1).find((x) => x.kind === 'dot');
    if (m.kind === 'body' && dot) m.end = Math.min(Number(m.end), Number(dot.end) - 3);
  }
  return out.filter((m) => m.kind !== 'body' || Number(m.end) > Number(m.start));
}

/** The same marks and states whole, cut at arbitrary points, and (when short) octet by octet. */
function sameHoweverSplit(turns: readonly Turn[], make: () => { tracker: Tracker; view: View }): void {
  const whole = run(turns, 'whole', make);
  expect(run(turns, 'cut', make)).toEqual(whole);
  const size = turns.reduce((n, t) => n + t.data.length, 0);
  if (size <= BYTEWISE_MAX) expect(run(turns, 'bytewise', make)).toEqual(whole);
}

const smtp = () => ({ tracker: new SmtpTracker(), view: new SmtpPhase() });
const ftp = () => ({ tracker: new FtpTracker(), view: new FtpPhase() });
const RUNS = { seed: SEED, numRuns: 2000 };

describe('LineBuffer under arbitrary chunking', () => {
  /** Lines with absolute ends, and the unfinished line left over. */
  function frame(chunks: readonly Buffer[]): { lines: unknown[]; partial: string } {
    const buffer = new LineBuffer();
    const lines: unknown[] = [];
    let base = 0;
    for (const chunk of chunks) {
      for (const line of buffer.lines(chunk)) lines.push({ ...line, end: base + line.end });
      base += chunk.length;
    }
    return { lines, partial: buffer.partial };
  }

  it('yields the same lines, line ends and partial line however the bytes are split', () => {
    const data = fc.array(fc.oneof({ weight: 8, arbitrary: bytes(48) }, { weight: 1, arbitrary: longLine }), { maxLength: 6 }).map((xs) => Buffer.concat(xs));
    fc.assert(
      fc.property(data, cuts, (buf, at) => {
        const whole = frame([buf]);
        expect(frame(cut(buf, at))).toEqual(whole);
        if (buf.length <= BYTEWISE_MAX) expect(frame(bytewise(buf))).toEqual(whole);
        // And they are the right lines: one per LF, CR LF or bare LF, the text cut at 4096 octets.
        const text = buf.toString('latin1');
        const parts = text.split('\n');
        const rest = parts.pop() ?? '';
        let end = 0;
        const want = parts.map((line) => {
          end += line.length + 1;
          const bare = !line.endsWith('\r');
          return { text: (bare ? line : line.slice(0, -1)).slice(0, 4096), end, bare };
        });
        expect(whole).toEqual({ lines: want, partial: rest.slice(0, 4096) });
      }),
      RUNS,
    );
  });
});

describe('long lines (regressions found by these properties)', () => {
  const long = latin1(`250-${'x'.repeat(5000)}\r\n`);

  it('cuts a line longer than 4096 octets to the same text whether it came whole or split', () => {
    const whole = [...new LineBuffer().lines(long)].map((l) => l.text);
    const buffer = new LineBuffer();
    const split = [...buffer.lines(long.subarray(0, 4500)), ...buffer.lines(long.subarray(4500))].map((l) => l.text);
    expect(whole).toEqual([`250-${'x'.repeat(4092)}`]);
    expect(split).toEqual(whole);
  });

  it('keeps a line ending in CR LF when the CR falls beyond the kept text and the LF comes alone', () => {
    const buffer = new LineBuffer();
    expect([...buffer.lines(long.subarray(0, -1))]).toEqual([]);
    expect(buffer.partialBytes).toBe(long.length - 1);
    expect(buffer.partial).toHaveLength(4096);
    expect([...buffer.lines(long.subarray(-1))]).toMatchObject([{ bare: false, end: 1 }]);
  });

  it('counts every octet of a long reply line split across chunks', () => {
    const replies = new Replies();
    const lines = [...replies.lines(long.subarray(0, 4500)), ...replies.lines(long.subarray(4500))];
    expect(lines.map((l) => l.bytes)).toEqual([long.length]);
    replies.continues(lines[0]!.text, lines[0]!.bytes);
    expect(replies.partialBytes).toBe(long.length);
  });
});

describe('SmtpTracker under arbitrary chunking', () => {
  it('marks the same commands, replies, body and dots, and the client view agrees, however split', () => {
    fc.assert(
      fc.property(conversation(SMTP_UP, SMTP_DOWN), (turns) => sameHoweverSplit(turns, smtp)),
      RUNS,
    );
  });

  it('does so through whole sessions (AUTH, DATA and its body, STARTTLS) with junk mixed in', () => {
    fc.assert(
      fc.property(session('220 mx ESMTP\r\n', SMTP_EXCHANGES), (turns) => sameHoweverSplit(turns, smtp)),
      RUNS,
    );
  });
});

describe('SmtpTracker end of data', () => {
  it('ends the message at the first CRLF.CRLF, counting the body before it (RFC 5321 §4.1.1.4), however split', () => {
    const body = fc
      .array(fc.oneof(bytes(16), fc.constantFrom('\r\n', '.', '\r\n.', '.\r\n', '\n.\n', '\r\n..\r\n').map(latin1)), { maxLength: 10 })
      .map((xs) => Buffer.concat([...xs, latin1('\r\n.\r\n')]));
    fc.assert(
      fc.property(body, cuts, (data, at) => {
        // The body starts at a line start: a lone ".\r\n" first ends an empty message.
        const first = Buffer.concat([latin1('\r\n'), data]).indexOf('\r\n.\r\n') - 2 + 5;
        const tracker = new SmtpTracker();
        tracker.feed('down', latin1('220 x\r\n'));
        tracker.feed('up', latin1('DATA\r\n'));
        tracker.feed('down', latin1('354 go\r\n'));
        const dots: unknown[] = [];
        let base = 0;
        for (const chunk of cut(data, at)) {
          for (const m of tracker.feed('up', chunk)) if (m.kind === 'dot') dots.push({ end: base + m.end, bodyBytes: m.bodyBytes });
          base += chunk.length;
        }
        expect(dots[0]).toEqual({ end: first, bodyBytes: Math.max(0, first - 3) });
      }),
      RUNS,
    );
  });
});

describe('FtpTracker under arbitrary chunking', () => {
  it('marks the same commands and replies, and the client view agrees, however split', () => {
    fc.assert(
      fc.property(conversation(FTP_UP, FTP_DOWN), (turns) => sameHoweverSplit(turns, ftp)),
      RUNS,
    );
  });

  it('does so through whole sessions (login, FEAT, transfers, ABOR, AUTH TLS) with junk mixed in', () => {
    fc.assert(
      fc.property(session('220 ready\r\n', FTP_EXCHANGES), (turns) => sameHoweverSplit(turns, ftp)),
      RUNS,
    );
  });
});
