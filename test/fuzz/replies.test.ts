/**
 * Properties of reply reading: the proxy's Replies (src/protocol/replies.ts) and the pure replyParser
 * the probe reads with (src/protocol/reply.ts) give the same lines, replies and octet counts however the stream is
 * split, never throw, always make progress; and on FTP replies the probe and the proxy's FtpTracker agree
 * on where each reply ends and on its code, malformed lines included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replyParser, type Reply } from '../../src/protocol/reply.js';
import { FtpTracker } from '../../src/protocol/ftp.js';
import { SmtpTracker } from '../../src/protocol/smtp.js';
import { Replies } from '../../src/protocol/replies.js';
import { BYTEWISE_MAX, SEED, bytes, bytewise, cut, cuts, latin1, longLine } from './arbitraries.js';

const RUNS = { seed: SEED, numRuns: 3000 };

/** Reply lines, well-formed and not: multi-line openers, wrong continuation codes, 4-digit codes, no code. */
const replyLine = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      '250-mx',
      '250 ok',
      '250',
      '250-',
      '211-Features:',
      ' MDTM',
      ' 211 indented',
      '211 End',
      '2110 four',
      '251 other code',
      '251-other',
      '123-x',
      'hello',
      '',
      '550\tno',
      '220 \xff\x00',
      '421',
      '250 a\rb',
      '999 x',
      '000-y',
    ),
  },
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.constantFrom('-', ' ', '', '\t', 'x')).map(([n, s]) => `${n}${s}t`) },
  { weight: 1, arbitrary: bytes(20).map((b) => b.toString('latin1').replaceAll('\n', '')) },
);
/** A server's stream: reply lines, each ended by CR LF or (now and then) a bare LF, maybe a long one. */
const stream = fc
  .array(
    fc.oneof(
      { weight: 12, arbitrary: fc.tuple(replyLine, fc.constantFrom('\r\n', '\r\n', '\r\n', '\n')).map(([l, e]) => latin1(l + e)) },
      { weight: 1, arbitrary: longLine },
    ),
    { maxLength: 14 },
  )
  .map((xs) => Buffer.concat(xs));

/** What Replies yields for `chunks`, with ends made absolute, and the octets it says are in progress. */
function replyLines(chunks: readonly Buffer[]): { lines: unknown[]; partialBytes: number } {
  const replies = new Replies();
  const lines: unknown[] = [];
  let base = 0;
  for (const chunk of chunks) {
    for (const line of replies.lines(chunk)) {
      lines.push({ ...line, end: base + line.end });
      if (/^\d{3}-/.test(line.text)) replies.continues(line.text, line.bytes);
      else replies.ends(line.text);
    }
    base += chunk.length;
  }
  return { lines, partialBytes: replies.partialBytes };
}

/** The probe reading replies as RawConnection does: after each chunk, every reply the buffer holds. */
function probeReplies(chunks: readonly Buffer[]): { replies: { reply: Reply; end: number }[]; rest: string } {
  let buffer = '';
  let consumed = 0;
  const replies: { reply: Reply; end: number }[] = [];
  for (const chunk of chunks) {
    buffer += chunk.toString('latin1');
    for (let r = replyParser(buffer); r; r = replyParser(buffer)) {
      // Progress on every reply, and never past what is there: a 0 would spin RawConnection.read forever.
      expect(r.consumed > 0 && r.consumed <= buffer.length).toBe(true);
      consumed += r.consumed;
      buffer = buffer.slice(r.consumed);
      replies.push({ reply: r.value, end: consumed });
    }
  }
  return { replies, rest: buffer };
}

describe('Replies (the proxy) under arbitrary chunking', () => {
  it('yields the same lines with the same octet counts however split; the counts add up to the stream', () => {
    fc.assert(
      fc.property(stream, cuts, (data, at) => {
        const whole = replyLines([data]);
        expect(replyLines(cut(data, at))).toEqual(whole);
        if (data.length <= BYTEWISE_MAX) expect(replyLines(bytewise(data))).toEqual(whole);
        let previous = 0;
        for (const line of whole.lines as { end: number; bytes: number }[]) {
          expect(line.bytes).toBe(line.end - previous);
          previous = line.end;
        }
      }),
      RUNS,
    );
  });
});

describe('replyParser (the probe) under arbitrary chunking', () => {
  it('reads the same replies and leaves the same rest however split, never throwing', () => {
    fc.assert(
      fc.property(stream, cuts, (data, at) => {
        const whole = probeReplies([data]);
        expect(probeReplies(cut(data, at))).toEqual(whole);
        if (data.length <= BYTEWISE_MAX) expect(probeReplies(bytewise(data))).toEqual(whole);
      }),
      RUNS,
    );
  });

  it('accounts for every consumed octet: its raw lines are the consumed text, line ends aside', () => {
    fc.assert(
      fc.property(stream, (data) => {
        const text = data.toString('latin1');
        let from = 0;
        for (const { reply, end } of probeReplies([data]).replies) {
          const lines = text.slice(from, end).split('\n').slice(0, -1);
          expect(lines.map((l) => l.replace(/\r$/, ''))).toEqual(reply.raw);
          expect(reply.bareLf).toBe(lines.some((l) => !l.endsWith('\r')));
          expect(reply.malformed).toBe(reply.code === 0);
          from = end;
        }
      }),
      RUNS,
    );
  });
});

describe('the probe and the proxy agree on FTP replies', () => {
  // Regression: the probe took any whitespace after the code (`550\tno`, `250\r`, latin1 NBSP) as a space.
  it.each([
    ['550\tno\r\n', { code: 0, malformed: true }, 8],
    ['250\xa0ok\r\n', { code: 0, malformed: true }, 8],
    ['250\r\r\n', { code: 0, malformed: true }, 6],
    ['250-a\r\n250\tb\r\n250 c\r\n', { code: 250, lines: ['a', '250\tb', 'c'], malformed: false }, 21],
  ])('reads %j as the FTP tracker does', (text, reply, consumed) => {
    expect(replyParser(text)).toMatchObject({ value: reply, consumed });
    const marks = new FtpTracker().feed('down', latin1(text));
    expect(marks.map((m) => (m.kind === 'reply' ? [m.end, m.code] : []))).toEqual([[consumed, reply.code]]);
  });

  it('end each reply at the same octet with the same code (0: not a reply), malformed lines included', () => {
    fc.assert(
      fc.property(stream, cuts, (data, at) => {
        const tracker = new FtpTracker();
        const marks: { end: number; code: number }[] = [];
        let base = 0;
        for (const chunk of cut(data, at)) {
          for (const m of tracker.feed('down', chunk)) if (m.kind === 'reply') marks.push({ end: base + m.end, code: m.code });
          base += chunk.length;
        }
        expect(probeReplies([data]).replies.map(({ reply, end }) => ({ end, code: reply.code }))).toEqual(marks);
      }),
      RUNS,
    );
  });
});

describe('the probe and the proxy agree on well-formed SMTP replies', () => {
  /** RFC 5321 §4.2: `code-text` lines, then `code text` (or `code`), the same code on every line. */
  const reply = fc
    .tuple(
      fc.integer({ min: 200, max: 599 }),
      fc.array(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 12 }), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
    )
    .map(
      ([code, texts, bare]) =>
        `${texts.map((t, i) => (i < texts.length - 1 ? `${code}-${t}` : bare && t === '' ? `${code}` : `${code} ${t}`)).join('\r\n')}\r\n`,
    );
  it('end each reply at the same octet with the same code', () => {
    fc.assert(
      fc.property(
        fc.array(reply, { maxLength: 6 }).map((xs) => latin1(xs.join(''))),
        cuts,
        (data, at) => {
          const tracker = new SmtpTracker();
          const marks: { end: number; code: number }[] = [];
          let base = 0;
          for (const chunk of cut(data, at)) {
            for (const m of tracker.feed('down', chunk)) if (m.kind === 'reply') marks.push({ end: base + m.end, code: m.code });
            base += chunk.length;
          }
          expect(probeReplies([data]).replies.map(({ reply: r, end }) => ({ end, code: r.code }))).toEqual(marks);
        },
      ),
      RUNS,
    );
  });
});
