import { describe, expect, it } from 'vitest';
import { Transcript } from '../../src/proxy/transcript.js';
import { redact } from '../../src/util/redact.js';

describe('transcript', () => {
  it.each([
    ['AUTH PLAIN AGpvZQBzZWNyZXQ=', 'AUTH', false, 'AUTH PLAIN ***'],
    ['AUTH LOGIN', 'AUTH', false, 'AUTH LOGIN'],
    ['am9l', 'AUTH', true, '***'],
    ['PASS hunter2', 'PASS', false, 'PASS ***'],
    ['MAIL FROM:<a@x>', 'MAIL', false, 'MAIL FROM:<a@x>'],
  ])('redacts %j to %j', (line, verb, continuation, want) => {
    expect(redact(line, verb, continuation)).toBe(want);
  });

  it('sums body octets into one line and streams each line as written', () => {
    const streamed: string[] = [];
    const t = new Transcript(performance.now(), 3, (line) => streamed.push(line));
    t.add('C', 'DATA');
    t.body(1000);
    t.body(24);
    t.add('C', '.');
    t.add('--', 'RST to client');
    const text = t.lines.map((l) => l.replace(/^\+\s*[\d.]+ms /, ''));
    expect(text).toEqual(['#3 C  DATA', '#3 C  [message body: 1024 bytes]', '#3 C  .', '#3 -- RST to client']);
    expect(streamed).toEqual(t.lines);
  });
});
