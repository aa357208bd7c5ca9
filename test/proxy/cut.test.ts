/** Where the relay cuts queued bytes and which faults fire there. Pure: tables only, no sockets. */
import { describe, expect, it } from 'vitest';
import { parseFault } from '../../src/faults/parse.js';
import type { Fault } from '../../src/faults/types.js';
import type { Direction } from '../../src/protocol/conversation.js';
import type { SmtpMark } from '../../src/protocol/smtp.js';
import { cutByOctets, cutsAtMark, type MarkCut } from '../../src/proxy/cut.js';

const reply = (to: string, end: number, code = 250): SmtpMark => ({ kind: 'reply', end, to, code, lines: ['ok'] });
const command = (verb: string, end: number): SmtpMark => ({ kind: 'command', end, verb, line: `${verb} x` });
const body = (start: number, end: number, before: number): SmtpMark => ({ kind: 'body', start, end, before });
const dot = (end: number): SmtpMark => ({ kind: 'dot', end, bodyBytes: 100 });

const f = (text: string): Fault => parseFault(text);
const RESET_AFTER_RCPT = f('reset after RCPT');
const STALL_BEFORE_MAIL = f('stall before MAIL');
const REPLY_BEFORE_MAIL = f('reply 421 before MAIL');
const HOLD_RCPT_REPLY = f('stall before reply to RCPT');
const RESET_IN_BODY = f('reset after DATA +100');
const RESET_BEFORE_DOT = f('reset before dot');

type MarkRow = {
  readonly name: string;
  readonly armed: readonly Fault[];
  readonly direction: Direction;
  readonly mark: SmtpMark;
  readonly lineStart: number;
  readonly cuts: readonly MarkCut[];
};

const MARK_ROWS: readonly MarkRow[] = [
  { name: 'nothing is cut where no armed fault falls', armed: [RESET_AFTER_RCPT], direction: 'down', mark: reply('MAIL', 40), lineStart: 20, cuts: [] },
  {
    name: 'an after trigger forwards the whole reply, and nothing is caught',
    armed: [RESET_AFTER_RCPT],
    direction: 'down',
    mark: reply('RCPT', 40),
    lineStart: 20,
    cuts: [{ fault: RESET_AFTER_RCPT, forwardTo: 40 }],
  },
  {
    name: 'a before trigger forwards up to the command and catches it to its end',
    armed: [STALL_BEFORE_MAIL],
    direction: 'up',
    mark: command('MAIL', 30),
    lineStart: 12,
    cuts: [{ fault: STALL_BEFORE_MAIL, forwardTo: 12, swallowTo: 30 }],
  },
  {
    name: 'a before-reply trigger catches the server reply',
    armed: [HOLD_RCPT_REPLY],
    direction: 'down',
    mark: reply('RCPT', 50),
    lineStart: 30,
    cuts: [{ fault: HOLD_RCPT_REPLY, forwardTo: 30, swallowTo: 50 }],
  },
  {
    name: 'a body byte count cuts inside the body octets',
    armed: [RESET_IN_BODY],
    direction: 'up',
    mark: body(10, 210, 0),
    lineStart: 0,
    cuts: [{ fault: RESET_IN_BODY, forwardTo: 110 }],
  },
  {
    name: 'a body byte count already passed in an earlier chunk does not cut again',
    armed: [RESET_IN_BODY],
    direction: 'up',
    mark: body(0, 50, 120),
    lineStart: 0,
    cuts: [],
  },
  {
    name: 'the dot is caught from its line, not from the body before it',
    armed: [RESET_BEFORE_DOT],
    direction: 'up',
    mark: dot(60),
    lineStart: 0,
    cuts: [{ fault: RESET_BEFORE_DOT, forwardTo: 57, swallowTo: 60 }],
  },
  {
    name: 'every fault due at the same mark cuts, in arming order',
    armed: [REPLY_BEFORE_MAIL, RESET_AFTER_RCPT, STALL_BEFORE_MAIL],
    direction: 'up',
    mark: command('MAIL', 30),
    lineStart: 12,
    cuts: [
      { fault: REPLY_BEFORE_MAIL, forwardTo: 12, swallowTo: 30 },
      { fault: STALL_BEFORE_MAIL, forwardTo: 12, swallowTo: 30 },
    ],
  },
  {
    name: 'a command trigger does not match the direction toward the client',
    armed: [STALL_BEFORE_MAIL],
    direction: 'down',
    mark: command('MAIL', 30),
    lineStart: 0,
    cuts: [],
  },
];

describe('cutsAtMark', () => {
  for (const row of MARK_ROWS) {
    it(row.name, () => {
      expect(cutsAtMark(row.armed, row.direction, row.mark, row.lineStart)).toEqual(row.cuts);
    });
  }
});

const STOR_100 = f('reset after STOR +100 channel data');
const STOR_300 = f('close after STOR +300 channel data');
const RETR_50 = f('reset after RETR +50 channel data');
const ON_CONNECT = f('reset on connect channel data');

type OctetRow = {
  readonly name: string;
  readonly armed: readonly Fault[];
  readonly verb: string | undefined;
  readonly relayed: number;
  readonly length: number;
  readonly forward: number;
  readonly fault?: Fault;
};

const OCTET_ROWS: readonly OctetRow[] = [
  { name: 'forwards everything when nothing is armed', armed: [], verb: 'STOR', relayed: 0, length: 500, forward: 500 },
  { name: 'forwards up to the fault and fires it', armed: [STOR_100], verb: 'STOR', relayed: 40, length: 500, forward: 60, fault: STOR_100 },
  { name: 'fires after the chunk that ends exactly on the fault', armed: [STOR_100], verb: 'STOR', relayed: 40, length: 60, forward: 60, fault: STOR_100 },
  { name: 'forwards the chunk whole when the fault lies beyond it', armed: [STOR_100], verb: 'STOR', relayed: 40, length: 59, forward: 59 },
  { name: 'the fault that falls first fires first', armed: [STOR_300, STOR_100], verb: 'STOR', relayed: 0, length: 1000, forward: 100, fault: STOR_100 },
  { name: 'a fault for another transfer is not due', armed: [RETR_50], verb: 'STOR', relayed: 0, length: 1000, forward: 1000 },
  { name: 'a fault on connect is not timed by octets', armed: [ON_CONNECT], verb: 'STOR', relayed: 0, length: 1000, forward: 1000 },
  { name: 'no transfer yet: nothing is due', armed: [STOR_100], verb: undefined, relayed: 0, length: 1000, forward: 1000 },
  { name: 'a fault already passed fires before any octet', armed: [STOR_100], verb: 'STOR', relayed: 150, length: 10, forward: 0, fault: STOR_100 },
];

describe('cutByOctets', () => {
  for (const row of OCTET_ROWS) {
    it(row.name, () => {
      const expected = row.fault ? { forward: row.forward, fault: row.fault } : { forward: row.forward };
      expect(cutByOctets(row.armed, row.verb, row.relayed, row.length)).toEqual(expected);
    });
  }
});
