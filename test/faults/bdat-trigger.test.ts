/** The BDAT triggers (RFC 3030 §2): their short syntax, and where they fire given tracker marks. Pure: tables only. */
import { describe, expect, it } from 'vitest';
import { formatFault } from '../../src/faults/format.js';
import { parseFault } from '../../src/faults/parse.js';
import { cutAt, holdsLines, type Cut } from '../../src/faults/trigger.js';
import type { At, Fault } from '../../src/faults/types.js';
import type { Direction, SmtpMark } from '../../src/protocol/smtp.js';

const VALID: readonly { readonly text: string; readonly fault: Fault; readonly canonical?: string }[] = [
  { text: 'reset after BDAT +64KiB', fault: { kind: 'reset', at: { after: 'BDAT', bytes: 65536 } } },
  { text: 'reset before BDAT', fault: { kind: 'reset', at: { before: 'BDAT' } } },
  { text: 'reset before BDAT LAST', fault: { kind: 'reset', at: { before: 'BDAT LAST' } } },
  { text: 'stall before reply to BDAT LAST', fault: { kind: 'stall', at: { before: 'reply', to: 'BDAT LAST' } } },
  { text: 'stall before reply to bdat last', fault: { kind: 'stall', at: { before: 'reply', to: 'BDAT LAST' } }, canonical: 'stall before reply to BDAT LAST' },
  { text: 'reply 452 before reply to BDAT', fault: { kind: 'reply', code: 452, at: { before: 'reply', to: 'BDAT' } } },
  { text: 'close after BDAT LAST', fault: { kind: 'close', at: { after: 'BDAT LAST' } } },
  { text: 'corrupt after BDAT +1KiB', fault: { kind: 'corrupt', at: { after: 'BDAT', bytes: 1024 } } },
  { text: 'reply 552 before BDAT then reset', fault: { kind: 'reply', code: 552, at: { before: 'BDAT' }, then: 'reset' } },
];

describe('parseFault with BDAT triggers', () => {
  it.each(VALID)('parses $text', ({ text, fault }) => {
    expect(parseFault(text)).toStrictEqual(fault);
  });

  it.each(VALID)('formats the fault of $text canonically, and reads it back', ({ text, fault, canonical }) => {
    expect(formatFault(fault)).toBe(canonical ?? text);
    expect(parseFault(formatFault(fault))).toStrictEqual(fault);
  });

  it.each([
    ['reset after BDAT LAST +1KiB', '+1KiB'],
    ['reset after BDAT +1KiB channel data', null],
    ['reset after BDAT +0', '+0'],
  ])('rejects %j naming the token %j', (text, token) => {
    expect(() => parseFault(text)).toThrow(token === null ? /at end of input/ : `at "${token}"`);
  });

  it('refuses to relay on after a caught BDAT: its chunk data would reach the server as commands', () => {
    expect(() => parseFault('reply 552 before BDAT then continue')).toThrow(/"then continue" cannot follow a caught BDAT/);
    expect(() => parseFault('reply 552 before BDAT LAST then continue')).toThrow(/cannot follow a caught BDAT/);
    expect(parseFault('reply 452 before reply to BDAT then continue')).toMatchObject({ then: 'continue' });
    // A DATA caught before the server saw it leaves the server in command mode: relaying on is fine there.
    expect(parseFault('reply 554 before DATA then continue')).toMatchObject({ then: 'continue' });
    expect(parseFault('reply 554 before reply to DATA')).toMatchObject({ at: { to: 'DATA' } });
  });
});

const reply = (to: string, end: number, code = 250): SmtpMark => ({ kind: 'reply', end, to, code, lines: ['ok'] });
const bdat = (end: number, last = false): SmtpMark => ({
  kind: 'command',
  end,
  verb: 'BDAT',
  line: last ? 'BDAT 5 LAST' : 'BDAT 5',
  ...(last ? { last } : {}),
});
const chunk = (start: number, end: number, before: number): SmtpMark => ({ kind: 'body', start, end, before, bdat: true });
const body = (start: number, end: number, before: number): SmtpMark => ({ kind: 'body', start, end, before });

const ROWS: readonly { name: string; at: At; direction: Direction; mark: SmtpMark; lineStart?: number; cut: Cut | null }[] = [
  {
    name: 'after BDAT +n fires inside chunk data holding the nth octet',
    at: { after: 'BDAT', bytes: 150 },
    direction: 'up',
    mark: chunk(10, 210, 100),
    cut: { offset: 60 },
  },
  {
    name: 'after BDAT +n fires at the end of the chunk mark holding the last octet',
    at: { after: 'BDAT', bytes: 300 },
    direction: 'up',
    mark: chunk(0, 200, 100),
    cut: { offset: 200 },
  },
  { name: 'after BDAT +n does not fire before its octet', at: { after: 'BDAT', bytes: 301 }, direction: 'up', mark: chunk(0, 200, 100), cut: null },
  { name: 'after BDAT +n does not fire on the body after DATA', at: { after: 'BDAT', bytes: 10 }, direction: 'up', mark: body(0, 200, 0), cut: null },
  { name: 'after DATA +n does not fire on BDAT chunk data', at: { after: 'DATA', bytes: 10 }, direction: 'up', mark: chunk(0, 200, 0), cut: null },
  {
    name: 'before BDAT catches every BDAT command',
    at: { before: 'BDAT' },
    direction: 'up',
    mark: bdat(30, true),
    lineStart: 14,
    cut: { offset: 14, pendingUntil: 30 },
  },
  {
    name: 'before BDAT LAST catches the last chunk command',
    at: { before: 'BDAT LAST' },
    direction: 'up',
    mark: bdat(30, true),
    lineStart: 14,
    cut: { offset: 14, pendingUntil: 30 },
  },
  { name: 'before BDAT LAST lets an earlier chunk command pass', at: { before: 'BDAT LAST' }, direction: 'up', mark: bdat(30), lineStart: 14, cut: null },
  {
    name: 'before reply to BDAT LAST holds the message reply',
    at: { before: 'reply', to: 'BDAT LAST' },
    direction: 'down',
    mark: reply('BDAT LAST', 40),
    lineStart: 20,
    cut: { offset: 20, pendingUntil: 40 },
  },
  {
    name: 'before reply to BDAT LAST lets a chunk reply pass',
    at: { before: 'reply', to: 'BDAT LAST' },
    direction: 'down',
    mark: reply('BDAT', 40),
    lineStart: 20,
    cut: null,
  },
  {
    name: 'before reply to BDAT holds the last chunk reply too',
    at: { before: 'reply', to: 'BDAT' },
    direction: 'down',
    mark: reply('BDAT LAST', 40),
    lineStart: 20,
    cut: { offset: 20, pendingUntil: 40 },
  },
  { name: 'after BDAT fires after any chunk reply', at: { after: 'BDAT' }, direction: 'down', mark: reply('BDAT', 40), cut: { offset: 40 } },
  { name: 'after BDAT LAST does not fire after an earlier chunk reply', at: { after: 'BDAT LAST' }, direction: 'down', mark: reply('BDAT', 40), cut: null },
  { name: 'after dot does not fire after the reply to BDAT LAST', at: { after: 'dot' }, direction: 'down', mark: reply('BDAT LAST', 40), cut: null },
];

describe('cutAt with BDAT triggers', () => {
  it.each(ROWS)('$name', ({ at, direction, mark, lineStart = 0, cut }) => {
    expect(cutAt(at, direction, mark, lineStart)).toEqual(cut);
  });

  it('holds unfinished command lines for before BDAT, reply lines for before reply to BDAT LAST', () => {
    expect(holdsLines({ before: 'BDAT' })).toBe('up');
    expect(holdsLines({ before: 'reply', to: 'BDAT LAST' })).toBe('down');
    expect(holdsLines({ after: 'BDAT', bytes: 1 })).toBeNull();
  });
});
