import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStoredCopy } from '../../src/util/stored-copy.js';

const SENT = Buffer.from(
  'Date: Mon, 23 Nov 2026 00:00:00 +0000\nFrom: <a@example.test>\nTo: <b@example.test>\nSubject: wireprobe t#1\n' +
    '\tfolded on\nMessage-ID: <t.1@wireprobe.test>\n\nline one\n.dot\n\nlast\n',
);
const stored = (text: string): Buffer => Buffer.from(text);
const [HEAD, BODY] = [SENT.subarray(0, SENT.indexOf('\n\n') + 1).toString(), SENT.subarray(SENT.indexOf('\n\n') + 1).toString()];

describe('isStoredCopy', () => {
  it.each([
    ['the same octets', SENT.toString()],
    ['trace fields before it (Postfix, Exim)', `Return-Path: <a@example.test>\nReceived: from x\n\tby y; date\n${SENT}`],
    ['fields after the last one (aiosmtpd, a milter)', `${HEAD}X-Peer: ('127.0.0.1', 1)\nX-MailFrom: a@example.test\n${BODY}`],
    ['a field between two (header_checks PREPEND)', HEAD.replace('Subject:', 'X-Checked: yes\nSubject:') + BODY],
    ['an mbox From_ line first', `From a@example.test Mon Nov 23 00:00:00 2026\n${SENT}`],
    ['an empty line among the trace fields before it', `Received: x\n\n${SENT}`],
  ])('is a copy: %s', (_what, text) => {
    expect(isStoredCopy(stored(text), SENT)).toBe(true);
  });

  it.each([
    ['its body cut short', SENT.subarray(0, SENT.length - 3).toString()],
    ['an octet of its body changed', SENT.toString().replace('line one', 'line 0ne')],
    ['one more body line', `${SENT}extra\n`],
    ['a sent field dropped', SENT.toString().replace('To: <b@example.test>\n', '')],
    ['a sent field rewritten', SENT.toString().replace('From: <a@example.test>', 'From: <a@rewritten.test>')],
    ['a fold undone', SENT.toString().replace('\n\tfolded on', ' folded on')],
    ['two sent fields swapped', SENT.toString().replace('From: <a@example.test>\nTo: <b@example.test>', 'To: <b@example.test>\nFrom: <a@example.test>')],
    ['a field added into its body', `${HEAD}\nX-Late: 1${BODY}`],
    ['nothing', ''],
    ['a line that is no field added among its fields', HEAD.replace('Subject:', 'wireprobe t#1\nSubject:') + BODY],
    ['a sent field repeated', HEAD.replace('Subject:', 'To: <b@example.test>\nSubject:') + BODY],
    ['a From_ line that is not first', HEAD.replace('Subject:', 'From a@example.test Mon\nSubject:') + BODY],
  ])('is not a copy: %s', (_what, text) => {
    expect(isStoredCopy(stored(text), SENT)).toBe(false);
  });

  it('compares a message without header fields, or without a body, as the others', () => {
    const bodyOnly = Buffer.from('\nonly a body\n');
    expect(isStoredCopy(Buffer.from(`Received: x\n${bodyOnly}`), bodyOnly)).toBe(true);
    expect(isStoredCopy(Buffer.from('Received: x\n\nonly a bodY\n'), bodyOnly)).toBe(false);
    const noBody = Buffer.from('Subject: s\nTo: <b@x>\n\n');
    expect(isStoredCopy(Buffer.from('Subject: s\nX-A: 1\nTo: <b@x>\n\n'), noBody)).toBe(true);
    expect(isStoredCopy(Buffer.from('Subject: s\nTo: <b@x>\n\nadded\n'), noBody)).toBe(false);
  });

  it('takes a message without an empty line (nothing to add fields around) as the end of the stored one', () => {
    const bare = Buffer.from('no empty line here\n');
    expect(isStoredCopy(Buffer.from(`Received: x\n${bare}`), bare)).toBe(true);
    expect(isStoredCopy(Buffer.from(`Received: x\n${bare}more\n`), bare)).toBe(false);
  });

  const field = fc.tuple(fc.stringMatching(/^X-[A-Za-z]{1,8}$/), fc.stringMatching(/^[ -~]{0,30}$/)).map(([name, value]) => `${name}: ${value}\n`);
  const lines = HEAD.split(/(?<=\n)(?=[^\t ])/);

  it('is a copy whatever fields are added, wherever they go in the header section', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(lines.length), field), { maxLength: 6 }), (added) => {
        const header = [...lines];
        for (const [at, text] of added) header.splice(at % (header.length + 1), 0, text);
        expect(isStoredCopy(Buffer.from(header.join('') + BODY), SENT)).toBe(true);
      }),
    );
  });

  it('is not a copy once any octet of the body differs, fields added or not', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (at, flip, added) => {
        const body = Buffer.from(BODY);
        const i = 1 + (at % (body.length - 1)); // the empty line that ends the header section stays
        body[i] = body[i]! ^ flip;
        expect(isStoredCopy(Buffer.concat([Buffer.from(added ? `Received: x\n${HEAD}X-A: 1\n` : HEAD), body]), SENT)).toBe(false);
      }),
    );
  });
});
