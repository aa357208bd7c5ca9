/**
 * BDAT (RFC 3030 §2) in the SMTP tracker: a `BDAT <size> [LAST]` line is followed by exactly <size>
 * octets of chunk data, binary and never dot-stuffed, then commands resume. Those octets are never read
 * as commands (CRLF.CRLF, `QUIT` or another `BDAT` inside them is data), however the stream is split.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stepOf } from '../../src/protocol/conversation.js';
import { BDAT_LAST, parseBdat, SmtpPhase, SmtpTracker, type Direction, type SmtpMark } from '../../src/protocol/smtp.js';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** One side's turn, and where to cut it (offsets into it). */
type Turn = { readonly dir: Direction; readonly data: Buffer; readonly at?: readonly number[] };

/** A mark with absolute offsets in its direction's stream; body marks merged across chunk boundaries. */
type AbsMark = Record<string, unknown>;

/** Feeds `turns`, each cut at its `at` offsets; returns absolute marks (body merged) and the phase after each turn. */
function run(turns: readonly Turn[]): { marks: AbsMark[]; phases: string[]; accepted: number } {
  const tracker = new SmtpTracker();
  const view = new SmtpPhase();
  const offset: Record<Direction, number> = { up: 0, down: 0 };
  const marks: AbsMark[] = [];
  const phases: string[] = [];
  for (const { dir, data, at = [] } of turns) {
    const points = [...new Set([0, ...at.map((i) => i % (data.length + 1)), data.length])].sort((a, b) => a - b);
    for (let i = 1; i < points.length; i++) {
      const piece = data.subarray(points[i - 1], points[i]);
      for (const m of tracker.feed(dir, piece)) {
        marks.push(absolute(m, offset[dir], dir));
        if (dir === 'up') view.sent(m);
        else view.shown(m);
      }
      offset[dir] += piece.length;
    }
    phases.push(view.phase);
  }
  return { marks: merge(marks), phases, accepted: view.accepted };
}

function absolute(m: SmtpMark, base: number, dir: Direction): AbsMark {
  if (m.kind === 'body') return { dir, ...m, start: base + m.start, end: base + m.end };
  return { dir, ...m, end: base + m.end };
}

function merge(marks: AbsMark[]): AbsMark[] {
  const out: AbsMark[] = [];
  for (const m of marks) {
    const last = out.at(-1);
    if (m.kind === 'body' && last?.kind === 'body' && last.end === m.start) last.end = m.end;
    else out.push({ ...m });
  }
  return out;
}

const up = (text: string | Buffer, at?: number[]): Turn => ({ dir: 'up', data: typeof text === 'string' ? latin1(text) : text, ...(at ? { at } : {}) });
const down = (text: string): Turn => ({ dir: 'down', data: latin1(text) });
const summary = (m: AbsMark): string =>
  `${String(m.kind)}:${String(m.verb ?? m.to ?? '')}:${String(m.code ?? (m.kind === 'body' ? `${m.start}-${m.end}+${m.before}` : ''))}`;

const HELLO = [
  down('220 mx ESMTP\r\n'),
  up('EHLO c\r\n'),
  down('250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n'),
  up('MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n'),
  down('250 ok\r\n250 ok\r\n'),
];
const HELLO_UP = 'EHLO c\r\n'.length + 'MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n'.length;

describe('parseBdat', () => {
  it.each([
    ['BDAT 10', { size: 10, last: false }],
    ['BDAT 0 LAST', { size: 0, last: true }],
    ['bdat 7 last', { size: 7, last: true }],
    ['BDAT 99999999999999999999', { size: Number.POSITIVE_INFINITY, last: false }],
    ['BDAT 5 NOTLAST', { size: 5, last: false }],
    ['BDAT', undefined],
    ['BDAT ten', undefined],
  ])('reads %j', (line, want) => {
    expect(parseBdat(line)).toEqual(want);
  });
});

describe('SmtpTracker with BDAT', () => {
  it('frames two chunks whose data holds CRLF.CRLF and command lines, and ends the message at the LAST reply', () => {
    const chunk1 = '\r\n.\r\nQUIT\r\n';
    const { marks, phases, accepted } = run([
      ...HELLO,
      up(`BDAT ${chunk1.length}\r\n${chunk1}`),
      down('250 1 ok\r\n'),
      up('BDAT 3 LAST\r\nabc'),
      down('250 queued\r\n'),
      up('QUIT\r\n'),
      down('221 bye\r\n'),
    ]);
    const b1 = HELLO_UP + 'BDAT 11\r\n'.length;
    const b2 = b1 + chunk1.length + 'BDAT 3 LAST\r\n'.length;
    expect(marks.slice(7).map(summary)).toEqual([
      'command:BDAT:',
      `body::${b1}-${b1 + 11}+0`,
      'reply:BDAT:250',
      'command:BDAT:',
      `body::${b2}-${b2 + 3}+11`,
      'reply:BDAT LAST:250',
      'command:QUIT:',
      'reply:QUIT:221',
    ]);
    expect(marks.filter((m) => m.kind === 'body').every((m) => m.bdat === true)).toBe(true);
    expect(marks.find((m) => m.verb === 'BDAT' && m.last)).toMatchObject({ line: 'BDAT 3 LAST' });
    expect(phases.slice(5)).toEqual(['bdat', 'bdat', 'bdat', 'bdat', 'quit', 'quit']);
    expect(accepted).toBe(1);
  });

  it('frames pipelined BDATs sent in one write, and their replies in order', () => {
    const { marks } = run([...HELLO, up('BDAT 4\r\nBDATBDAT 2\r\nxyBDAT 0 LAST\r\nQUIT\r\n'), down('250 a\r\n250 b\r\n250 c\r\n221 bye\r\n')]);
    expect(marks.slice(7).map(summary)).toEqual([
      'command:BDAT:',
      `body::${HELLO_UP + 8}-${HELLO_UP + 12}+0`,
      'command:BDAT:',
      `body::${HELLO_UP + 20}-${HELLO_UP + 22}+4`,
      'command:BDAT:',
      'command:QUIT:',
      'reply:BDAT:250',
      'reply:BDAT:250',
      'reply:BDAT LAST:250',
      'reply:QUIT:221',
    ]);
  });

  it('counts chunk data from 0 again in the next transaction', () => {
    const { marks } = run([
      ...HELLO,
      up('BDAT 2 LAST\r\nab'),
      down('250 ok\r\n'),
      up('MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 3 LAST\r\nabc'),
      down('250 ok\r\n250 ok\r\n250 ok\r\n'),
    ]);
    expect(marks.filter((m) => m.kind === 'body').map((m) => m.before)).toEqual([0, 0]);
  });

  it('reads a BDAT without a chunk size as a command with no data after it', () => {
    const { marks } = run([...HELLO, up('BDAT x\r\nQUIT\r\n'), down('501 syntax\r\n221 bye\r\n')]);
    expect(marks.slice(7).map(summary)).toEqual(['command:BDAT:', 'command:QUIT:', 'reply:BDAT:501', 'reply:QUIT:221']);
  });

  it('reads BDAT in the SASL exchange as credentials, with no data after it', () => {
    const { marks } = run([down('220 mx\r\n'), up('AUTH LOGIN\r\nBDAT 3\r\nabc\r\n'), down('334 VXNlcm5hbWU6\r\n')]);
    expect(marks.filter((m) => m.kind === 'body')).toEqual([]);
    expect(marks.filter((m) => m.kind === 'command').map((m) => m.line)).toEqual(['AUTH LOGIN', 'BDAT 3', 'abc']);
  });

  it('reports no partial command inside chunk data, so a held line never swallows it', () => {
    const tracker = new SmtpTracker();
    tracker.feed('down', latin1('220 mx\r\n'));
    tracker.feed('up', latin1('BDAT 10\r\nabc'));
    expect(tracker.partialCommandBytes).toBe(0);
    tracker.feed('up', latin1('defghijQU'));
    expect(tracker.partialCommandBytes).toBe(2);
  });

  it('names the step of a LAST chunk as its reply is named, for the proxy that answers it', () => {
    const tracker = new SmtpTracker();
    tracker.feed('down', latin1('220 mx\r\n'));
    const [last] = tracker.feed('up', latin1('BDAT 0 LAST\r\n'));
    expect(stepOf(last!)).toBe(BDAT_LAST);
    tracker.forget(stepOf(last!));
    expect(tracker.feed('down', latin1('250 ok\r\n'))).toMatchObject([{ kind: 'reply', to: 'unsolicited' }]);
  });
});

/** Chunk data that looks like SMTP: end-of-data lines, commands, BDAT lines, bare CR/LF, and random octets. */
const data = fc
  .array(
    fc.oneof(
      fc.constantFrom('\r\n.\r\n', '.\r\n', 'QUIT\r\n', 'BDAT 5 LAST\r\n', 'DATA\r\n', '\r', '\n', 'RSET\r\n').map(latin1),
      fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b)),
    ),
    { maxLength: 6 },
  )
  .map((xs) => Buffer.concat(xs));

/** A BDAT transaction: its chunks, optionally pipelined in one write, with the octets where each command ends. */
const transaction = fc.record({ chunks: fc.array(data, { minLength: 1, maxLength: 5 }), lastEmpty: fc.boolean(), keyword: fc.constantFrom('LAST', 'last') });

function bdatStream({ chunks, lastEmpty, keyword }: { chunks: Buffer[]; lastEmpty: boolean; keyword: string }): {
  bytes: Buffer;
  commandEnds: number[];
  dataOctets: number;
} {
  const parts: Buffer[] = [];
  const commandEnds: number[] = [];
  let at = 0;
  const push = (b: Buffer): void => {
    parts.push(b);
    at += b.length;
  };
  for (const [i, chunk] of chunks.entries()) {
    const last = i === chunks.length - 1 && !lastEmpty;
    push(latin1(`BDAT ${chunk.length}${last ? ` ${keyword}` : ''}\r\n`));
    commandEnds.push(at);
    push(chunk);
  }
  if (lastEmpty) {
    push(latin1(`BDAT 0 ${keyword}\r\n`));
    commandEnds.push(at);
  }
  push(latin1('QUIT\r\n'));
  commandEnds.push(at);
  return { bytes: Buffer.concat(parts), commandEnds, dataOctets: chunks.reduce((n, c) => n + c.length, 0) };
}

describe('SmtpTracker with BDAT under arbitrary chunking', () => {
  const cuts = fc.array(fc.nat(), { maxLength: 12 });

  it('marks the same commands at the same offsets, and the chunk data exactly, however the client stream is split', () => {
    fc.assert(
      fc.property(transaction, cuts, (t, at) => {
        const { bytes, commandEnds, dataOctets } = bdatStream(t);
        const whole = run([...HELLO, up(bytes)]);
        const split = run([...HELLO, up(bytes, at)]);
        expect(split).toEqual(whole);
        if (bytes.length <= 300) expect(run([...HELLO, up(bytes, [...bytes.keys()])])).toEqual(whole);
        const mine = split.marks.slice(7);
        expect(mine.filter((m) => m.kind === 'command').map((m) => Number(m.end) - HELLO_UP)).toEqual(commandEnds);
        expect(mine.filter((m) => m.kind === 'command').map((m) => m.verb)).toEqual([...commandEnds.slice(0, -1).map(() => 'BDAT'), 'QUIT']);
        const body = mine.filter((m) => m.kind === 'body');
        expect(body.reduce((n, m) => n + Number(m.end) - Number(m.start), 0)).toBe(dataOctets);
        // Each chunk's data starts right after its command line: `before` counts the chunks before it.
        for (const m of body) expect(commandEnds).toContain(Number(m.start) - HELLO_UP);
      }),
      { seed: 3030, numRuns: 1500 },
    );
  });

  it('answers each chunk in order and the last one as the message, however the replies are split', () => {
    fc.assert(
      fc.property(transaction, cuts, (t, at) => {
        const { bytes, commandEnds } = bdatStream(t);
        const replies = latin1(commandEnds.map((_, i) => (i === commandEnds.length - 1 ? '221 bye\r\n' : `250 chunk ${i}\r\n`)).join(''));
        const { marks, accepted } = run([...HELLO, up(bytes, at), { dir: 'down', data: replies, at }]);
        const tos = marks
          .filter((m) => m.kind === 'reply')
          .slice(4)
          .map((m) => m.to);
        expect(tos).toEqual([...commandEnds.slice(0, -2).map(() => 'BDAT'), BDAT_LAST, 'QUIT']);
        expect(accepted).toBe(1);
      }),
      { seed: 3031, numRuns: 1000 },
    );
  });
});
