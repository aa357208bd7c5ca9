import { describe, expect, it } from 'vitest';
import { parseReplyLineLoosely as parseReplyLine } from '../../src/protocol/reply.js';
import { SmtpPhase, SmtpTracker, commandVerb, type Direction, type SmtpMark } from '../../src/protocol/smtp.js';
import { MAX_VIOLATIONS } from '../../src/protocol/violations.js';

/** One side's turn in a conversation. */
type Turn = readonly [Direction, string];

/** A mark with its offsets made absolute within its direction's stream. */
type AbsMark = Record<string, unknown>;

/** A view of the client's side after each turn, whole, went through a tracker. */
function replayed(turns: readonly Turn[]): SmtpPhase {
  const tracker = new SmtpTracker();
  const view = new SmtpPhase();
  for (const [dir, text] of turns) {
    for (const m of tracker.feed(dir, Buffer.from(text, 'latin1'))) {
      if (dir === 'up') view.sent(m);
      else view.shown(m);
    }
  }
  return view;
}

/** Feeds each turn cut into pieces of `size` bytes (0: whole) and returns marks with absolute offsets. */
function run(turns: readonly Turn[], size: number): { marks: AbsMark[]; phases: string[] } {
  const tracker = new SmtpTracker();
  const view = new SmtpPhase();
  const offset: Record<Direction, number> = { up: 0, down: 0 };
  const marks: AbsMark[] = [];
  const phases: string[] = [];
  for (const [dir, text] of turns) {
    const bytes = Buffer.from(text, 'latin1');
    const step = size || bytes.length;
    for (let i = 0; i < bytes.length; i += step) {
      const piece = bytes.subarray(i, i + step);
      for (const m of tracker.feed(dir, piece)) {
        marks.push(absolute(m, offset[dir], dir));
        if (dir === 'up') view.sent(m);
        else view.shown(m);
      }
      offset[dir] += piece.length;
    }
    phases.push(view.phase);
  }
  return { marks: mergeBody(marks), phases };
}

function absolute(m: SmtpMark, base: number, dir: Direction): AbsMark {
  if (m.kind === 'body') return { dir, kind: 'body', start: base + m.start, end: base + m.end, before: m.before };
  return { dir, ...m, end: base + m.end };
}

/** Body marks depend on chunking; merge adjacent ones so every chunking compares equal. */
function mergeBody(marks: AbsMark[]): AbsMark[] {
  const out: AbsMark[] = [];
  for (const m of marks) {
    const last = out.at(-1);
    if (m.kind === 'body' && last?.kind === 'body' && last.end === m.start) last.end = m.end;
    else out.push({ ...m });
  }
  return out;
}

const transaction: Turn[] = [
  ['down', '220 mx.example.test ESMTP\r\n'],
  ['up', 'EHLO client\r\n'],
  ['down', '250-mx.example.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n'],
  ['up', 'MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n'],
  ['down', '250 ok\r\n250 ok\r\n354 go ahead\r\n'],
  ['up', 'Subject: hi\r\n\r\n..dot-stuffed\r\nline\r\n.\r\n'],
  ['down', '250 queued\r\n'],
  ['up', 'QUIT\r\n'],
  ['down', '221 bye\r\n'],
];

describe('parseReplyLine and commandVerb', () => {
  it.each([
    ['250 ok', { code: 250, final: true, text: 'ok' }],
    ['250-PIPELINING', { code: 250, final: false, text: 'PIPELINING' }],
    ['354', { code: 354, final: true, text: '' }],
    ['hello', null],
  ])('parses the reply line %j', (line, want) => {
    expect(parseReplyLine(line)).toEqual(want);
  });

  it.each([
    ['MAIL FROM:<a@x>', 'MAIL'],
    ['ehlo client', 'EHLO'],
    ['  quit', 'QUIT'],
    ['', ''],
  ])('takes the verb of %j', (line, verb) => {
    expect(commandVerb(line)).toBe(verb);
  });
});

describe('SmtpTracker', () => {
  it('marks every command, reply, body range and the dot of a pipelined transaction', () => {
    const { marks, phases } = run(transaction, 0);
    expect(marks.map((m) => `${m.kind}:${String(m.verb ?? m.to ?? '')}:${String(m.code ?? m.bodyBytes ?? '')}`)).toEqual([
      'reply:greeting:220',
      'command:EHLO:',
      'reply:EHLO:250',
      'command:MAIL:',
      'command:RCPT:',
      'command:DATA:',
      'reply:MAIL:250',
      'reply:RCPT:250',
      'reply:DATA:354',
      'body::',
      'dot::36',
      'reply:dot:250',
      'command:QUIT:',
      'reply:QUIT:221',
    ]);
    // Pipelined MAIL, RCPT, DATA: the client waits for the MAIL reply first.
    expect(phases).toEqual(['greeting', 'ehlo', 'ehlo', 'mail', 'body', 'dot', 'dot', 'quit', 'quit']);
  });

  it('keeps the lines of a multi-line reply together', () => {
    const ehloReply = run(transaction.slice(0, 3), 0).marks.at(-1);
    expect(ehloReply?.lines).toEqual(['mx.example.test', 'PIPELINING', 'SIZE 1000', '8BITMIME']);
  });

  it.each([1, 2, 3, 5, 7, 13])('gives the same marks at the same offsets when cut into %i-byte pieces', (size) => {
    // Body ranges may hold a split terminator's first octets; the dot mark carries the exact size.
    const withoutBody = (r: ReturnType<typeof run>) => ({ ...r, marks: r.marks.filter((m) => m.kind !== 'body') });
    expect(withoutBody(run(transaction, size))).toEqual(withoutBody(run(transaction, 0)));
  });

  it('reports body ranges that exclude the final dot line', () => {
    const body = run(transaction, 0).marks.filter((m) => m.kind === 'body');
    expect(body.map((m) => Number(m.end) - Number(m.start))).toEqual([36]);
  });

  it('ends an empty message at a lone dot right after 354', () => {
    const { marks } = run(
      [
        ['down', '220 x\r\n'],
        ['up', 'DATA\r\n'],
        ['down', '354 go\r\n'],
        ['up', '.\r\n'],
        ['down', '250 ok\r\n'],
      ],
      1,
    );
    expect(marks.filter((m) => m.kind === 'dot')).toEqual([{ dir: 'up', kind: 'dot', end: 9, bodyBytes: 0 }]);
  });

  it.each([
    ['a bare LF dot', 'x\n.\nmore\r\n.\r\n', 10],
    ['CR dot CR', 'x\r.\rmore\r\n.\r\n', 10],
    ['a dot inside a line', 'x.\r\n..\r\n.\r\n', 8],
  ])('does not end data at %s', (_name, body, bodyBytes) => {
    const { marks } = run(
      [
        ['down', '220 x\r\n'],
        ['up', 'DATA\r\n'],
        ['down', '354 go\r\n'],
        ['up', body],
      ],
      1,
    );
    expect(marks.filter((m) => m.kind === 'dot').map((m) => m.bodyBytes)).toEqual([bodyBytes]);
  });

  it('frames replies that end with a bare LF', () => {
    const { marks } = run(
      [
        ['down', '220-a\n220 b\n'],
        ['up', 'EHLO x\n'],
        ['down', '250 ok\n'],
      ],
      1,
    );
    expect(marks.filter((m) => m.kind === 'reply').map((m) => [m.to, m.code, m.end])).toEqual([
      ['greeting', 220, 12],
      ['EHLO', 250, 19],
    ]);
  });

  it('reports body ranges with the octets that came before', () => {
    const tracker = new SmtpTracker();
    tracker.feed('down', Buffer.from('220 x\r\n'));
    tracker.feed('up', Buffer.from('DATA\r\n'));
    tracker.feed('down', Buffer.from('354 go\r\n'));
    expect(tracker.feed('up', Buffer.alloc(100, 0x61))).toEqual([{ kind: 'body', start: 0, end: 100, before: 0 }]);
    expect(tracker.feed('up', Buffer.alloc(50, 0x61))).toEqual([{ kind: 'body', start: 0, end: 50, before: 100 }]);
    expect(tracker.bodyBytes).toBe(150);
  });

  it('marks SASL data after 334 as an AUTH continuation, not a command', () => {
    const { marks } = run(
      [
        ['down', '220 x\r\n'],
        ['up', 'AUTH LOGIN\r\n'],
        ['down', '334 VXNlcm5hbWU6\r\n'],
        ['up', 'dXNlcg==\r\n'],
        ['down', '334 UGFzc3dvcmQ6\r\n'],
        ['up', 'c2VjcmV0\r\n'],
        ['down', '235 ok\r\n'],
        ['up', 'MAIL FROM:<a@x>\r\n'],
      ],
      0,
    );
    expect(marks.filter((m) => m.kind === 'command').map((m) => [m.verb, m.continuation ?? false])).toEqual([
      ['AUTH', false],
      ['AUTH', true],
      ['AUTH', true],
      ['MAIL', false],
    ]);
    expect(marks.filter((m) => m.kind === 'reply').map((m) => m.to)).toEqual(['greeting', 'AUTH', 'AUTH', 'AUTH']);
  });

  it('stops reading after STARTTLS is accepted: the rest is TLS', () => {
    const tracker = new SmtpTracker();
    tracker.feed('down', Buffer.from('220 x\r\n'));
    tracker.feed('up', Buffer.from('STARTTLS\r\n'));
    expect(tracker.feed('down', Buffer.from('220 go ahead\r\n'))).toHaveLength(1);
    expect(tracker.feed('up', Buffer.from('\x16\x03\x01 binary\r\n'))).toEqual([]);
  });

  it('terminating TLS: nothing after STARTTLS is a command until the reply; after restart the first reply answers EHLO', () => {
    const tracker = new SmtpTracker({ terminatesTls: true });
    tracker.feed('down', Buffer.from('220 x\r\n'));
    const asked = tracker.feed('up', Buffer.from('STARTTLS\r\nMAIL FROM:<i@x>\r\n'));
    expect(asked.map((m) => m.kind === 'command' && m.verb)).toEqual(['STARTTLS']);
    expect(tracker.feed('up', Buffer.from('RCPT TO:<j@x>\r\n'))).toEqual([]);
    expect(tracker.feed('down', Buffer.from('220 go ahead\r\n'))).toMatchObject([{ kind: 'reply', to: 'STARTTLS', code: 220 }]);
    tracker.restart();
    expect(tracker.feed('up', Buffer.from('EHLO me\r\n'))).toMatchObject([{ kind: 'command', verb: 'EHLO' }]);
    expect(tracker.feed('down', Buffer.from('250 hi\r\n'))).toMatchObject([{ kind: 'reply', to: 'EHLO', code: 250 }]);
  });

  it('terminating TLS: a refused STARTTLS (454) reads commands again', () => {
    const tracker = new SmtpTracker({ terminatesTls: true });
    tracker.feed('down', Buffer.from('220 x\r\n'));
    tracker.feed('up', Buffer.from('STARTTLS\r\n'));
    expect(tracker.feed('down', Buffer.from('454 no\r\n'))).toMatchObject([{ kind: 'reply', to: 'STARTTLS', code: 454 }]);
    expect(tracker.feed('up', Buffer.from('MAIL FROM:<a@x>\r\n'))).toMatchObject([{ kind: 'command', verb: 'MAIL' }]);
  });

  it('says the client waits for the oldest unanswered pipelined command', () => {
    const { phases } = run(
      [
        ['down', '220 x\r\n'],
        ['up', 'MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n'],
        ['down', '250 ok\r\n'],
        ['down', '250 ok\r\n'],
        ['down', '354 go\r\n'],
      ],
      0,
    );
    expect(phases).toEqual(['greeting', 'mail', 'rcpt', 'data', 'body']);
  });

  it('forgets the step the proxy answered itself, even with pipelined commands after it', () => {
    const tracker = new SmtpTracker();
    tracker.feed('down', Buffer.from('220 x\r\n'));
    tracker.feed('up', Buffer.from('MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\n'));
    tracker.forget('RCPT');
    const replies = tracker.feed('down', Buffer.from('250 ok\r\n250 ok\r\n354 go\r\n'));
    expect(replies.map((m) => (m.kind === 'reply' ? m.to : m.kind))).toEqual(['MAIL', 'RCPT', 'DATA']);
    expect(tracker.feed('up', Buffer.from('x\r\n.\r\n')).map((m) => m.kind)).toEqual(['body', 'dot']);
  });

  it.each([
    ['a pipelined transaction', transaction, []],
    [
      'MAIL sent before the reply to EHLO',
      [
        ['down', '220 x\r\n'],
        ['up', 'EHLO a\r\nMAIL FROM:<a@x>\r\n'],
      ] as Turn[],
      ['sent MAIL before the reply to EHLO (RFC 2920 §3.1)'],
    ],
    [
      'body data sent before the 354',
      [
        ['down', '220 x\r\n'],
        ['up', 'DATA\r\nSubject: x\r\n'],
      ] as Turn[],
      ['sent SUBJECT before the reply to DATA (RFC 2920 §3.1)'],
    ],
    [
      'a command ended by a bare LF',
      [
        ['down', '220 x\r\n'],
        ['up', 'NOOP\n'],
      ] as Turn[],
      ['ended NOOP with a bare LF (RFC 5321 §2.3.8)'],
    ],
  ])('finds the framing faults of the client in %s', (_name, turns, want) => {
    const view = replayed(turns);
    expect(view.violations).toEqual(want);
  });

  it('keeps the phase of each failure reply shown, whatever the client sends after it (pipelined DATA, RSET, QUIT)', () => {
    const turns: Turn[] = [
      ['down', '220 mx ESMTP\r\n'],
      ['up', 'EHLO c\r\n'],
      ['down', '250 mx\r\n'],
      ['up', 'MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n'],
      ['down', '250 ok\r\n550 no such user\r\n554 no valid recipients\r\n'],
      ['up', 'RSET\r\n'],
      ['down', '250 ok\r\n'],
      ['up', 'QUIT\r\n'],
      ['down', '221 bye\r\n'],
    ];
    const view = replayed(turns);
    view.told(451);
    view.told(552, 'dot');
    expect([view.phase, view.lastCode, view.failures]).toEqual(['quit', 552, { 550: 'rcpt', 554: 'data', 451: 'quit', 552: 'dot' }]);
  });

  it.each<[string, string, string, string, number, string]>([
    [
      'every RCPT refused: 554 to DATA',
      'MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n',
      '250 ok\r\n550 no such user\r\n554 no valid recipients\r\n',
      '',
      550,
      'rcpt',
    ],
    [
      'every RCPT refused: 503 to DATA',
      'MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\n',
      '250 ok\r\n550 no\r\n451 later\r\n503 need RCPT\r\n',
      '',
      451,
      'rcpt',
    ],
    [
      'MAIL refused: 503 to RCPT and DATA',
      'MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n',
      '451 try later\r\n503 need MAIL\r\n503 need MAIL\r\n',
      '',
      451,
      'mail',
    ],
    [
      'one RCPT accepted: the 554 to DATA is its own',
      'MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\n',
      '250 ok\r\n250 ok\r\n550 no\r\n554 policy\r\n',
      '',
      554,
      'data',
    ],
    ['a 503 to DATA in a new transaction after RSET', 'MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n', '250 ok\r\n550 no\r\n', 'RSET\r\nDATA\r\n', 503, 'data'],
  ])('a pipelined failure that only follows a refusal before it leaves that refusal the last word: %s', (_name, up, down, after, code, phase) => {
    const turns: Turn[] = [
      ['down', '220 mx ESMTP\r\n'],
      ['up', 'EHLO c\r\n'],
      ['down', '250-mx\r\n250 PIPELINING\r\n'],
      ['up', up],
      ['down', down],
      ...(after === ''
        ? []
        : ([
            ['up', after],
            ['down', '250 ok\r\n503 need MAIL\r\n'],
          ] as Turn[])),
      ['up', 'QUIT\r\n'],
      ['down', '221 bye\r\n'],
    ];
    const view = replayed(turns);
    expect([view.lastCode, view.failures[view.lastCode!]]).toEqual([code, phase]);
  });

  it.each<[string, string, string, number]>([
    ['RSET after a 552 to the dot (JavaMail), then QUIT', 'RSET\r\n', '250 ok\r\n', 552],
    ['NOOP after a 552 to the dot', 'NOOP\r\n', '250 ok\r\n', 552],
    ['a refused RSET', 'RSET\r\n', '421 closing\r\n', 421],
    ['RSET and a new MAIL accepted', 'RSET\r\nMAIL FROM:<a@x>\r\n', '250 ok\r\n250 ok\r\n', 250],
  ])('leaves a refusal the last word past a success that says nothing of the transaction: %s', (_name, up, down, code) => {
    const turns: Turn[] = [
      ['down', '220 mx ESMTP\r\n'],
      ['up', 'EHLO c\r\n'],
      ['down', '250 mx\r\n'],
      ['up', 'MAIL FROM:<a@x>\r\n'],
      ['down', '250 ok\r\n'],
      ['up', 'RCPT TO:<b@y>\r\n'],
      ['down', '250 ok\r\n'],
      ['up', 'DATA\r\n'],
      ['down', '354 go\r\n'],
      ['up', 'hi\r\n.\r\n'],
      ['down', '552 too big\r\n'],
      ['up', up],
      ['down', down],
      ['up', 'QUIT\r\n'],
      ['down', '221 bye\r\n'],
    ];
    const view = replayed(turns);
    expect(view.lastCode).toBe(code);
    if (code === 552) expect(view.failures[552]).toBe('dot');
  });

  it.each<[string, string, string, boolean]>([
    ['HELO after a 502 to EHLO (RFC 5321 §4.1.4)', 'HELO c\r\n', '', true],
    ['answered after', 'HELO c\r\n', '250 hi\r\n', false],
    ['QUIT after it', 'QUIT\r\n', '', false],
    ['RSET after it', 'RSET\r\n', '', false],
  ])('marks a client that went on past a failure reply: %s', (_name, up, down, movedOn) => {
    const view = replayed([
      ['down', '220 mx ESMTP\r\n'],
      ['up', 'EHLO c\r\n'],
      ['down', '502 no\r\n'],
      ['up', up],
      ...(down ? ([['down', down]] as Turn[]) : []),
    ]);
    expect(view.movedOn).toBe(movedOn);
  });

  /** Greeted, and EHLO answered with PIPELINING (RFC 2920). */
  const PIPELINING: readonly Turn[] = [
    ['down', '220 mx ESMTP\r\n'],
    ['up', 'EHLO c\r\n'],
    ['down', '250-mx\r\n250 PIPELINING\r\n'],
  ];

  it('does not mark commands pipelined behind a refusal, nor any after a 421, nor one after a success', () => {
    const pipelined = replayed([
      ...PIPELINING,
      ['up', 'MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n'],
      ['down', '250 ok\r\n550 no\r\n554 no valid recipients\r\n'],
    ]);
    expect([pipelined.movedOn, pipelined.lastCode]).toEqual([false, 550]);
    // RCPT may be pipelined behind MAIL (RFC 2920 §3.1): one reaching the proxy after MAIL's refusal may have crossed it.
    const crossed = replayed([...PIPELINING, ['up', 'MAIL FROM:<a@x>\r\n'], ['down', '451 later\r\n'], ['up', 'RCPT TO:<b@y>\r\n']]);
    expect([crossed.movedOn, crossed.lastCode]).toEqual([false, 451]);
    const closing = replayed([
      ['down', '220 mx ESMTP\r\n'],
      ['up', 'EHLO c\r\n'],
      ['down', '421 closing\r\n'],
    ]);
    closing.wentOn({ kind: 'command', end: 0, verb: 'HELO', line: 'HELO c' });
    expect(closing.movedOn).toBe(false);
    const greeted = replayed([['down', '220 mx ESMTP\r\n']]);
    greeted.wentOn({ kind: 'command', end: 0, verb: 'EHLO', line: 'EHLO c' });
    expect([greeted.movedOn, greeted.phase]).toEqual([false, 'greeting']);
  });

  it("reads nothing the proxy relays after the client left: Exim's 421 behind a client that closed on its 552", () => {
    const view = replayed([
      ['down', '220 mx ESMTP\r\n'],
      ['up', 'EHLO c\r\n'],
      ['down', '250 mx\r\n'],
      ['up', 'MAIL FROM:<a@x>\r\n'],
      ['down', '552 too big\r\n'],
    ]);
    view.left();
    view.shown({ kind: 'reply', end: 0, to: 'unsolicited', code: 421, lines: ['421 lost input connection'] });
    expect([view.lastCode, view.phase, view.failures]).toEqual([552, 'mail', { 552: 'mail' }]);
  });

  it('finds the oldest reply a client must wait for among thousands of pipelined commands of alternating verbs', () => {
    const view = new SmtpPhase();
    const sent = (verb: string): void => view.sent({ kind: 'command', end: 0, verb, line: verb });
    const shown = (to: string, code = 250): void => view.shown({ kind: 'reply', end: 0, to, code, lines: [`${code} ok`] });
    shown('greeting', 220);
    // RSET and MAIL may be pipelined (RFC 2920 §3.1): a run of each, 3,000 runs, no violation.
    for (let i = 0; i < 3000; i++) sent(i % 2 ? 'MAIL' : 'RSET');
    sent('EHLO');
    sent('NOOP');
    expect(view.violations).toEqual(['sent NOOP before the reply to EHLO (RFC 2920 §3.1)']);
    for (let i = 0; i < 3000; i++) shown(i % 2 ? 'MAIL' : 'RSET');
    expect(view.phase).toBe('ehlo');
    shown('EHLO');
    // EHLO answered: NOOP, sent after it, is the one to wait for now.
    sent('VRFY');
    shown('NOOP');
    shown('VRFY');
    expect(view.awaiting).toBe(0);
    // DATA answered by the proxy in the server's place (a fault): nothing is waited for any more.
    sent('DATA');
    view.replaced({ kind: 'command', end: 0, verb: 'DATA', line: 'DATA' });
    sent('RSET');
    expect(view.violations).toEqual(['sent NOOP before the reply to EHLO (RFC 2920 §3.1)', 'sent VRFY before the reply to NOOP (RFC 2920 §3.1)']);
  });

  it('keeps each distinct violation once, the first MAX_VIOLATIONS of them, however long the session', () => {
    const tracker = new SmtpTracker();
    const view = new SmtpPhase();
    const feed = (dir: Direction, text: string): void => {
      for (const m of tracker.feed(dir, Buffer.from(text, 'latin1'))) {
        if (dir === 'up') view.sent(m);
        else view.shown(m);
      }
    };
    feed('down', '220 x\r\n');
    // A client that ends every line with a bare LF, over a long session.
    for (let i = 0; i < 1000; i++) {
      feed('up', 'NOOP\n');
      feed('down', '250 ok\r\n');
    }
    expect(view.violations).toEqual(['ended NOOP with a bare LF (RFC 5321 §2.3.8)']);
    // A hostile one: a new verb each time (XA, XB, …).
    const verb = (i: number): string => `X${String.fromCharCode(65 + (i % 26))}${'Z'.repeat(Math.floor(i / 26))}`;
    for (let i = 0; i < 100; i++) {
      feed('up', `${verb(i)}\n`);
      feed('down', '500 no\r\n');
    }
    expect(view.violations).toHaveLength(MAX_VIOLATIONS);
    expect(view.violations[0]).toBe('ended NOOP with a bare LF (RFC 5321 §2.3.8)');
    expect(view.violations.at(-1)).toBe(`ended ${verb(MAX_VIOLATIONS - 2)} with a bare LF (RFC 5321 §2.3.8)`);
  });

  it('answers an unexpected reply as unsolicited', () => {
    const { marks } = run(
      [
        ['down', '220 x\r\n'],
        ['down', '421 timeout\r\n'],
      ],
      0,
    );
    expect(marks.at(-1)).toMatchObject({ kind: 'reply', to: 'unsolicited', code: 421 });
  });
});
