/**
 * What each fault does to a connection, recorded on a fake Link / Listener: no sockets, no time.
 */
import type { Transform } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { applyFault, isSessionFault, type SessionFault } from '../../src/faults/apply.js';
import { admit, LIMIT_REPLY, type Admission } from '../../src/faults/limit.js';
import type { Link, Listener } from '../../src/faults/link.js';
import { applyRefuse } from '../../src/faults/refuse.js';
import { replyLine } from '../../src/faults/reply.js';
import type { Fault, LimitFault, RefuseFault, Toward } from '../../src/faults/types.js';

/** One recorded call: the method name and its arguments (a Transform recorded as `'transform'`). */
type Call = readonly unknown[];

/** A Link that records every call in order; `shape` also keeps the maker and the Transform it built first. */
function recordingLink(): { link: Link; calls: Call[]; shapers: Transform[]; makers: (() => Transform)[] } {
  const calls: Call[] = [];
  const shapers: Transform[] = [];
  const makers: (() => Transform)[] = [];
  const link: Link = {
    inject: (toward: Toward, data: Buffer) => void calls.push(['inject', toward, data.toString('latin1')]),
    reset: (toward: Toward) => void calls.push(['reset', toward]),
    close: (toward: Toward, then: 'discard' | 'abort', notify?: boolean) =>
      void calls.push(notify === undefined ? ['close', toward, then] : ['close', toward, then, notify]),
    hold: (ms?: number) => void calls.push(ms === undefined ? ['hold'] : ['hold', ms]),
    swallow: () => void calls.push(['swallow']),
    shape: (toward: Toward, make: () => Transform) => {
      makers.push(make);
      shapers.push(make());
      calls.push(['shape', toward]);
    },
  };
  return { link, calls, shapers, makers };
}

/** A Listener that records every call in order. */
function recordingListener(): { listener: Listener; calls: Call[] } {
  const calls: Call[] = [];
  const listener: Listener = {
    dropAll: (how) => void calls.push(['dropAll', how]),
    refuseFor: (ms, mode) => void calls.push(['refuseFor', ms, mode]),
  };
  return { listener, calls };
}

const GREETING = { after: 'greeting' } as const;
const BEFORE_RCPT = { before: 'RCPT' } as const;
const R421 = '421 Service not available, closing transmission channel\r\n';
const R552 = '552 Requested mail action aborted: exceeded storage allocation\r\n';

type EffectCase = { readonly name: string; readonly fault: SessionFault; readonly calls: readonly Call[] };

const EFFECTS: readonly EffectCase[] = [
  {
    name: 'reset swallows the caught command, then resets the client by default',
    fault: { kind: 'reset', at: BEFORE_RCPT },
    calls: [['swallow'], ['reset', 'client']],
  },
  { name: 'reset toward the server resets the server', fault: { kind: 'reset', at: GREETING, toward: 'server' }, calls: [['swallow'], ['reset', 'server']] },
  {
    name: 'close swallows, then closes the client and keeps discarding by default',
    fault: { kind: 'close', at: GREETING },
    calls: [['swallow'], ['close', 'client', 'discard']],
  },
  {
    name: 'close with then abort closes and stops reading',
    fault: { kind: 'close', at: BEFORE_RCPT, then: 'abort' },
    calls: [['swallow'], ['close', 'client', 'abort']],
  },
  {
    name: 'truncate: a FIN with no close_notify (RFC 8446 §6.1)',
    fault: { kind: 'truncate', at: GREETING },
    calls: [['swallow'], ['close', 'client', 'discard', false]],
  },
  {
    name: 'close toward the server closes the server side',
    fault: { kind: 'close', at: GREETING, toward: 'server', then: 'discard' },
    calls: [['swallow'], ['close', 'server', 'discard']],
  },
  { name: 'stall holds for good, with no duration and without swallowing', fault: { kind: 'stall', at: { before: 'reply', to: 'RCPT' } }, calls: [['hold']] },
  {
    name: 'stall at a before trigger still only holds (the command is never relayed because nothing moves)',
    fault: { kind: 'stall', at: BEFORE_RCPT },
    calls: [['hold']],
  },
  {
    name: 'delay holds for its ms and does not swallow, so a caught command is relayed afterwards',
    fault: { kind: 'delay', at: BEFORE_RCPT, ms: 1500 },
    calls: [['hold', 1500]],
  },
  { name: 'delay of zero ms still holds with that duration, not for good', fault: { kind: 'delay', at: 'connect', ms: 0 }, calls: [['hold', 0]] },
  {
    name: 'reply swallows, injects the default text to the client, then closes by default',
    fault: { kind: 'reply', at: BEFORE_RCPT, code: 421 },
    calls: [['swallow'], ['inject', 'client', R421], ['close', 'client', 'discard']],
  },
  {
    name: 'reply with then close closes with discard',
    fault: { kind: 'reply', at: { after: 'DATA', bytes: 10 }, code: 552, then: 'close' },
    calls: [['swallow'], ['inject', 'client', R552], ['close', 'client', 'discard']],
  },
  {
    name: 'reply with then reset injects and then resets',
    fault: { kind: 'reply', at: BEFORE_RCPT, code: 552, then: 'reset' },
    calls: [['swallow'], ['inject', 'client', R552], ['reset', 'client']],
  },
  {
    name: 'reply with then continue injects and does nothing else',
    fault: { kind: 'reply', at: BEFORE_RCPT, code: 550, text: 'No such user', then: 'continue' },
    calls: [['swallow'], ['inject', 'client', '550 No such user\r\n']],
  },
  {
    name: 'reply toward the server injects into and closes the server side',
    fault: { kind: 'reply', at: GREETING, code: 421, toward: 'server' },
    calls: [['swallow'], ['inject', 'server', R421], ['close', 'server', 'discard']],
  },
  {
    name: 'reply toward the server with then reset resets the server',
    fault: { kind: 'reply', at: GREETING, code: 421, toward: 'server', then: 'reset' },
    calls: [['swallow'], ['inject', 'server', R421], ['reset', 'server']],
  },
  {
    name: 'throttle shapes what flows to the client by default',
    fault: { kind: 'throttle', at: 'connect', bytesPerSecond: 1000 },
    calls: [['shape', 'client']],
  },
  {
    name: 'throttle toward the server shapes the server side',
    fault: { kind: 'throttle', at: 'connect', bytesPerSecond: 1000, toward: 'server' },
    calls: [['shape', 'server']],
  },
  { name: 'slice shapes what flows to the client by default', fault: { kind: 'slice', at: 'connect', size: 1 }, calls: [['shape', 'client']] },
  {
    name: 'slice toward the server shapes the server side',
    fault: { kind: 'slice', at: GREETING, size: 4, gapMs: 5, toward: 'server' },
    calls: [['shape', 'server']],
  },
  { name: 'coalesce shapes what flows to the client by default', fault: { kind: 'coalesce', at: 'connect', ms: 50 }, calls: [['shape', 'client']] },
  {
    name: 'coalesce toward the server shapes the server side',
    fault: { kind: 'coalesce', at: 'connect', ms: 50, toward: 'server' },
    calls: [['shape', 'server']],
  },
];

describe('applyFault', () => {
  it.each(EFFECTS)('$name', ({ fault, calls }) => {
    const rec = recordingLink();
    applyFault(fault, rec.link);
    expect(rec.calls).toEqual(calls);
  });

  it('swallows before it resets, closes or replies, so a command caught at a before trigger is not relayed', () => {
    const faults: SessionFault[] = [
      { kind: 'reset', at: BEFORE_RCPT },
      { kind: 'close', at: BEFORE_RCPT },
      { kind: 'reply', at: BEFORE_RCPT, code: 550 },
      { kind: 'reply', at: BEFORE_RCPT, code: 550, then: 'continue' },
    ];
    for (const fault of faults) {
      const rec = recordingLink();
      applyFault(fault, rec.link);
      expect(rec.calls[0], fault.kind).toEqual(['swallow']);
      expect(
        rec.calls.filter((c) => c[0] === 'swallow'),
        fault.kind,
      ).toHaveLength(1);
    }
  });

  it.each([
    { kind: 'throttle', fault: { kind: 'throttle', at: 'connect', bytesPerSecond: 1000 } },
    { kind: 'slice', fault: { kind: 'slice', at: 'connect', size: 16 } },
    { kind: 'coalesce', fault: { kind: 'coalesce', at: 'connect', ms: 20 } },
  ] as const)('gives $kind a fresh live Transform for each connection', ({ fault }) => {
    const a = recordingLink();
    const b = recordingLink();
    applyFault(fault, a.link);
    applyFault(fault, b.link);
    expect(a.shapers).toHaveLength(1);
    expect(b.shapers).toHaveLength(1);
    const [first] = a.shapers;
    const [second] = b.shapers;
    expect(first).not.toBe(second);
    expect(first?.writable).toBe(true);
    expect(first?.readable).toBe(true);
    first?.destroy();
    second?.destroy();
  });

  it('builds corrupters for one fault that flip one byte between them (the conversation before and inside TLS)', async () => {
    const r = recordingLink();
    applyFault({ kind: 'corrupt', at: { after: 'DATA', bytes: 0 } }, r.link);
    const before = r.shapers[0]!;
    const inside = r.makers[0]!();
    const through = async (shaper: Transform, text: string): Promise<string> => {
      const out = new Promise<string>((resolve) => shaper.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))));
      shaper.write(Buffer.from(text, 'latin1'));
      return out;
    };
    expect(await through(before, 'a')).toBe(String.fromCharCode('a'.charCodeAt(0) ^ 0xff));
    expect(await through(inside, 'b')).toBe('b');
    expect(await through(before, 'c')).toBe('c');
    for (const shaper of [before, inside]) shaper.destroy();
  });
});

describe('isSessionFault', () => {
  it.each<readonly [Fault, boolean]>([
    [{ kind: 'reset', at: GREETING }, true],
    [{ kind: 'close', at: GREETING }, true],
    [{ kind: 'stall', at: GREETING }, true],
    [{ kind: 'delay', at: 'connect', ms: 1 }, true],
    [{ kind: 'throttle', at: 'connect', bytesPerSecond: 1 }, true],
    [{ kind: 'slice', at: 'connect', size: 1 }, true],
    [{ kind: 'coalesce', at: 'connect', ms: 1 }, true],
    [{ kind: 'reply', at: GREETING, code: 421 }, true],
    [{ kind: 'refuse', at: GREETING, ms: 100 }, false],
    [{ kind: 'limit', at: 'connect', max: 1 }, false],
  ])('tells whether %j acts on one connection (%s)', (fault, expected) => {
    expect(isSessionFault(fault)).toBe(expected);
  });
});

describe('applyRefuse', () => {
  it.each<readonly [string, RefuseFault, readonly Call[]]>([
    [
      'closes every session and refuses by default',
      { kind: 'refuse', at: GREETING, ms: 500 },
      [
        ['dropAll', 'close'],
        ['refuseFor', 500, 'refuse'],
      ],
    ],
    [
      'resets every session when drop is reset',
      { kind: 'refuse', at: GREETING, ms: 500, drop: 'reset' },
      [
        ['dropAll', 'reset'],
        ['refuseFor', 500, 'refuse'],
      ],
    ],
    [
      'accepts and resets new connections when mode is reset',
      { kind: 'refuse', at: 'connect', ms: 2000, mode: 'reset' },
      [
        ['dropAll', 'close'],
        ['refuseFor', 2000, 'reset'],
      ],
    ],
    [
      'drops before it refuses, with both options given',
      { kind: 'refuse', at: 'connect', ms: 1, mode: 'refuse', drop: 'reset' },
      [
        ['dropAll', 'reset'],
        ['refuseFor', 1, 'refuse'],
      ],
    ],
  ])('%s', (_name, fault, calls) => {
    const rec = recordingListener();
    applyRefuse(fault, rec.listener);
    expect(rec.calls).toEqual(calls);
  });
});

describe('replyLine', () => {
  it.each<readonly [number, string | undefined, string]>([
    [421, undefined, R421],
    [450, undefined, '450 Requested mail action not taken: mailbox unavailable\r\n'],
    [451, undefined, '451 Requested action aborted: local error in processing\r\n'],
    [452, undefined, '452 Requested action not taken: insufficient system storage\r\n'],
    [454, undefined, '454 TLS not available due to temporary reason\r\n'],
    [550, undefined, '550 Requested action not taken: mailbox unavailable\r\n'],
    [552, undefined, R552],
    [554, undefined, '554 Transaction failed\r\n'],
    [599, undefined, '599 wireprobe fault\r\n'],
    [250, undefined, '250 wireprobe fault\r\n'],
    [552, '5.3.4 Message too big', '552 5.3.4 Message too big\r\n'],
    [421, 'Bye', '421 Bye\r\n'],
    [421, '', '421 \r\n'],
  ])('formats code %i with text %j as %j', (code, text, line) => {
    const fault = text === undefined ? { code } : { code, text };
    const out = replyLine(fault);
    expect(Buffer.isBuffer(out)).toBe(true);
    expect(out.toString('latin1')).toBe(line);
  });

  it('keeps latin1 text byte for byte', () => {
    expect([...replyLine({ code: 550, text: 'Empf\u00e4nger' })]).toEqual([...Buffer.from('550 Empf\u00e4nger\r\n', 'latin1')]);
  });
});

describe('admit', () => {
  const limit = (max: number, over?: LimitFault['over']): LimitFault =>
    over === undefined ? { kind: 'limit', at: 'connect', max } : { kind: 'limit', at: 'connect', max, over };

  it.each<readonly [number, LimitFault['over'], number, Admission]>([
    [2, undefined, 0, 'admit'],
    [2, undefined, 1, 'admit'],
    [2, undefined, 2, 'reply'],
    [2, undefined, 3, 'reply'],
    [2, 'reply', 1, 'admit'],
    [2, 'reply', 2, 'reply'],
    [2, 'reply', 5, 'reply'],
    [2, 'reset', 1, 'admit'],
    [2, 'reset', 2, 'reset'],
    [2, 'reset', 3, 'reset'],
    [2, 'queue', 1, 'admit'],
    [2, 'queue', 2, 'queue'],
    [2, 'queue', 9, 'queue'],
    [1, undefined, 0, 'admit'],
    [1, 'reset', 1, 'reset'],
    [0, undefined, 0, 'reply'],
    [0, 'queue', 0, 'queue'],
  ])('with max %i and over %s, %i open sessions give %s', (max, over, open, expected) => {
    expect(admit(limit(max, over), open)).toBe(expected);
  });

  it('answers a connection over the limit with a 421 line', () => {
    expect(LIMIT_REPLY.toString('latin1')).toBe('421 Too many concurrent sessions, try again later\r\n');
  });
});
