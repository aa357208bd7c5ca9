/** Where a fault's trigger fires, given a mark from the SMTP tracker. Pure: tables only. */
import { describe, expect, it } from 'vitest';
import type { Direction, SmtpMark } from '../../src/protocol/smtp.js';
import { cutAt, holdsLines, type Cut } from '../../src/faults/trigger.js';
import type { At } from '../../src/faults/types.js';

const reply = (to: string, end: number, code = 250): SmtpMark => ({ kind: 'reply', end, to, code, lines: ['ok'] });
const command = (verb: string, end: number, continuation = false): SmtpMark => ({
  kind: 'command',
  end,
  verb,
  line: `${verb} x`,
  ...(continuation ? { continuation } : {}),
});
const body = (start: number, end: number, before: number): SmtpMark => ({ kind: 'body', start, end, before });
const dot = (end: number, bodyBytes = 100): SmtpMark => ({ kind: 'dot', end, bodyBytes });

type Row = {
  readonly name: string;
  readonly at: At;
  readonly direction: Direction;
  readonly mark: SmtpMark;
  readonly lineStart?: number;
  readonly cut: Cut | null;
};

const ROWS: readonly Row[] = [
  // connect
  { name: 'connect never matches a reply', at: 'connect', direction: 'down', mark: reply('greeting', 20, 220), cut: null },
  { name: 'connect never matches a command', at: 'connect', direction: 'up', mark: command('EHLO', 12), cut: null },
  { name: 'connect never matches body octets', at: 'connect', direction: 'up', mark: body(0, 10, 0), cut: null },
  { name: 'connect never matches the dot', at: 'connect', direction: 'up', mark: dot(5), cut: null },

  // after <step>: the reply to the step, going down
  {
    name: 'after greeting fires at the end of the greeting reply',
    at: { after: 'greeting' },
    direction: 'down',
    mark: reply('greeting', 31, 220),
    cut: { offset: 31 },
  },
  { name: 'after greeting does not fire on a reply to EHLO', at: { after: 'greeting' }, direction: 'down', mark: reply('EHLO', 31), cut: null },
  { name: 'after greeting does not fire on an up mark', at: { after: 'greeting' }, direction: 'up', mark: reply('greeting', 31, 220), cut: null },
  { name: 'after EHLO fires at the end of the reply to EHLO', at: { after: 'EHLO' }, direction: 'down', mark: reply('EHLO', 87), cut: { offset: 87 } },
  { name: 'after EHLO does not fire on the greeting', at: { after: 'EHLO' }, direction: 'down', mark: reply('greeting', 20, 220), cut: null },
  { name: 'after EHLO does not fire on a reply to MAIL', at: { after: 'EHLO' }, direction: 'down', mark: reply('MAIL', 20), cut: null },
  { name: 'after EHLO does not fire on the EHLO command going up', at: { after: 'EHLO' }, direction: 'up', mark: command('EHLO', 14), cut: null },
  { name: 'after EHLO does not fire on an unsolicited reply', at: { after: 'EHLO' }, direction: 'down', mark: reply('unsolicited', 14, 421), cut: null },
  { name: 'after DATA without bytes fires at the end of the 354', at: { after: 'DATA' }, direction: 'down', mark: reply('DATA', 40, 354), cut: { offset: 40 } },
  { name: 'after DATA without bytes does not fire on body octets', at: { after: 'DATA' }, direction: 'up', mark: body(0, 100, 0), cut: null },
  { name: 'after dot fires at the end of the reply to the dot', at: { after: 'dot' }, direction: 'down', mark: reply('dot', 25), cut: { offset: 25 } },

  // after DATA +bytes: body octets going up
  {
    name: 'after DATA +bytes fires inside a body mark that holds the nth octet',
    at: { after: 'DATA', bytes: 150 },
    direction: 'up',
    mark: body(10, 210, 100),
    cut: { offset: 60 },
  },
  {
    name: 'after DATA +bytes fires at the first octet of the first body mark',
    at: { after: 'DATA', bytes: 1 },
    direction: 'up',
    mark: body(7, 50, 0),
    cut: { offset: 8 },
  },
  {
    name: 'after DATA +bytes fires at the end of the mark when bytes is before plus its length',
    at: { after: 'DATA', bytes: 300 },
    direction: 'up',
    mark: body(10, 210, 100),
    cut: { offset: 210 },
  },
  {
    name: 'after DATA +bytes does not fire in a mark when bytes equals the octets before it',
    at: { after: 'DATA', bytes: 100 },
    direction: 'up',
    mark: body(10, 210, 100),
    cut: null,
  },
  {
    name: 'after DATA +bytes does not fire when the nth octet was in an earlier mark',
    at: { after: 'DATA', bytes: 50 },
    direction: 'up',
    mark: body(10, 210, 100),
    cut: null,
  },
  {
    name: 'after DATA +bytes does not fire when the nth octet is still to come',
    at: { after: 'DATA', bytes: 301 },
    direction: 'up',
    mark: body(10, 210, 100),
    cut: null,
  },
  {
    name: 'after DATA +bytes does not fire on the 354 going down',
    at: { after: 'DATA', bytes: 10 },
    direction: 'down',
    mark: reply('DATA', 40, 354),
    cut: null,
  },
  { name: 'after DATA +bytes does not fire on the dot', at: { after: 'DATA', bytes: 10 }, direction: 'up', mark: dot(5, 3), cut: null },
  { name: 'after DATA +bytes does not fire on a command', at: { after: 'DATA', bytes: 10 }, direction: 'up', mark: command('DATA', 6), cut: null },
  {
    name: 'after a step other than DATA with bytes never fires on body octets',
    at: { after: 'MAIL', bytes: 10 },
    direction: 'up',
    mark: body(0, 100, 0),
    cut: null,
  },

  // before reply to <step>: the step reached the server; its reply, on its way down, is held
  {
    name: 'before reply to RCPT cuts at the start of the reply to RCPT and holds it to its end',
    at: { before: 'reply', to: 'RCPT' },
    direction: 'down',
    mark: reply('RCPT', 40),
    lineStart: 16,
    cut: { offset: 16, pendingUntil: 40 },
  },
  { name: 'before reply to RCPT lets the reply to MAIL pass', at: { before: 'reply', to: 'RCPT' }, direction: 'down', mark: reply('MAIL', 16), cut: null },
  {
    name: 'before reply to RCPT does not fire on the RCPT command going up',
    at: { before: 'reply', to: 'RCPT' },
    direction: 'up',
    mark: command('RCPT', 40),
    cut: null,
  },
  {
    name: 'before reply to AUTH fires on the reply to AUTH',
    at: { before: 'reply', to: 'AUTH' },
    direction: 'down',
    mark: reply('AUTH', 20, 334),
    cut: { offset: 0, pendingUntil: 20 },
  },
  {
    name: 'before reply to dot cuts at the start of the reply to the dot',
    at: { before: 'reply', to: 'dot' },
    direction: 'down',
    mark: reply('dot', 30),
    lineStart: 10,
    cut: { offset: 10, pendingUntil: 30 },
  },
  {
    name: 'before reply to dot does not fire on the dot going up',
    at: { before: 'reply', to: 'dot' },
    direction: 'up',
    mark: dot(55),
    lineStart: 52,
    cut: null,
  },
  { name: 'before reply to dot does not fire on body octets', at: { before: 'reply', to: 'dot' }, direction: 'up', mark: body(0, 52, 0), cut: null },

  // before <step>: the command is held
  {
    name: 'before QUIT cuts at the start of the QUIT line and holds it until its end',
    at: { before: 'QUIT' },
    direction: 'up',
    mark: command('QUIT', 26),
    lineStart: 20,
    cut: { offset: 20, pendingUntil: 26 },
  },
  {
    name: 'before QUIT cuts at offset 0 when QUIT opens the chunk',
    at: { before: 'QUIT' },
    direction: 'up',
    mark: command('QUIT', 6),
    lineStart: 0,
    cut: { offset: 0, pendingUntil: 6 },
  },
  { name: 'before QUIT does not fire on RSET', at: { before: 'QUIT' }, direction: 'up', mark: command('RSET', 6), lineStart: 0, cut: null },
  { name: 'before QUIT does not fire on the reply to QUIT', at: { before: 'QUIT' }, direction: 'down', mark: reply('QUIT', 9, 221), lineStart: 0, cut: null },
  {
    name: 'before AUTH does not fire on an AUTH continuation line',
    at: { before: 'AUTH' },
    direction: 'up',
    mark: command('AUTH', 30, true),
    lineStart: 0,
    cut: null,
  },
  {
    name: 'before dot cuts at the start of the lone dot line when the body ended in the same chunk',
    at: { before: 'dot' },
    direction: 'up',
    mark: dot(55),
    lineStart: 52,
    cut: { offset: 52, pendingUntil: 55 },
  },
  {
    name: 'before dot cuts three octets before the end when the chunk held body before the terminator',
    at: { before: 'dot' },
    direction: 'up',
    mark: dot(55),
    lineStart: 0,
    cut: { offset: 52, pendingUntil: 55 },
  },
  {
    name: 'before dot cuts at the line start when the terminator began in an earlier chunk',
    at: { before: 'dot' },
    direction: 'up',
    mark: dot(2),
    lineStart: 0,
    cut: { offset: 0, pendingUntil: 2 },
  },
  { name: 'before dot does not fire on body octets', at: { before: 'dot' }, direction: 'up', mark: body(0, 52, 0), lineStart: 0, cut: null },
  { name: 'before dot does not fire on a reply to the dot', at: { before: 'dot' }, direction: 'down', mark: reply('dot', 9), lineStart: 0, cut: null },
  { name: 'before DATA does not fire on the dot', at: { before: 'DATA' }, direction: 'up', mark: dot(9), lineStart: 0, cut: null },
];

describe('cutAt', () => {
  it.each(ROWS)('$name', ({ at, direction, mark, lineStart, cut }) => {
    expect(cutAt(at, direction, mark, lineStart ?? 0)).toStrictEqual(cut);
  });

  it('finds exactly one body mark for every octet count across a body split into chunks', () => {
    // Three chunks of body: 5, 1 and 7 octets, each mark starting at a different chunk offset.
    const marks = [body(3, 8, 0), body(0, 1, 5), body(4, 11, 6)];
    for (let bytes = 1; bytes <= 13; bytes++) {
      const hits = marks.flatMap((m, i) => {
        const cut = cutAt({ after: 'DATA', bytes }, 'up', m, 0);
        return cut === null ? [] : [{ i, offset: cut.offset }];
      });
      expect(hits, `bytes ${bytes}`).toHaveLength(1);
      const [hit] = hits;
      const mark = marks[hit?.i ?? -1];
      if (mark?.kind !== 'body') throw new Error('not a body mark');
      expect(hit?.offset, `bytes ${bytes}`).toBe(mark.start + bytes - mark.before);
    }
    expect(cutAt({ after: 'DATA', bytes: 14 }, 'up', marks[2] ?? body(0, 0, 0), 0)).toBeNull();
  });
});

describe('holdsLines', () => {
  it.each<readonly [At, Direction | null]>([
    ['connect', null],
    [{ after: 'greeting' }, null],
    [{ after: 'EHLO' }, null],
    [{ after: 'DATA', bytes: 1024 }, null],
    [{ before: 'reply', to: 'RCPT' }, 'down'],
    [{ before: 'reply', to: 'dot' }, 'down'],
    [{ before: 'QUIT' }, 'up'],
    [{ before: 'RCPT' }, 'up'],
    [{ before: 'dot' }, 'up'],
  ])('holds whole lines for a before trigger, replies for before reply: %j gives %s', (at, expected) => {
    expect(holdsLines(at)).toBe(expected);
  });
});
