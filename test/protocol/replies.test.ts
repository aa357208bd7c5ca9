import { describe, expect, it } from 'vitest';
import { Replies } from '../../src/protocol/replies.js';

const feed = (replies: Replies, text: string) => [...replies.lines(Buffer.from(text, 'latin1'))];

describe('Replies', () => {
  it('counts a line split across chunks in full, and the reply in progress until its final line', () => {
    const replies = new Replies();
    expect(feed(replies, '250-mx.test')).toEqual([]);
    expect(replies.partialBytes).toBe(11);
    const [first, second] = feed(replies, ' hello\r\n250 SIZE');
    expect(first).toMatchObject({ text: '250-mx.test hello', end: 8, bytes: 19 });
    expect(second).toBeUndefined();
    replies.continues(first!.bytes);
    expect(replies.partialBytes).toBe(19 + 8);
    const [last] = feed(replies, '\r\n');
    expect(last).toMatchObject({ text: '250 SIZE', end: 2, bytes: 10 });
    expect(replies.ends()).toBe('greeting');
    expect(replies.partialBytes).toBe(0);
  });

  it('answers waiting steps oldest first; a preliminary reply leaves its step waiting; forget skips a step', () => {
    const replies = new Replies();
    expect(replies.ends()).toBe('greeting');
    replies.await('USER');
    replies.await('STOR');
    replies.await('NOOP');
    replies.forget('USER');
    expect(replies.oldest).toBe('STOR');
    expect(replies.ends(false)).toBe('STOR');
    expect(replies.ends()).toBe('STOR');
    expect(replies.ends()).toBe('NOOP');
    expect(replies.ends()).toBe('unsolicited');
  });
});
