import { describe, expect, it } from 'vitest';
import { MAX_HELD_REPLY, Replies } from '../../src/protocol/replies.js';

const feed = (replies: Replies, text: string) => [...replies.lines(Buffer.from(text, 'latin1'))];

describe('Replies', () => {
  it('counts a line split across chunks in full, and the reply in progress until its final line', () => {
    const replies = new Replies();
    expect(feed(replies, '250-mx.test')).toEqual([]);
    expect(replies.partialBytes).toBe(11);
    const [first, second] = feed(replies, ' hello\r\n250 SIZE');
    expect(first).toMatchObject({ text: '250-mx.test hello', end: 8, bytes: 19 });
    expect(second).toBeUndefined();
    replies.continues('mx.test hello', first!.bytes);
    expect(replies.partialBytes).toBe(19 + 8);
    const [last] = feed(replies, '\r\n');
    expect(last).toMatchObject({ text: '250 SIZE', end: 2, bytes: 10 });
    expect(replies.ends('SIZE')).toEqual({ to: 'greeting', lines: ['mx.test hello', 'SIZE'], omitted: 0 });
    expect(replies.partialBytes).toBe(0);
  });

  it('answers waiting steps oldest first; a preliminary reply leaves its step waiting; forget skips a step', () => {
    const replies = new Replies();
    const to = (final?: boolean): string => replies.ends('', final).to;
    expect(to()).toBe('greeting');
    replies.await('USER');
    replies.await('STOR');
    replies.await('NOOP');
    replies.forget('USER');
    expect(replies.oldest).toBe('STOR');
    expect(to(false)).toBe('STOR');
    expect(to()).toBe('STOR');
    expect(to()).toBe('NOOP');
    expect(to()).toBe('unsolicited');
  });

  it('keeps a reply whole up to MAX_HELD_REPLY; past it, counts its lines and holds back only an unfinished one', () => {
    const replies = new Replies();
    const line = `211-${'x'.repeat(60)}\r\n`; // 66 octets
    const fits = Math.floor(MAX_HELD_REPLY / line.length);
    for (let i = 0; i < fits; i++) replies.continues(String(i), line.length);
    expect(replies.partialBytes).toBe(fits * line.length);
    // The line that takes the reply past the bound, and every one after it, is counted, not kept.
    for (let i = fits; i < fits + 1000; i++) replies.continues(String(i), line.length);
    expect(feed(replies, '211 E')).toEqual([]);
    expect(replies.partialBytes).toBe(5);
    const ended = replies.ends('End');
    expect(ended.lines).toHaveLength(fits + 1);
    expect(ended.lines.slice(0, 2)).toEqual(['0', '1']);
    expect(ended.lines.slice(-2)).toEqual([String(fits - 1), 'End']);
    expect(ended.omitted).toBe(1000);
    // The next reply starts afresh.
    replies.continues('a', 10);
    expect(replies.ends('b')).toEqual({ to: 'unsolicited', lines: ['a', 'b'], omitted: 0 });
  });
});
