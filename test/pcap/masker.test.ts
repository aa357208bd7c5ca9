/**
 * The capture's credential masker (src/pcap/masker.ts): what it masks in SMTP and FTP client lines,
 * and that the result does not depend on how the client's octets were split into chunks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CredentialMasker } from '../../src/pcap/masker.js';
import { cut, cuts, latin1, SEED } from '../fuzz/arbitraries.js';

/** A conversation: client octets (`up`) and server octets (`down`), in the order they went. */
type Step = readonly ['up' | 'down', string];

/** What the capture shows of the client's octets, each `up` step fed in the chunks `split` makes of it. */
function masked(steps: readonly Step[], split: (data: Buffer) => Buffer[] = (data) => [data]): string {
  const masker = new CredentialMasker();
  let shown = '';
  for (const [direction, text] of steps) {
    if (direction === 'down') masker.down(latin1(text));
    else for (const chunk of split(latin1(text))) shown += masker.up(chunk).toString('latin1');
  }
  return shown;
}

const stars = (text: string): string => '*'.repeat(text.length);
const PLAIN = Buffer.from('\0alice\0s3cret').toString('base64');
const USER = Buffer.from('alice').toString('base64');
const PASSWORD = Buffer.from('s3cret').toString('base64');

/** BDAT chunk data: binary, no lines (RFC 3030 §2), here with look-alikes of commands and no CRLF at its end. */
const CHUNK_1 = 'AUTH PLAIN c2VjcmV0\r\nPASS x';
const CHUNK_2 = '\r\n.\r\nPASS y';

/** Conversations and what the capture must show of the client's side. */
const CASES: { readonly name: string; readonly steps: readonly Step[]; readonly shown: string }[] = [
  {
    name: 'SMTP BDAT: chunk data is never masked, however it looks, and commands after it are read again',
    steps: [
      ['down', '220 hi\r\n'],
      ['up', 'EHLO me\r\n'],
      ['down', '250-hi\r\n250-CHUNKING\r\n250 AUTH PLAIN\r\n'],
      ['up', 'MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n'],
      ['down', '250 ok\r\n250 ok\r\n'],
      ['up', `BDAT ${CHUNK_1.length}\r\n${CHUNK_1}BDAT ${CHUNK_2.length} LAST\r\n${CHUNK_2}`],
      ['down', '250 ok\r\n250 queued\r\n'],
      ['up', `AUTH PLAIN ${PLAIN}\r\n`],
      ['down', '235 ok\r\n'],
      ['up', 'QUIT\r\n'],
    ],
    shown: `EHLO me\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT ${CHUNK_1.length}\r\n${CHUNK_1}BDAT ${CHUNK_2.length} LAST\r\n${CHUNK_2}AUTH PLAIN ${stars(PLAIN)}\r\nQUIT\r\n`,
  },
  {
    name: 'SMTP AUTH PLAIN with an initial response, then a message that mentions PASS',
    steps: [
      ['down', '220 hi\r\n'],
      ['up', 'EHLO me\r\n'],
      ['down', '250-hi\r\n250 AUTH PLAIN LOGIN\r\n'],
      ['up', `AUTH PLAIN ${PLAIN}\r\n`],
      ['down', '235 ok\r\n'],
      ['up', 'MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n'],
      ['down', '250 ok\r\n250 ok\r\n354 go\r\n'],
      ['up', 'PASS not-a-secret\r\nAUTH X Y\r\n.\r\nQUIT\r\n'],
      ['down', '250 queued\r\n221 bye\r\n'],
    ],
    shown: `EHLO me\r\nAUTH PLAIN ${stars(PLAIN)}\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nPASS not-a-secret\r\nAUTH X Y\r\n.\r\nQUIT\r\n`,
  },
  {
    name: 'SMTP AUTH LOGIN: every line answering a 334, until the final reply',
    steps: [
      ['down', '220 hi\r\n'],
      ['up', 'EHLO me\r\n'],
      ['down', '250 AUTH LOGIN\r\n'],
      ['up', 'AUTH LOGIN\r\n'],
      ['down', '334 VXNlcm5hbWU6\r\n'],
      ['up', `${USER}\r\n`],
      ['down', '334 UGFzc3dvcmQ6\r\n'],
      ['up', `${PASSWORD}\r\n`],
      ['down', '235 ok\r\n'],
      ['up', 'QUIT\r\n'],
    ],
    shown: `EHLO me\r\nAUTH LOGIN\r\n${stars(USER)}\r\n${stars(PASSWORD)}\r\nQUIT\r\n`,
  },
  {
    name: 'SMTP AUTH pipelined with its response ahead of the 334, and a failed AUTH',
    steps: [
      ['down', '220 hi\r\n'],
      ['up', `AUTH PLAIN\r\n${PLAIN}\r\n`],
      ['down', '334 \r\n535 no\r\n'],
      ['up', 'NOOP\r\n'],
    ],
    shown: `AUTH PLAIN\r\n${stars(PLAIN)}\r\nNOOP\r\n`,
  },
  {
    name: 'SMTP: a line sent while the last reply was 334 is secret, even a 334 answering no AUTH',
    steps: [
      ['down', '220 hi\r\n'],
      ['up', 'AUTH LOGIN\r\n'],
      ['down', '535 stray\r\n334 VXNlcm5hbWU6\r\n'],
      ['up', `${USER}\r\n`],
      ['down', '235 ok\r\n'],
      ['up', 'QUIT\r\n'],
    ],
    shown: `AUTH LOGIN\r\n${stars(USER)}\r\nQUIT\r\n`,
  },
  {
    name: 'SMTP after STARTTLS: nothing scanned',
    steps: [
      ['down', '220 hi\r\n'],
      ['up', 'STARTTLS\r\n'],
      ['down', '220 go\r\n'],
      ['up', 'PASS \x16\x03\x01 not a line\r\n'],
    ],
    shown: 'STARTTLS\r\nPASS \x16\x03\x01 not a line\r\n',
  },
  {
    name: 'FTP PASS and ACCT, after a multi-line greeting, with Telnet commands ahead of PASS',
    steps: [
      ['down', '220-hello\r\n331 inner\r\n220 ready\r\n'],
      ['up', 'USER alice\r\n'],
      ['down', '331 password\r\n'],
      ['up', '\xff\xf4\xff\xf2PASS s3cret pw\r\n'],
      ['down', '332 account\r\n'],
      ['up', 'acct money\nPWD\r\n'],
    ],
    shown: `USER alice\r\n\xff\xf4\xff\xf2PASS ${stars('s3cret pw')}\r\nacct ${stars('money')}\nPWD\r\n`,
  },
  {
    name: 'FTP after AUTH TLS → 234: nothing scanned',
    steps: [
      ['down', '220 ready\r\n'],
      ['up', 'AUTH TLS\r\n'],
      ['down', '234 go\r\n'],
      ['up', 'PASS ciphertext\r\n'],
    ],
    shown: 'AUTH TLS\r\nPASS ciphertext\r\n',
  },
];

describe('CredentialMasker', () => {
  for (const { name, steps, shown } of CASES) {
    it(`${name}: masks the credentials, same length`, () => {
      expect(masked(steps)).toBe(shown);
    });

    it(`${name}: the same whatever the client's octets were split into`, () => {
      for (const [index, [direction, text]] of steps.entries()) {
        if (direction === 'down') continue;
        // Split this step's octets at every single offset, the others whole.
        for (let at = 1; at < text.length; at++) {
          const split = (data: Buffer): Buffer[] => (data.toString('latin1') === text ? [data.subarray(0, at), data.subarray(at)] : [data]);
          expect(masked(steps, split), `step ${index} cut at ${at}`).toBe(shown);
        }
      }
      fc.assert(
        fc.property(cuts, (at) => masked(steps, (data) => cut(data, at)) === shown),
        { seed: SEED, numRuns: 300 },
      );
      expect(masked(steps, (data) => [...data].map((byte) => Buffer.from([byte])))).toBe(shown);
    });
  }

  it('leaves the bytes it was given untouched (the relay still sends them)', () => {
    const masker = new CredentialMasker();
    masker.down(latin1('220 ready\r\n'));
    const sent = latin1('PASS pw\r\n');
    expect(masker.up(sent).toString('latin1')).toBe('PASS **\r\n');
    expect(sent.toString('latin1')).toBe('PASS pw\r\n');
  });
});
