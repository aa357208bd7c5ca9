/** The armory and a connection's transactions: plans, match counting, pass, disarm. Pure: no sockets. */
import { describe, expect, it } from 'vitest';
import { parseFault } from '../../src/faults/parse.js';
import type { Fault } from '../../src/faults/types.js';
import type { Mark } from '../../src/protocol/conversation.js';
import { Arming } from '../../src/proxy/arming.js';
import { Armory, envelopeAddress, Transactions } from '../../src/proxy/armory.js';

const [a, b, c] = ['reset after RCPT', 'reply 451 before RCPT', 'close after DATA +10'].map((t) => parseFault(t)) as [Fault, Fault, Fault];

const command = (line: string): Mark => ({ kind: 'command', end: line.length + 2, verb: line.split(/[ :]/)[0]!.toUpperCase(), line });
const reply = (to: string, code = 250): Mark => ({ kind: 'reply', end: 10, to, code, lines: ['ok'] });
const stor = (path: string): Mark => ({ kind: 'command', end: 10, verb: 'STOR', line: `STOR ${path}`, secret: false });
const ftpReply = (to: string, code: number): Mark => ({ kind: 'reply', end: 10, to, code, lines: ['ok'], preliminary: code < 200 });

/** One SMTP connection's arming with its transactions, told a message's marks in order. */
function connection(armory: Armory, index: number) {
  const transactions = new Transactions('smtp', (matches) => armory.forTransaction(index, matches));
  const arming = new Arming([], () => true, { transactions, split: (change) => change });
  /** The faults armed while the client's command `line` is in hand. */
  const at = (line: string): readonly Fault[] => {
    arming.dueAt('up', command(line), 0);
    return [...arming.armed];
  };
  return { arming, at, replied: (to: string, code?: number) => arming.relayed('down', reply(to, code)) };
}

describe('Armory', () => {
  it('gives every connection the start-up and armed faults, and the connection faults only their connection', () => {
    const armory = new Armory([a]);
    armory.arm(b, { connection: 2 });
    expect(armory.forConnection(1)).toEqual([a]);
    expect(armory.forConnection(2)).toEqual([a, b]);
    expect(armory.forConnection(3)).toEqual([a]);
  });

  it('gives plan entries to the connections accepted after the plan, in order; pass and past the end give none', () => {
    const armory = new Armory([]);
    expect(armory.forConnection(1)).toEqual([]);
    armory.plan([b, 'pass', c]);
    expect([2, 3, 4, 5].map((i) => armory.forConnection(i))).toEqual([[b], [], [c], []]);
  });

  it('forgets start-up faults, armed faults and plans on disarm', () => {
    const armory = new Armory([a]);
    armory.arm(b);
    armory.plan([c]);
    armory.disarm();
    expect(armory.forConnection(1)).toEqual([]);
    expect(armory.matching).toBe(false);
  });

  it('says whether anything waits for matching transactions', () => {
    const armory = new Armory([a]);
    expect(armory.matching).toBe(false);
    armory.plan([b], { rcpt: /x/ });
    expect(armory.matching).toBe(true);
  });
});

describe('Transactions', () => {
  it('arms a rcpt-matched fault at the matching RCPT, not at MAIL, and disarms it after the reply to the dot', () => {
    const armory = new Armory([]);
    armory.arm(b, { match: { rcpt: /@t42\./ } });
    const conn = connection(armory, 1);
    expect(conn.at('MAIL FROM:<a@example.test>')).toEqual([]);
    expect(conn.at('RCPT TO:<x@example.test>')).toEqual([]);
    expect(conn.at('RCPT TO:<y@t42.test>')).toEqual([b]);
    expect(conn.at('DATA')).toEqual([b]);
    conn.replied('dot');
    expect(conn.arming.armed).toEqual([]);
    expect(conn.at('MAIL FROM:<a@example.test>')).toEqual([]);
  });

  it('matches from at MAIL, case-insensitively for a string, and ends the transaction at RSET', () => {
    const armory = new Armory([]);
    armory.arm(a, { match: { from: 'A@Example.TEST' } });
    const conn = connection(armory, 1);
    expect(conn.at('MAIL FROM:<a@example.test> SIZE=10')).toEqual([a]);
    expect(conn.at('RSET')).toEqual([]);
  });

  it('counts matching transactions for a match plan, not connections, across connections', () => {
    const armory = new Armory([]);
    armory.plan(['pass', b, c], { rcpt: 'b@t42.test' });
    const first = connection(armory, 1);
    first.at('MAIL FROM:<a@example.test>');
    expect(first.at('RCPT TO:<other@example.test>')).toEqual([]);
    first.replied('dot');
    first.at('MAIL FROM:<a@example.test>');
    expect(first.at('RCPT TO:<b@t42.test>')).toEqual([]); // pass
    // A second matching recipient of the same transaction does not count again.
    expect(first.at('RCPT TO:<b@t42.test>')).toEqual([]);
    first.replied('dot');
    const second = connection(armory, 2);
    second.at('MAIL FROM:<a@example.test>');
    expect(second.at('RCPT TO:<B@T42.test>')).toEqual([b]);
    second.replied('dot');
    second.at('MAIL FROM:<a@example.test>');
    expect(second.at('RCPT TO:<b@t42.test>')).toEqual([c]);
    second.replied('dot');
    second.at('MAIL FROM:<a@example.test>');
    expect(second.at('RCPT TO:<b@t42.test>')).toEqual([]);
    expect(armory.matching).toBe(false);
  });

  it('keeps a matched fault to its connection when armed with one', () => {
    const armory = new Armory([]);
    armory.arm(a, { connection: 2, match: { rcpt: /./ } });
    const one = connection(armory, 1);
    one.at('MAIL FROM:<a@example.test>');
    expect(one.at('RCPT TO:<b@example.test>')).toEqual([]);
    const two = connection(armory, 2);
    two.at('MAIL FROM:<a@example.test>');
    expect(two.at('RCPT TO:<b@example.test>')).toEqual([a]);
  });

  it('ends a transaction whose MAIL was refused', () => {
    const armory = new Armory([]);
    armory.arm(a, { match: { from: /./ } });
    const conn = connection(armory, 1);
    expect(conn.at('MAIL FROM:<a@example.test>')).toEqual([a]);
    conn.replied('MAIL', 550);
    expect(conn.arming.armed).toEqual([]);
  });

  it('matches FTP transfers by path, from the transfer command to its final reply', () => {
    const armory = new Armory([]);
    armory.plan([a, b], { path: /\.csv$/ });
    const transactions = new Transactions('ftp', (matches) => armory.forTransaction(1, matches));
    expect(transactions.before('up', stor('a.txt')).add).toEqual([]);
    expect(transactions.before('up', stor('/data/x.csv')).add).toEqual([a]);
    expect(transactions.after('down', ftpReply('STOR', 150)).remove).toEqual([]);
    expect(transactions.after('down', ftpReply('STOR', 226)).remove).toEqual([a]);
    expect(transactions.before('up', stor('y.csv')).add).toEqual([b]);
  });
});

describe('envelopeAddress', () => {
  it.each([
    ['MAIL FROM:<a@b.test>', 'a@b.test'],
    ['MAIL FROM:<> SIZE=10', ''],
    ['RCPT TO: <c@d.test> NOTIFY=NEVER', 'c@d.test'],
    ['rcpt to:e@f.test', 'e@f.test'],
  ])('reads the address of %s', (line, address) => {
    expect(envelopeAddress(line)).toBe(address);
  });
});
