import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printable } from '../../src/proxy/transcript.js';
import { visible } from '../../src/util/terminal.js';

/** printable without its plain-ASCII shortcut: both escapes, always. */
const bothEscapes = (text: string): string => visible(text).replace(/[\x80-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16)}`);

describe('printable', () => {
  it('gives what both escapes give, for any latin1 line and any Unicode text', () => {
    const latin1 = fc.array(fc.integer({ min: 0, max: 0xff }), { maxLength: 60 }).map((codes) => String.fromCharCode(...codes));
    fc.assert(
      fc.property(fc.oneof(latin1, fc.string({ unit: 'binary', maxLength: 60 })), (text) => {
        expect(printable(text)).toBe(bothEscapes(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves a plain ASCII line as it is and escapes controls, C1 and high octets', () => {
    expect(printable('250 vm Nice to meet you, [127.0.0.1]')).toBe('250 vm Nice to meet you, [127.0.0.1]');
    expect(printable('220 a\tb\r\x1b[31m\x85\xff')).toBe('220 a\\tb\\r\\x1b[31m\\x85\\xff');
  });
});
