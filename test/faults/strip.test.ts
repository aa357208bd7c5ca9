/** strip's reply rewriting, without a socket: which lines go, how the rest is framed, what the Link is asked. */
import { describe, expect, it } from 'vitest';
import { applyStrip, formatReply, stripReply } from '../../src/faults/strip.js';
import type { Link } from '../../src/faults/link.js';
import type { Mark } from '../../src/protocol/conversation.js';

type Reply = Mark & { kind: 'reply' };
const ehlo = (lines: string[]): Reply => ({ kind: 'reply', end: 0, to: 'EHLO', code: 250, lines });

/** A Link that records what a fault asks of it; `caught` is what its trigger caught. */
function recorder(caught: Mark | undefined): { link: Link; calls: string[] } {
  const calls: string[] = [];
  const link: Link = {
    caught,
    inject: (toward, data) => void calls.push(`inject ${toward} ${data.toString('latin1')}`),
    reset: () => void calls.push('reset'),
    close: () => void calls.push('close'),
    hold: () => void calls.push('hold'),
    swallow: () => void calls.push('swallow'),
    shape: () => void calls.push('shape'),
  };
  return { link, calls };
}

describe('strip', () => {
  it('drops the keyword lines and re-terminates the reply', () => {
    expect(stripReply(ehlo(['mx', 'PIPELINING', 'STARTTLS']), 'STARTTLS')?.toString()).toBe('250-mx\r\n250 PIPELINING\r\n');
    expect(stripReply(ehlo(['mx', 'STARTTLS', 'SIZE 10']), 'STARTTLS')?.toString()).toBe('250-mx\r\n250 SIZE 10\r\n');
    expect(stripReply(ehlo(['mx', 'AUTH PLAIN LOGIN', 'auth=LOGIN', 'HELP']), 'AUTH')?.toString()).toBe('250-mx\r\n250-auth=LOGIN\r\n250 HELP\r\n');
    expect(stripReply(ehlo(['mx', 'STARTTLS']), 'STARTTLS')?.toString()).toBe('250 mx\r\n');
    expect(stripReply(ehlo(['mx', 'PIPELINING']), 'STARTTLS')).toBeNull();
  });

  it("writes FTP's unnumbered FEAT lines as they were (RFC 2389 §3.2)", () => {
    const feat: Reply = { kind: 'reply', end: 0, to: 'FEAT', code: 211, lines: ['Features:', ' AUTH TLS', ' PBSZ', 'End'], preliminary: false };
    expect(stripReply(feat, 'AUTH')?.toString()).toBe('211-Features:\r\n PBSZ\r\n211 End\r\n');
    expect(formatReply(250, ['a', ''])).toEqual(Buffer.from('250-a\r\n250\r\n'));
  });

  it('swallows the caught reply and sends the stripped one; leaves a reply without the keyword alone', () => {
    const fault = { kind: 'strip', keyword: 'STARTTLS', at: { before: 'reply', to: 'EHLO' } } as const;
    const stripped = recorder(ehlo(['mx', 'STARTTLS']));
    applyStrip(fault, stripped.link);
    expect(stripped.calls).toEqual(['swallow', 'inject client 250 mx\r\n']);
    const untouched = recorder(ehlo(['mx', 'SIZE']));
    applyStrip(fault, untouched.link);
    expect(untouched.calls).toEqual([]);
  });
});
