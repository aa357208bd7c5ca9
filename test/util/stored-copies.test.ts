/** StoredCopies: copies counted from summaries, each stored message read as a stream once, its end again only when needed. */
import { describe, expect, it } from 'vitest';
import { makeMessage } from '../../src/engine/message.js';
import { readWhole, StoredCopies, type StoredMessage, sentSummaries } from '../../src/util/stored-copies.js';

const lf = (crlf: Buffer): Buffer => Buffer.from(crlf.toString('latin1').replaceAll('\r\n', '\n'), 'latin1');

/** A stored message read from memory in pieces of 64 KiB, counting its reads; `gone` makes a read fail. */
function storedAs(name: string, octets: Buffer): StoredMessage & { reads: number; gone: boolean } {
  const message = {
    name,
    reads: 0,
    gone: false,
    async *read() {
      message.reads++;
      if (message.gone) throw Object.assign(new Error(`ENOENT: ${name}`), { code: 'ENOENT' });
      for (let at = 0; at < octets.length; at += 65536) yield octets.subarray(at, at + 65536);
    },
  };
  return message;
}

describe('StoredCopies', () => {
  it('reads each stored message once over several counts, and its end once when it may end with a sent one', async () => {
    const [a, b] = [makeMessage('t/a', 300_000), makeMessage('t/b', 5000)];
    const sent = await sentSummaries([a, b]);
    const withFields = storedAs('1', Buffer.concat([Buffer.from('Received: from z\n\tby w\n'), lf(a.bytes())]));
    const afterBlank = storedAs('2', Buffer.concat([Buffer.from('Received: x\n\n'), lf(a.bytes())])); // its end read again
    const other = storedAs('3', Buffer.from('Subject: not ours\n\nhello\n'));
    const damaged = storedAs('4', lf(b.bytes()).subarray(0, 4000));
    const copies = new StoredCopies({ lineEnds: 'any' });
    const all = [withFields, afterBlank, other, damaged];
    expect(await copies.count(all, sent)).toEqual({ copies: [2, 0], ours: 3 });
    expect(await copies.count(all, sent)).toEqual({ copies: [2, 0], ours: 3 });
    expect(all.map((m) => m.reads)).toEqual([1, 2, 1, 1]);
  });

  it('leaves out a message it cannot read, and reads it on the next count', async () => {
    const a = makeMessage('t/a', 2000);
    const sent = await sentSummaries([a]);
    const stored = storedAs('1', lf(a.bytes()));
    stored.gone = true;
    const copies = new StoredCopies({ lineEnds: 'any' });
    expect(await copies.count([stored], sent)).toEqual({ copies: [0], ours: 0 });
    stored.gone = false;
    expect(await copies.count([stored], sent)).toEqual({ copies: [1], ours: 1 });
    expect(stored.reads).toBe(2);
  });

  it("keeps an LF store's octets: a line the client ended with CR CR LF, stored as CR LF, is no copy there; in a store of any line ends it is", async () => {
    const a = makeMessage('t/a', 3000);
    const sent = await sentSummaries([a]);
    const lfA = lf(a.bytes());
    const bodyStart = lfA.indexOf('\n\n') + 2;
    const firstLineEnd = lfA.indexOf('\n', bodyStart);
    // The body's first line as an LF MTA stores CR CR LF: its CR kept before the LF.
    const crLf = Buffer.concat([Buffer.from('Received: x\n'), lfA.subarray(0, firstLineEnd), Buffer.from('\r'), lfA.subarray(firstLineEnd)]);
    expect(await new StoredCopies({ lineEnds: 'lf' }).count([storedAs('1', crLf)], sent)).toEqual({ copies: [0], ours: 1 });
    expect(await new StoredCopies({ lineEnds: 'any' }).count([storedAs('1', crLf)], sent)).toEqual({ copies: [1], ours: 1 });
    const intact = storedAs('2', Buffer.concat([Buffer.from('Received: x\n'), lfA]));
    expect(await new StoredCopies({ lineEnds: 'lf' }).count([intact], sent)).toEqual({ copies: [1], ours: 1 });
  });

  it('fails the count on a message it cannot read when strict (a store no reader moves)', async () => {
    const stored = storedAs('1', Buffer.from('x'));
    stored.gone = true;
    await expect(new StoredCopies({ lineEnds: 'lf', strict: true }).count([stored], [])).rejects.toThrow(/stored message 1 could not be read: ENOENT: 1/);
  });

  it('reads a message whole only when asked (readWhole), piece by piece', async () => {
    const octets = Buffer.alloc(200_000, 0x41);
    expect((await readWhole(storedAs('1', octets))).equals(octets)).toBe(true);
  });
});
