import { describe, expect, it } from 'vitest';
import { format227, format229, formatEprt, formatPort, parse227, parse229, parseEprt, parsePort } from '../../src/protocol/ftp-address.js';
import { FtpPhase, FtpTracker, ftpCommandVerb, parseFtpReplyLine } from '../../src/protocol/ftp.js';
import type { Direction, FtpMark } from '../../src/protocol/ftp.js';

/** One side's turn: control bytes in a direction, or a data-channel event (`open`, `close`, an octet count). */
type Turn = readonly [Direction | 'data', string];

/** A mark with its offset made absolute within its direction's stream. */
type AbsMark = Record<string, unknown>;

/** Feeds each turn cut into pieces of `size` bytes (0: whole); returns absolute marks and the phase after each turn. */
function run(turns: readonly Turn[], size: number): { marks: AbsMark[]; phases: string[]; view: FtpPhase } {
  const tracker = new FtpTracker();
  const view = new FtpPhase();
  const offset: Record<Direction, number> = { up: 0, down: 0 };
  const marks: AbsMark[] = [];
  const phases: string[] = [];
  for (const [dir, text] of turns) {
    if (dir === 'data') {
      if (text === 'open') view.dataOpened();
      else if (text === 'close') view.dataClosed();
      else view.dataBytes(Number(text));
      phases.push(view.phase);
      continue;
    }
    const bytes = Buffer.from(text, 'latin1');
    const step = size || bytes.length;
    for (let i = 0; i < bytes.length; i += step) {
      const piece = bytes.subarray(i, i + step);
      for (const m of tracker.feed(dir, piece)) {
        marks.push({ dir, ...m, end: offset[dir] + m.end });
        if (dir === 'up') view.sent(m);
        else view.shown(m);
      }
      offset[dir] += piece.length;
    }
    phases.push(view.phase);
  }
  return { marks, phases, view };
}

/** `command:VERB` or `reply:TO:CODE` (with `*` for a preliminary reply), for compact expectations. */
function brief(m: AbsMark): string {
  return m.kind === 'command' ? `command:${String(m.verb)}` : `reply:${String(m.to)}:${String(m.code)}${m.preliminary ? '*' : ''}`;
}

const FEAT_REPLY =
  '211-Extensions supported:\r\n MLST size*;modify*;\r\n 211 indented, not the end\r\n123-another code is text\r\n2110 four digits\r\n211-more\r\n211 END\r\n';

const session: Turn[] = [
  ['down', '220 ftp.example.test ready\r\n'],
  ['up', 'USER joe\r\n'],
  ['down', '331 password please\r\n'],
  ['up', 'PASS s3cret\r\n'],
  ['down', '230 logged in\r\n'],
  ['up', 'FEAT\r\n'],
  ['down', FEAT_REPLY],
  ['up', 'TYPE I\r\n'],
  ['down', '200 binary\r\n'],
  ['up', 'EPSV\r\n'],
  ['down', '229 Entering Extended Passive Mode (|||40001|)\r\n'],
  ['data', 'open'],
  ['up', 'STOR big.bin\r\n'],
  ['down', '150 ok to send data\r\n'],
  ['data', '65536'],
  ['data', '1000'],
  ['data', 'close'],
  ['down', '226 transfer complete\r\n'],
  ['up', 'QUIT\r\n'],
  ['down', '221 bye\r\n'],
];

describe('parseFtpReplyLine and ftpCommandVerb', () => {
  it.each([
    ['220 ready', { code: 220, final: true, text: 'ready' }],
    ['211-Features:', { code: 211, final: false, text: 'Features:' }],
    ['226', { code: 226, final: true, text: '' }],
    ['2110 x', null],
    [' 211 x', null],
    ['hello', null],
  ])('parses the reply line %j', (line, want) => {
    expect(parseFtpReplyLine(line)).toEqual(want);
  });

  it.each([
    ['STOR a.bin', 'STOR'],
    ['epsv', 'EPSV'],
    ['  quit', 'QUIT'],
    ['\xff\xf4\xff\xf2ABOR', 'ABOR'],
    ['\xff\xf4\xf2ABOR', 'ABOR'],
    ['\xff\xf4\xffABOR', 'ABOR'],
    ['\xff\xfb\x01\xff\xf1noop', 'NOOP'],
    ['\xff\xfa\x18\x01\xff\xf0TYPE I', 'TYPE'],
    ['\xff\xffNOOP', ''],
    ['\xf2\xf2QUIT', 'QUIT'],
    ['', ''],
  ])('takes the verb of %j', (line, verb) => {
    expect(ftpCommandVerb(line)).toBe(verb);
  });
});

describe('FtpTracker and FtpPhase', () => {
  it('marks every command and reply of an upload session and follows its phases', () => {
    const { marks, phases, view } = run(session, 0);
    expect(marks.map(brief)).toEqual([
      'reply:greeting:220',
      'command:USER',
      'reply:USER:331',
      'command:PASS',
      'reply:PASS:230',
      'command:FEAT',
      'reply:FEAT:211',
      'command:TYPE',
      'reply:TYPE:200',
      'command:EPSV',
      'reply:EPSV:229',
      'command:STOR',
      'reply:STOR:150*',
      'reply:STOR:226',
      'command:QUIT',
      'reply:QUIT:221',
    ]);
    expect(phases).toEqual([
      'greeting',
      'user',
      'user',
      'pass',
      'pass',
      'feat',
      'feat',
      'type',
      'type',
      'epsv',
      'epsv',
      'epsv',
      'stor',
      'transfer',
      'transfer',
      'transfer',
      'transfer',
      'stor',
      'stor',
      'stor', // after QUIT: where it was before
    ]);
    expect([view.lastCode, view.bytes, view.dataOpen, view.transfers, view.completed]).toEqual([226, 66536, false, 1, 1]);
  });

  it.each([1, 2, 3, 5, 7, 13])('gives the same marks at the same offsets when cut into %i-byte pieces', (size) => {
    const whole = run(session, 0);
    const cut = run(session, size);
    expect(cut.marks).toEqual(whole.marks);
    expect(cut.phases).toEqual(whole.phases);
  });

  it('keeps a multi-line FEAT reply whole, with indented lines and a line that starts with another code', () => {
    const { marks } = run(
      [
        ['down', '220 x\r\n'],
        ['up', 'FEAT\r\n'],
        ['down', FEAT_REPLY],
      ],
      1,
    );
    expect(marks.at(-1)).toEqual({
      dir: 'down',
      kind: 'reply',
      end: 7 + FEAT_REPLY.length,
      to: 'FEAT',
      code: 211,
      preliminary: false,
      lines: ['Extensions supported:', ' MLST size*;modify*;', ' 211 indented, not the end', '123-another code is text', '2110 four digits', 'more', 'END'],
    });
  });

  it('matches a preliminary 150 and the 226 after it both to STOR', () => {
    const { marks } = run(
      [
        ['down', '220 x\r\n'],
        ['up', 'STOR a\r\n'],
        ['down', '150 go\r\n226 done\r\n'],
      ],
      0,
    );
    expect(marks.filter((m) => m.kind === 'reply').map((m) => [m.to, m.code, m.preliminary, m.end])).toEqual([
      ['greeting', 220, false, 7],
      ['STOR', 150, true, 15],
      ['STOR', 226, false, 25],
    ]);
  });

  it('takes a 120 before the 220 as a preliminary greeting', () => {
    const { marks, phases } = run(
      [
        ['down', '120 ready in 2 minutes\r\n'],
        ['down', '220 ready\r\n'],
        ['up', 'USER a\r\n'],
        ['down', '331 ok\r\n'],
      ],
      0,
    );
    expect(marks.map(brief)).toEqual(['reply:greeting:120*', 'reply:greeting:220', 'command:USER', 'reply:USER:331']);
    expect(phases).toEqual(['connect', 'greeting', 'user', 'user']);
  });

  it('marks PASS and ACCT secret, and nothing else', () => {
    const { marks } = run(
      [
        ['down', '220 x\r\n'],
        ['up', 'USER joe\r\nPASS s3cret\r\nACCT dept\r\nPWD\r\n'],
      ],
      0,
    );
    expect(marks.filter((m) => m.kind === 'command').map((m) => [m.verb, m.secret])).toEqual([
      ['USER', false],
      ['PASS', true],
      ['ACCT', true],
      ['PWD', false],
    ]);
  });

  it('matches the replies to pipelined commands in order, the client waiting for the oldest', () => {
    const { marks, phases } = run(
      [
        ['down', '220 x\r\n'],
        ['up', 'TYPE I\r\nPASV\r\nSTOR a\r\n'],
        ['down', '200 ok\r\n'],
        ['down', '227 Entering Passive Mode (127,0,0,1,156,65)\r\n'],
        ['down', '150 go\r\n'],
        ['down', '226 done\r\n'],
      ],
      0,
    );
    expect(marks.filter((m) => m.kind === 'reply').map(brief)).toEqual([
      'reply:greeting:220',
      'reply:TYPE:200',
      'reply:PASV:227',
      'reply:STOR:150*',
      'reply:STOR:226',
    ]);
    expect(phases).toEqual(['greeting', 'type', 'pasv', 'stor', 'transfer', 'stor']);
  });

  it('answers the transfer with 426 and ABOR with 226 when the client aborts (RFC 959 §4.1.3)', () => {
    const { marks, phases, view } = run(
      [
        ['down', '220 x\r\n'],
        ['up', 'RETR a\r\n'],
        ['down', '150 go\r\n'],
        ['up', '\xff\xf4\xff\xf2ABOR\r\n'],
        ['down', '426 aborted\r\n226 abort ok\r\n'],
      ],
      0,
    );
    expect(marks.filter((m) => m.kind === 'reply').map(brief)).toEqual(['reply:greeting:220', 'reply:RETR:150*', 'reply:RETR:426', 'reply:ABOR:226']);
    expect(phases).toEqual(['greeting', 'retr', 'transfer', 'transfer', 'abor']);
    expect(view.completed).toBe(0);
  });

  it('frames replies that end with a bare LF and reports a command that does', () => {
    const { marks, view } = run(
      [
        ['down', '220-a\n220 b\n'],
        ['up', 'USER x\n'],
        ['down', '331 ok\n'],
      ],
      1,
    );
    expect(marks.filter((m) => m.kind === 'reply').map((m) => [m.to, m.code, m.lines, m.end])).toEqual([
      ['greeting', 220, ['a', 'b'], 12],
      ['USER', 331, ['ok'], 19],
    ]);
    expect(view.violations).toEqual(['ended USER with a bare LF (RFC 959 §5.3.1: <CRLF>)']);
  });

  it('answers a 421 that no command asked for as unsolicited', () => {
    const { marks, phases, view } = run(
      [
        ['down', '220 x\r\n'],
        ['down', '421 idle timeout\r\n'],
      ],
      0,
    );
    expect(marks.at(-1)).toMatchObject({ kind: 'reply', to: 'unsolicited', code: 421, preliminary: false });
    expect(phases).toEqual(['greeting', 'greeting']);
    expect(view.lastCode).toBe(421);
  });

  it('says the client went on past a failure reply when it sends a command other than QUIT after it, until the next reply', () => {
    // bftpd answers lftp's FEAT before login with 503; lftp ignores it and logs in.
    const past = run(
      [
        ['down', '220 x\r\n'],
        ['up', 'FEAT\r\n'],
        ['down', '503 USER expected.\r\n'],
        ['up', 'USER joe\r\n'],
      ],
      0,
    );
    expect([past.view.lastCode, past.view.movedOn, past.view.phase]).toEqual([503, true, 'user']);
    const answered = run(
      [
        ['down', '220 x\r\n'],
        ['up', 'FEAT\r\n'],
        ['down', '503 USER expected.\r\n'],
        ['up', 'USER joe\r\n'],
        ['down', '331 password please\r\n'],
      ],
      0,
    );
    expect(answered.view.movedOn).toBe(false);
    // Quitting after a failure, the client stopped on it; so does one a 421 closed (lftp's FEAT after a 421 greeting).
    const quit = run(
      [
        ['down', '220 x\r\n'],
        ['up', 'USER joe\r\n'],
        ['down', '331 password please\r\n'],
        ['up', 'PASS x\r\n'],
        ['down', '530 login incorrect\r\n'],
        ['up', 'QUIT\r\n'],
      ],
      0,
    );
    expect([quit.view.lastCode, quit.view.movedOn]).toEqual([530, false]);
    const closing = run(
      [
        ['down', '421 too many users\r\n'],
        ['up', 'FEAT\r\n'],
      ],
      0,
    );
    expect([closing.view.lastCode, closing.view.movedOn]).toEqual([421, false]);
  });

  it('stops reading after AUTH TLS is accepted: the rest is TLS', () => {
    const { phases } = run(
      [
        ['down', '220 x\r\n'],
        ['up', 'AUTH TLS\r\n'],
        ['down', '234 go ahead\r\n'],
      ],
      0,
    );
    expect(phases.at(-1)).toBe('tls');
    const tracker = new FtpTracker();
    tracker.feed('down', Buffer.from('220 x\r\n'));
    tracker.feed('up', Buffer.from('AUTH TLS\r\n'));
    expect(tracker.feed('down', Buffer.from('234 go ahead\r\n'))).toHaveLength(1);
    expect(tracker.feed('up', Buffer.from('\x16\x03\x01 binary\r\n'))).toEqual([]);
  });

  it('counts the octets of a multi-line reply still in progress', () => {
    const tracker = new FtpTracker();
    tracker.feed('down', Buffer.from('211-a\r\n b'));
    expect(tracker.partialReplyBytes).toBe(9);
    tracker.feed('down', Buffer.from('\r\n211 end\r\n'));
    expect(tracker.partialReplyBytes).toBe(0);
    tracker.feed('up', Buffer.from('STO'));
    expect(tracker.partialCommandBytes).toBe(3);
  });

  it('forgets the step the proxy answered itself, even with pipelined commands after it', () => {
    const tracker = new FtpTracker();
    tracker.feed('down', Buffer.from('220 x\r\n'));
    tracker.feed('up', Buffer.from('EPSV\r\nPASV\r\nSTOR a\r\n'));
    tracker.forget('EPSV');
    const replies = tracker.feed('down', Buffer.from('227 (127,0,0,1,4,1)\r\n150 go\r\n'));
    expect(replies.map((m: FtpMark) => (m.kind === 'reply' ? m.to : m.kind))).toEqual(['PASV', 'STOR']);
  });

  it('counts data octets per data connection', () => {
    const view = new FtpPhase();
    view.dataOpened();
    view.dataBytes(10);
    expect([view.dataOpen, view.bytes]).toEqual([true, 10]);
    view.dataClosed();
    view.dataOpened();
    view.dataBytes(5);
    expect([view.dataOpen, view.bytes]).toEqual([true, 5]);
    expect(() => view.dataBytes(-1)).toThrow(RangeError);
  });

  it('takes a reply the proxy replaced as the answer to its step', () => {
    const tracker = new FtpTracker();
    const view = new FtpPhase();
    for (const m of tracker.feed('down', Buffer.from('220 x\r\n'))) view.shown(m);
    for (const m of tracker.feed('up', Buffer.from('EPSV\r\n'))) view.sent(m);
    const [reply] = tracker.feed('down', Buffer.from('229 (|||40001|)\r\n'));
    view.replaced(reply!);
    view.told(500);
    expect([view.phase, view.lastCode]).toEqual(['epsv', 500]);
  });
});

describe('PASV, EPSV, PORT and EPRT addresses', () => {
  it.each([
    ['227 Entering Passive Mode (127,0,0,1,156,65)', { host: '127.0.0.1', port: 156 * 256 + 65 }],
    ['Entering Passive Mode (127,0,0,9,0,21).', { host: '127.0.0.9', port: 21 }],
    ['227 Entering Passive Mode 127,0,0,1,4,1', { host: '127.0.0.1', port: 4 * 256 + 1 }],
    ['227 =127,0,0,1,255,255 ok', { host: '127.0.0.1', port: 255 * 256 + 255 }],
    ['227 Entering Passive Mode (127,0,0,256,4,1)', null],
    ['227 Entering Passive Mode (127,0,0,1,4,256)', null],
    ['227 Entering Passive Mode (127,0,0,1,0,0)', null],
    ['227 Entering Passive Mode (127,0,0,1,4)', null],
    ['500 (127,0,0,1,4,1)', null],
    ['227 Entering Passive Mode', null],
  ])('parses the 227 reply %j', (text, want) => {
    expect(parse227(text)).toEqual(want);
  });

  it.each([
    ['229 Entering Extended Passive Mode (|||40001|)', { port: 156 * 256 + 65 }],
    ['229 Entering Extended Passive Mode (!!!6446!)', { port: 25 * 256 + 46 }],
    ['(###21#)', { port: 21 }],
    ['229 |||6446|', { port: 25 * 256 + 46 }],
    ['229 Entering Extended Passive Mode (|!|6446|)', null],
    ['229 Entering Extended Passive Mode (|||70000|)', null],
    ['229 Entering Extended Passive Mode (|||0|)', null],
    ['229 Entering Extended Passive Mode (||6446|)', null],
    ['500 (|||6446|)', null],
  ])('parses the 229 reply %j', (text, want) => {
    expect(parse229(text)).toEqual(want);
  });

  it.each([
    ['127,0,0,1,156,65', { host: '127.0.0.1', port: 156 * 256 + 65 }],
    [' 127,0,0,9,4,1 ', { host: '127.0.0.9', port: 4 * 256 + 1 }],
    ['127,0,0,1,156', null],
    ['127,0,0,1,156,65,1', null],
    ['127,0,0,1,300,1', null],
    ['127.0.0.1,4,1', null],
    ['(127,0,0,1,4,1)', null],
  ])('parses the PORT argument %j', (arg, want) => {
    expect(parsePort(arg)).toEqual(want);
  });

  it.each([
    ['|1|127.0.0.9|6275|', { family: 1, host: '127.0.0.9', port: 24 * 256 + 131 }],
    ['|2|::1|6275|', { family: 2, host: '::1', port: 24 * 256 + 131 }],
    ['!2!2001:db8::7!21!', { family: 2, host: '2001:db8::7', port: 21 }],
    ['|1|::1|6275|', null],
    ['|2|127.0.0.1|6275|', null],
    ['|3|127.0.0.1|6275|', null],
    ['|1|127.0.0.1|70000|', null],
    ['|1|127.0.0.1|6275', null],
    ['|1|127.0.0.1!6275|', null],
    ['|1|127.0.0.999|6275|', null],
  ])('parses the EPRT argument %j', (arg, want) => {
    expect(parseEprt(arg)).toEqual(want);
  });

  it('formats what it parses', () => {
    expect(format227('127.0.0.1', 40001)).toBe('227 Entering Passive Mode (127,0,0,1,156,65)');
    expect(parse227(format227('127.0.0.9', 1025))).toEqual({ host: '127.0.0.9', port: 4 * 256 + 1 });
    expect(format229(40001)).toBe('229 Entering Extended Passive Mode (|||40001|)');
    expect(parse229(format229(21))).toEqual({ port: 21 });
    expect(formatPort('127.0.0.1', 1025)).toBe('127,0,0,1,4,1');
    expect(formatEprt('127.0.0.1', 6275)).toBe('|1|127.0.0.1|6275|');
    expect(parseEprt(formatEprt('::1', 6275))).toEqual({ family: 2, host: '::1', port: 24 * 256 + 131 });
  });

  it.each([
    ['format227 with an IPv6 address', () => format227('::1', 21)],
    ['format227 with port 0', () => format227('127.0.0.1', 0)],
    ['format229 with port 65536', () => format229(65536)],
    ['formatPort with a host name', () => formatPort('localhost', 21)],
    ['formatEprt with a host name', () => formatEprt('localhost', 21)],
  ])('throws on bad input to %s', (_name, call) => {
    expect(call).toThrow(RangeError);
  });
});
