import { describe, expect, it } from 'vitest';
import { restoreSynch, stripTelnet } from '../../src/protocol/telnet.js';

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('Telnet commands in FTP command lines (RFC 854, RFC 959 §4.1.3)', () => {
  it.each([
    ['\xff\xf4\xff\xf2ABOR', 'ABOR'],
    ['\xff\xf4\xf2ABOR', 'ABOR'],
    ['\xff\xf4\xffABOR', 'ABOR'],
    ['\xff\xfb\x01\xff\xf1NOOP', 'NOOP'],
    ['\xff\xfa\x18\x01\xff\xf0TYPE I', 'TYPE I'],
    ['\xff\xffNOOP', '\xffNOOP'],
    ['STOR caf\xe9\xf2', 'STOR caf\xe9\xf2'],
    ['STOR a\xff', 'STOR a'],
  ])('strips %j to %j', (line, want) => {
    expect(stripTelnet(latin1(line)).toString('latin1')).toBe(want);
  });

  it.each([
    ['\xff\xf4\xffABOR', '\xff\xf4\xff\xf2ABOR'], // the DM was the urgent octet
    ['\xff\xf4\xf2ABOR', '\xff\xf4\xff\xf2ABOR'], // Net::FTP: its second IAC was
    ['\xff\xf4\xff\xf2ABOR', null],
    ['ABOR', null],
    ['\xff\xffNOOP', null],
    ['\xff\xff\xf2NOOP', null],
    ['STOR \xf2', null],
  ])('restores the Synch octet lost as urgent data in %j: %j', (line, want) => {
    expect(restoreSynch(latin1(line))?.toString('latin1') ?? null).toBe(want);
  });
});
