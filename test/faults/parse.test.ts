import { describe, expect, it } from 'vitest';
import { formatFault } from '../../src/faults/format.js';
import { FaultSyntaxError, parseFault } from '../../src/faults/parse.js';
import { formatDuration, formatSize, parseDuration, parseSize, UnitSyntaxError } from '../../src/util/units.js';
import type { Fault } from '../../src/faults/types.js';

/** `text` parses to `fault`; `canonical` is what formatFault writes back (default: `text` itself). */
type Valid = { readonly text: string; readonly fault: Fault; readonly canonical?: string };

const VALID: readonly Valid[] = [
  { text: 'reset after greeting', fault: { kind: 'reset', at: { after: 'greeting' } } },
  { text: 'reset on connect', fault: { kind: 'reset', at: 'connect' } },
  { text: 'reset after DATA +64KiB', fault: { kind: 'reset', at: { after: 'DATA', bytes: 65536 } } },
  { text: 'reset after DATA', fault: { kind: 'reset', at: { after: 'DATA' } } },
  { text: 'reset before dot', fault: { kind: 'reset', at: { before: 'dot' } } },
  { text: 'RESET After data +1000', fault: { kind: 'reset', at: { after: 'DATA', bytes: 1000 } }, canonical: 'reset after DATA +1000' },
  { text: 'reset after dot toward server', fault: { kind: 'reset', at: { after: 'dot' }, toward: 'server' } },
  { text: 'close after greeting', fault: { kind: 'close', at: { after: 'greeting' } } },
  { text: 'close abort after MAIL', fault: { kind: 'close', then: 'abort', at: { after: 'MAIL' } } },
  { text: 'close discard before reply to RCPT', fault: { kind: 'close', then: 'discard', at: { before: 'reply', to: 'RCPT' } } },
  { text: 'truncate after MAIL toward client', fault: { kind: 'truncate', at: { after: 'MAIL' }, toward: 'client' } },
  { text: 'stall before reply to RCPT', fault: { kind: 'stall', at: { before: 'reply', to: 'RCPT' } } },
  { text: 'stall before reply to dot', fault: { kind: 'stall', at: { before: 'reply', to: 'dot' } } },
  { text: 'reset before handshake', fault: { kind: 'reset', at: { before: 'handshake' } } },
  { text: 'close before handshake toward client', fault: { kind: 'close', at: { before: 'handshake' }, toward: 'client' } },
  { text: 'stall before ehlo', fault: { kind: 'stall', at: { before: 'EHLO' } }, canonical: 'stall before EHLO' },
  { text: 'stall before STARTTLS connection 3', fault: { kind: 'stall', at: { before: 'STARTTLS' }, connection: 3 } },
  { text: 'delay 500ms', fault: { kind: 'delay', ms: 500, at: 'connect' } },
  { text: 'delay 1.5s after EHLO', fault: { kind: 'delay', ms: 1500, at: { after: 'EHLO' } }, canonical: 'delay 1500ms after EHLO' },
  { text: 'delay 2000 on connect', fault: { kind: 'delay', ms: 2000, at: 'connect' }, canonical: 'delay 2s' },
  { text: 'throttle 2MiB/s', fault: { kind: 'throttle', bytesPerSecond: 2097152, at: 'connect' } },
  {
    text: 'throttle 10kb/S toward server',
    fault: { kind: 'throttle', bytesPerSecond: 10000, at: 'connect', toward: 'server' },
    canonical: 'throttle 10000/s toward server',
  },
  { text: 'throttle 1KiB/s after DATA', fault: { kind: 'throttle', bytesPerSecond: 1024, at: { after: 'DATA' } } },
  { text: 'slice 1', fault: { kind: 'slice', size: 1, at: 'connect' } },
  { text: 'slice 1KiB gap 10ms after greeting', fault: { kind: 'slice', size: 1024, gapMs: 10, at: { after: 'greeting' } } },
  { text: 'lf', fault: { kind: 'lf', at: 'connect' } },
  { text: 'dataport wrong-address', fault: { kind: 'dataport', how: 'wrong-address', at: 'connect' } },
  { text: 'dataport refused', fault: { kind: 'dataport', how: 'refused', at: 'connect' } },
  { text: 'dataport blackholed', fault: { kind: 'dataport', how: 'blackholed', at: 'connect' } },
  { text: 'reset after STOR +1MiB channel data', fault: { kind: 'reset', at: { after: 'STOR', bytes: 1048576 }, channel: 'data' } },
  { text: 'lf after EHLO toward client', fault: { kind: 'lf', at: { after: 'EHLO' }, toward: 'client' } },
  { text: 'coalesce 50ms toward client', fault: { kind: 'coalesce', ms: 50, at: 'connect', toward: 'client' } },
  { text: 'coalesce 1m after AUTH', fault: { kind: 'coalesce', ms: 60_000, at: { after: 'AUTH' } } },
  {
    text: 'reply 552 "5.3.4 Message too big" after DATA +1MiB then close',
    fault: { kind: 'reply', code: 552, text: '5.3.4 Message too big', at: { after: 'DATA', bytes: 1048576 }, then: 'close' },
  },
  { text: 'reply 421 before MAIL', fault: { kind: 'reply', code: 421, at: { before: 'MAIL' } } },
  { text: 'strip STARTTLS before reply to EHLO', fault: { kind: 'strip', keyword: 'STARTTLS', at: { before: 'reply', to: 'EHLO' } } },
  {
    text: 'strip 8bitmime before reply to ehlo connection 2',
    fault: { kind: 'strip', keyword: '8BITMIME', at: { before: 'reply', to: 'EHLO' }, connection: 2 },
    canonical: 'strip 8BITMIME before reply to EHLO connection 2',
  },
  { text: 'reply 250 "" before RSET then continue', fault: { kind: 'reply', code: 250, text: '', at: { before: 'RSET' }, then: 'continue' } },
  {
    text: 'reply 451 "say \\"again\\" \\\\ later" before QUIT then reset',
    fault: { kind: 'reply', code: 451, text: 'say "again" \\ later', at: { before: 'QUIT' }, then: 'reset' },
  },
  {
    text: 'reply 554 then reset toward client after greeting',
    fault: { kind: 'reply', code: 554, then: 'reset', toward: 'client', at: { after: 'greeting' } },
    canonical: 'reply 554 after greeting then reset toward client',
  },
  { text: 'refuse 2s', fault: { kind: 'refuse', ms: 2000, at: 'connect' } },
  { text: 'refuse 500ms reset after RCPT drop reset', fault: { kind: 'refuse', ms: 500, mode: 'reset', at: { after: 'RCPT' }, drop: 'reset' } },
  { text: 'refuse 1m refuse drop close', fault: { kind: 'refuse', ms: 60_000, mode: 'refuse', at: 'connect', drop: 'close' } },
  { text: 'limit 2', fault: { kind: 'limit', max: 2, at: 'connect' } },
  { text: 'limit 10 queue on connect', fault: { kind: 'limit', max: 10, over: 'queue', at: 'connect' }, canonical: 'limit 10 queue' },
  { text: 'limit 1 reset connection 2', fault: { kind: 'limit', max: 1, over: 'reset', at: 'connect', connection: 2 } },
  { text: 'alert before handshake', fault: { kind: 'alert', at: { before: 'handshake' } } },
  { text: 'alert protocol_version before handshake', fault: { kind: 'alert', description: 70, at: { before: 'handshake' } } },
  {
    text: 'ALERT 80 Before Handshake toward client connection 2',
    fault: { kind: 'alert', description: 80, at: { before: 'handshake' }, toward: 'client', connection: 2 },
    canonical: 'alert internal_error before handshake toward client connection 2',
  },
  { text: 'alert 0 before handshake', fault: { kind: 'alert', description: 0, at: { before: 'handshake' } } },
  { text: 'alert 255 before handshake channel control', fault: { kind: 'alert', description: 255, at: { before: 'handshake' }, channel: 'control' } },
  { text: '  reset\tafter   RCPT  ', fault: { kind: 'reset', at: { after: 'RCPT' } }, canonical: 'reset after RCPT' },
];

describe('parseFault', () => {
  it.each(VALID)('parses $text', ({ text, fault }) => {
    expect(parseFault(text)).toStrictEqual(fault);
  });

  it.each(VALID)('formats the fault of $text canonically', ({ text, fault, canonical }) => {
    expect(formatFault(fault)).toBe(canonical ?? text);
  });

  it.each(VALID)('round-trips the fault of $text through formatFault', ({ fault }) => {
    expect(parseFault(formatFault(fault))).toStrictEqual(fault);
  });

  it('covers every kind and every trigger form', () => {
    const kinds = [
      'alert',
      'close',
      'coalesce',
      'dataport',
      'delay',
      'lf',
      'limit',
      'refuse',
      'reply',
      'reset',
      'slice',
      'stall',
      'strip',
      'throttle',
      'truncate',
    ];
    expect([...new Set(VALID.map((v) => v.fault.kind))].sort()).toEqual(kinds);
    const form = (at: Fault['at']): string => (at === 'connect' ? at : Object.keys(at).sort().join('+'));
    const forms = [...new Set(VALID.map((v) => form(v.fault.at)))].sort();
    expect(forms).toEqual(['after', 'after+bytes', 'before', 'before+to', 'connect']);
  });
});

/** Bad input, and the token (as typed) the message must name; `null`: the input ended too soon. */
const INVALID: readonly (readonly [string, string | null])[] = [
  ['reset aftr greeting', 'aftr'],
  ['rst after greeting', 'rst'],
  ['', null],
  ['reset', null],
  ['stall toward server', null],
  ['reset after', null],
  ['reset after greeting extra', 'extra'],
  ['reset after handshake', 'handshake'],
  ['reset before reply to handshake', 'handshake'],
  ['reset after 42', '42'],
  ['reset after MAIL +1KiB', '+1KiB'],
  ['reset after DATA +64KiX', '+64KiX'],
  ['reset on greeting', 'greeting'],
  ['reset before greeting', 'greeting'],
  ['reset after greeting after MAIL', 'after'],
  ['reset after greeting toward nobody', 'nobody'],
  ['reset after greeting toward server toward client', 'toward'],
  ['reset after greeting connection 0', '0'],
  ['reset after greeting connection two', 'two'],
  ['close abrt after greeting', 'abrt'],
  ['delay fast', 'fast'],
  ['delay 1.5ms', '1.5ms'],
  ['delay', null],
  ['throttle 2MiB', '2MiB'],
  ['throttle 0/s', '0/s'],
  ['slice 0', '0'],
  ['slice 1KiB gap', null],
  ['reply 55x after greeting', '55x'],
  ['reply 700 after greeting', '700'],
  ['reply 99 after greeting', '99'],
  ['reply 552 after DATA then explode', 'explode'],
  ['reply 552 "unterminated after DATA', '"unterminated after DATA'],
  ['reply 552 after DATA "stray text"', '"stray text"'],
  ['reset after greeting then close', 'then'],
  ['refuse 2s drop nothing', 'nothing'],
  ['limit 5 after greeting', 'after'],
  ['limit many', 'many'],
  ['limit 5 on connect toward server drop close', 'drop'],
  ['strip', null],
  ['strip STARTTLS', null],
  ['strip before reply to EHLO', 'before'],
  ['strip START_TLS before reply to EHLO', 'START_TLS'],
  ['strip "STARTTLS" before reply to EHLO', '"STARTTLS"'],
  ['strip STARTTLS after EHLO', 'after'],
  ['strip STARTTLS before EHLO', 'before'],
  ['strip STARTTLS on connect', 'on'],
  ['strip STARTTLS before reply to EHLO toward server', null],
  ['alert', null],
  ['alert handshake_failure', null],
  ['alert on connect', 'on'],
  ['alert after STARTTLS', 'after'],
  ['alert before STARTTLS', 'before'],
  ['alert before reply to EHLO', 'before'],
  ['alert handshake_fail before handshake', 'handshake_fail'],
  ['alert 256 before handshake', '256'],
  ['alert "handshake_failure" before handshake', '"handshake_failure"'],
  ['alert before handshake toward server', null],
  ['alert before handshake channel data', null],
];

/** Whole messages, for the cases where the wording is the point. */
const MESSAGES: readonly (readonly [string, string])[] = [
  [
    'reply 554 on connect then continue',
    'bad fault "reply 554 on connect then continue": "then continue" cannot follow a reply on connect: ' +
      'the server\'s own greeting would come behind it; use "then close" or "then reset" at end of input',
  ],
  [
    'reply 554 before reply to DATA then continue',
    'bad fault "reply 554 before reply to DATA then continue": "then continue" cannot replace the reply to DATA: the server answered 354 ' +
      'and would take the client\'s next commands as the message; use "then close" or "then reset" at "before"',
  ],
  [
    'reset aftr greeting',
    'bad fault "reset aftr greeting": expected "on connect", "after <step>", "before <step>", ' +
      '"before reply to <step>", "toward client|server", "connection <n>" or "channel control|data" at "aftr"',
  ],
  [
    'close abrt after greeting',
    'bad fault "close abrt after greeting": expected "discard", "abort", ' +
      '"on connect", "after <step>", "before <step>", "before reply to <step>", "toward client|server", ' +
      '"connection <n>" or "channel control|data" at "abrt"',
  ],
  ['stall', 'bad fault "stall": "stall" needs a trigger: "on connect", "after <step>", "before <step>" or ' + '"before reply to <step>" at end of input'],
  ['limit 5 after greeting', 'bad fault "limit 5 after greeting": "limit" only takes "on connect" at "after"'],
  ['strip STARTTLS after EHLO', 'bad fault "strip STARTTLS after EHLO": "strip" only takes "before reply to <step>" at "after"'],
  ['strip STARTTLS', 'bad fault "strip STARTTLS": "strip" needs a trigger: "before reply to <step>" at end of input'],
  [
    'alert after MAIL',
    'bad fault "alert after MAIL": "alert" only takes "before handshake": inside TLS records are encrypted, and the proxy cannot send an alert there at "after"',
  ],
  ['alert', 'bad fault "alert": "alert" needs a trigger: "before handshake" at end of input'],
  [
    'alert bad_alert before handshake',
    'bad fault "alert bad_alert before handshake": unknown alert: expected a number from 0 to 255 or one of unexpected_message, bad_record_mac, ' +
      'record_overflow, handshake_failure, bad_certificate, unsupported_certificate, certificate_revoked, certificate_expired, certificate_unknown, ' +
      'illegal_parameter, unknown_ca, access_denied, decode_error, decrypt_error, protocol_version, insufficient_security, internal_error, ' +
      'inappropriate_fallback, missing_extension, unsupported_extension, unrecognized_name, bad_certificate_status_response, unknown_psk_identity, ' +
      'certificate_required, no_application_protocol (RFC 8446 §6.2) at "bad_alert"',
  ],
  ['alert 300 before handshake', 'bad fault "alert 300 before handshake": expected an alert number from 0 to 255 at "300"'],
  [
    'alert before handshake toward server',
    'bad fault "alert before handshake toward server": "alert" answers the client\'s ClientHello: it only acts toward the client at end of input',
  ],
  [
    'alert before handshake channel data',
    'bad fault "alert before handshake channel data": "alert" answers the control connection\'s ClientHello: "channel data" is not supported at end of input',
  ],
  ['alert before', 'bad fault "alert before": expected a step: greeting, dot or a command verb such as DATA at end of input'],
];

describe('parseFault errors', () => {
  it.each(INVALID)('rejects %j naming the token %j', (text, token) => {
    const error = ((): unknown => {
      try {
        return parseFault(text);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(FaultSyntaxError);
    expect(error).toMatchObject({ code: 'EFAULTSYNTAX', token, input: text });
    const { message, problem } = error as FaultSyntaxError;
    const where = token === null ? 'at end of input' : `at ${JSON.stringify(token)}`;
    expect(message.split('\n')).toEqual([`bad fault ${JSON.stringify(text)}: ${problem} ${where}`]);
  });

  it.each(MESSAGES)('explains %j in one line', (text, message) => {
    expect(() => parseFault(text)).toThrow(message);
  });
});

const SIZES: readonly (readonly [string, number])[] = [
  ['512', 512],
  ['0', 0],
  ['512B', 512],
  ['64KiB', 65536],
  ['64kib', 65536],
  ['2k', 2048],
  ['2K', 2048],
  ['1MiB', 1048576],
  ['1m', 1048576],
  ['1.5MiB', 1572864],
  ['1GiB', 1073741824],
  ['10KB', 10000],
  ['10MB', 10_000_000],
  ['2gb', 2_000_000_000],
  [' 4KiB ', 4096],
];
const BAD_SIZES = ['', 'KiB', '1.5', '1.5B', '-1', '1e3', '64 KiB', '2x', '1TiB', '1constructor', '1toString', '.5k'];

const DURATIONS: readonly (readonly [string, number])[] = [
  ['500', 500],
  ['500ms', 500],
  ['0', 0],
  ['2s', 2000],
  ['1.5s', 1500],
  ['0.25s', 250],
  ['1m', 60_000],
  ['1.5m', 90_000],
  ['2S', 2000],
  ['10MS', 10],
  ['1.001s', 1001],
];
const BAD_DURATIONS = ['', 's', '1.5', '1.5ms', '0.0001s', '-5ms', '1h', '2 s', 'soon'];

describe('parseSize and parseDuration', () => {
  it.each(SIZES)('reads the size %j as %i bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(BAD_SIZES)('rejects the size %j', (text) => {
    expect(() => parseSize(text)).toThrow(UnitSyntaxError);
    expect(() => parseSize(text)).toThrow(`bad size ${JSON.stringify(text)}: expected a whole number of bytes`);
  });

  it.each(DURATIONS)('reads the duration %j as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(BAD_DURATIONS)('rejects the duration %j', (text) => {
    expect(() => parseDuration(text)).toThrow(`bad duration ${JSON.stringify(text)}: expected a whole number`);
  });

  const sizes = [0, 1, 1000, 1023, 1024, 1536, 65536, 1048576, 3 * 1024 ** 3, 10_000];
  it.each(sizes)('formats %i bytes so parseSize reads it back', (n) => {
    expect(parseSize(formatSize(n))).toBe(n);
  });

  it.each([0, 1, 999, 1000, 1500, 60_000, 90_000, 3_600_000])('formats %i ms so parseDuration reads it back', (n) => {
    expect(parseDuration(formatDuration(n))).toBe(n);
  });
});
