/** Reply lines as SMTP and FTP send them (RFC 959 §4.2, RFC 5321 §4.2), and what is not one. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseReplyLine, replyParser, replyReader } from '../../src/protocol/reply.js';

describe('parseReplyLine', () => {
  it.each([
    ['250 ok', { code: 250, final: true, text: 'ok' }],
    ['211-Features:', { code: 211, final: false, text: 'Features:' }],
    ['354', { code: 354, final: true, text: '' }],
    ['2110 x', null],
    [' 211 x', null],
    ['550\tno', null],
    ['hello', null],
  ])('reads %j', (line, want) => {
    expect(parseReplyLine(line)).toEqual(want);
  });
});

describe('replyParser', () => {
  it('takes a multi-line reply whole, unnumbered and other-code lines as text, and leaves what follows', () => {
    const text = '211-Features:\r\n MDTM\r\n250 other\r\n211 End\r\n220 next';
    expect(replyParser(text)).toEqual({
      value: {
        code: 211,
        lines: ['Features:', ' MDTM', 'other', 'End'],
        raw: ['211-Features:', ' MDTM', '250 other', '211 End'],
        malformed: false,
        bareLf: false,
      },
      consumed: text.indexOf('220'),
    });
  });

  it('waits for the line end, and reads a line without a code as one malformed reply', () => {
    expect(replyParser('250 o')).toBeUndefined();
    expect(replyParser('hello\n')).toEqual({ value: { code: 0, lines: ['hello'], raw: ['hello'], malformed: true, bareLf: true }, consumed: 6 });
  });
});

describe('replyReader', () => {
  const line = fc.oneof(fc.constantFrom('250-a', '250 b', '250', '220-x', '220 y', '550 no', '2500 z', 'text', '', '250-'), fc.string({ maxLength: 12 }));
  const ending = fc.constantFrom('\r\n', '\n');

  it('reads what replyParser reads, fed any text in any chunks, at the first chunk that completes it', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(line, ending), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), (lines, cuts) => {
        const text = lines.map(([l, e]) => l + e).join('');
        const at = [...new Set([...cuts.map((c) => c % (text.length + 1)), text.length])].sort((a, b) => a - b);
        const reader = replyReader();
        for (const end of at) {
          const buffer = text.slice(0, end);
          const want = replyParser(buffer);
          expect(reader(buffer)).toEqual(want);
          if (want) return;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
