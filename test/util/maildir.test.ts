/** watchMaildir: the copies of sent messages that arrived in a Maildir, counted from summaries of what arrived. */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeMessage } from '../../src/engine/message.js';
import { watchMaildir } from '../../src/util/maildir.js';

const lf = (crlf: Buffer): Buffer => Buffer.from(crlf.toString('latin1').replaceAll('\r\n', '\n'), 'latin1');

describe('watchMaildir', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wireprobe-maildir-'));
    for (const sub of ['new', 'cur', 'tmp']) mkdirSync(join(dir, sub));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('counts copies with fields added, twice delivered, after an empty line, and a damaged one, of messages over many pieces; what was there before never', async () => {
    const [a, b, c, d, e] = [
      makeMessage('t/a', 3 * 2 ** 20 + 11),
      makeMessage('t/b', 5000),
      makeMessage('t/c', 2 * 2 ** 20),
      makeMessage('t/d', 4000),
      makeMessage('t/e', 20000),
    ];
    const deliver = (name: string, text: Buffer, sub = 'new'): void => writeFileSync(join(dir, sub, name), text);
    deliver('0.before', Buffer.concat([Buffer.from('Received: x\n'), lf(a.bytes())]));
    const watch = await watchMaildir(dir);
    const aLf = lf(a.bytes());
    const split = aLf.indexOf('\n\n') + 1;
    deliver(
      '1.a',
      Buffer.concat([Buffer.from('Return-Path: <x@y>\nReceived: from z\n\tby w\n'), aLf.subarray(0, split), Buffer.from('X-Peer: 1\n'), aLf.subarray(split)]),
    );
    deliver('2.a', Buffer.concat([Buffer.from('Received: x\n'), a.bytes()]), 'cur'); // CRLF stored as it came
    deliver('3.b', lf(b.bytes()).subarray(0, 4000)); // cut short: damaged, its Message-ID still there
    deliver('4.c', Buffer.concat([Buffer.from('Received: x\n\n'), lf(c.bytes())])); // an empty line before it
    deliver('5.other', Buffer.from('Subject: not ours\n\nhello\n'));
    deliver('6.e', Buffer.concat([Buffer.from('Received: x\n\n'), lf(e.bytes()).subarray(0, 10000)])); // damaged, after an empty line
    const found = await watch.countCopies([a, b, c, d, e], 300);
    expect(found).toEqual({ copies: [2, 0, 1, 0, 0], stored: 5 });
    // A reader moving a file to cur/ changes nothing.
    renameSync(join(dir, 'new', '1.a'), join(dir, 'cur', '1.a:2,S'));
    expect(await watch.countCopies([a], 300)).toEqual({ copies: [2], stored: 2 });
  });
});
