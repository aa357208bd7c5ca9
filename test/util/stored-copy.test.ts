import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { isStoredCopy, isSummaryCopy, summarize } from '../../src/util/stored-copy.js';

const SENT = Buffer.from(
  'Date: Mon, 23 Nov 2026 00:00:00 +0000\nFrom: <a@example.test>\nTo: <b@example.test>\nSubject: wireprobe t#1\n' +
    '\tfolded on\nMessage-ID: <t.1@wireprobe.test>\n\nline one\n.dot\n\nlast\n',
);
const stored = (text: string): Buffer => Buffer.from(text);
const [HEAD, BODY] = [SENT.subarray(0, SENT.indexOf('\n\n') + 1).toString(), SENT.subarray(SENT.indexOf('\n\n') + 1).toString()];

/** `data` in pieces of `size` octets, as a stream gives them. */
async function* pieces(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

/** isSummaryCopy on the two messages' summaries, each made from pieces of `size` octets. */
async function bySummary(stored: Buffer, sent: Buffer, size = 7): Promise<boolean> {
  const [s, w] = [await summarize(pieces(stored, size)), await summarize(pieces(sent, size))];
  return isSummaryCopy(s, w, async (from) => createHash('sha256').update(stored.subarray(from)).digest('hex'));
}

/** Both answers: on the octets, and on the summaries (they must agree). */
const copyBy = async (stored: Buffer, sent: Buffer): Promise<[boolean, boolean]> => [isStoredCopy(stored, sent), await bySummary(stored, sent)];

describe('isStoredCopy, and isSummaryCopy on summaries', () => {
  it.each([
    ['the same octets', SENT.toString()],
    ['trace fields before it (Postfix, Exim)', `Return-Path: <a@example.test>\nReceived: from x\n\tby y; date\n${SENT}`],
    ['fields after the last one (aiosmtpd, a milter)', `${HEAD}X-Peer: ('127.0.0.1', 1)\nX-MailFrom: a@example.test\n${BODY}`],
    ['a field between two (header_checks PREPEND)', HEAD.replace('Subject:', 'X-Checked: yes\nSubject:') + BODY],
    ['an mbox From_ line first', `From a@example.test Mon Nov 23 00:00:00 2026\n${SENT}`],
    ['an empty line among the trace fields before it', `Received: x\n\n${SENT}`],
  ])('is a copy: %s', async (_what, text) => {
    expect(await copyBy(stored(text), SENT)).toEqual([true, true]);
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
  ])('is not a copy: %s', async (_what, text) => {
    expect(await copyBy(stored(text), SENT)).toEqual([false, false]);
  });

  it('compares a message without header fields, or without a body, as the others', async () => {
    const bodyOnly = Buffer.from('\nonly a body\n');
    expect(await copyBy(Buffer.from(`Received: x\n${bodyOnly}`), bodyOnly)).toEqual([true, true]);
    expect(await copyBy(Buffer.from('Received: x\n\nonly a bodY\n'), bodyOnly)).toEqual([false, false]);
    const noBody = Buffer.from('Subject: s\nTo: <b@x>\n\n');
    expect(await copyBy(Buffer.from('Subject: s\nX-A: 1\nTo: <b@x>\n\n'), noBody)).toEqual([true, true]);
    expect(await copyBy(Buffer.from('Subject: s\nTo: <b@x>\n\nadded\n'), noBody)).toEqual([false, false]);
  });

  it('takes a message without an empty line (nothing to add fields around) as the end of the stored one', async () => {
    const bare = Buffer.from('no empty line here\n');
    expect(await copyBy(Buffer.from(`Received: x\n${bare}`), bare)).toEqual([true, true]);
    expect(await copyBy(Buffer.from(`Received: x\n${bare}more\n`), bare)).toEqual([false, false]);
  });

  it('summarizes a message of any size in any pieces the same way, and keeps only its start and end', async () => {
    const big = Buffer.concat([Buffer.from(HEAD), Buffer.from('\n'), Buffer.alloc(3 << 20, 'line\n'), Buffer.from(BODY)]);
    const copy = Buffer.concat([Buffer.from('Received: x\n'), big.subarray(0, HEAD.length), Buffer.from('X-A: 1\n'), big.subarray(HEAD.length)]);
    for (const size of [1, 4096, 65536, 1 << 20]) {
      if (size > 1) expect(await bySummary(copy, big, size)).toBe(true);
      expect(await bySummary(Buffer.concat([copy, Buffer.from('x')]), big, Math.max(size, 64))).toBe(false);
    }
    const summary = await summarize(pieces(big, 65536));
    expect([summary.length, summary.header?.toString(), summary.head.length <= 256 * 1024, summary.tail.length]).toEqual([big.length, HEAD, true, 4096]);
    expect(summary.sha256).toBe(createHash('sha256').update(big).digest('hex'));
  });

  const field = fc.tuple(fc.stringMatching(/^X-[A-Za-z]{1,8}$/), fc.stringMatching(/^[ -~]{0,30}$/)).map(([name, value]) => `${name}: ${value}\n`);
  const lines = HEAD.split(/(?<=\n)(?=[^\t ])/);

  it('is a copy whatever fields are added, wherever they go in the header section', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(lines.length), field), { maxLength: 6 }), async (added) => {
        const header = [...lines];
        for (const [at, text] of added) header.splice(at % (header.length + 1), 0, text);
        expect(await copyBy(Buffer.from(header.join('') + BODY), SENT)).toEqual([true, true]);
      }),
    );
  });

  it('is not a copy once any octet of the body differs, fields added or not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), async (at, flip, added) => {
        const body = Buffer.from(BODY);
        const i = 1 + (at % (body.length - 1)); // the empty line that ends the header section stays
        body[i] = body[i]! ^ flip;
        expect(await copyBy(Buffer.concat([Buffer.from(added ? `Received: x\n${HEAD}X-A: 1\n` : HEAD), body]), SENT)).toEqual([false, false]);
      }),
    );
  });
});
