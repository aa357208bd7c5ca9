/**
 * Properties of the FTP data-address parsers and formatters (src/protocol/ftp-address.ts): what the
 * formatters write parses back to the same address and port (227 and PORT for IPv4, 229, EPRT for IPv4
 * and IPv6 with any legal delimiter); arbitrary text never throws and whatever parses is a usable address;
 * octets over 255 and ports outside 1..65535 are refused.
 */
import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { format227, format229, formatEprt, formatPort, parse227, parse229, parseEprt, parsePort } from '../../src/protocol/ftp-address.js';
import { SEED } from './arbitraries.js';

const RUNS = { seed: SEED, numRuns: 3000 };
const port = fc.integer({ min: 1, max: 65535 });
const octet = fc.integer({ min: 0, max: 255 });
/** EPRT/EPSV delimiters: ASCII 33..126 but digits (RFC 2428 §2). */
const delimiter = fc
  .integer({ min: 33, max: 126 })
  .filter((c) => c < 0x30 || c > 0x39)
  .map((c) => String.fromCharCode(c));
/** Text around an address, biased to the characters the parsers look for. */
const noise = fc.string({ unit: fc.constantFrom(...'0123456789,|()!. -\r\t(227)229x'.split('')), maxLength: 40 });
const text = fc.oneof(noise, fc.string({ unit: 'binary', maxLength: 60 }));

/** `parse` on `input` without throwing; then, if it found something, the invariants every result keeps. */
function sound(result: { host?: string; port: number; family?: 1 | 2 } | null): void {
  if (result === null) return;
  expect(Number.isInteger(result.port) && result.port >= 1 && result.port <= 65535).toBe(true);
  if (result.host === undefined) return;
  expect(result.family === 2 ? isIPv6(result.host) : isIPv4(result.host)).toBe(true);
}

describe('227 and PORT (RFC 959 §4.1.2)', () => {
  it('parse back what format227 and formatPort write, with or without the code and parentheses', () => {
    fc.assert(
      fc.property(
        fc.ipV4(),
        port,
        noise.filter((s) => !/\d$/.test(s)),
        (host, p, before) => {
          expect(parse227(format227(host, p))).toEqual({ host, port: p });
          expect(parse227(`Entering Passive Mode ${formatPort(host, p)}.`)).toEqual({ host, port: p });
          expect(parse227(`227 ${before.replace(/^\d{3}/, '')}=${formatPort(host, p).replaceAll(',', ', ')}`)).toEqual({ host, port: p });
          expect(parsePort(formatPort(host, p))).toEqual({ host, port: p });
        },
      ),
      RUNS,
    );
  });

  it('refuse an octet over 255 and port 0', () => {
    fc.assert(
      fc.property(fc.array(octet, { minLength: 6, maxLength: 6 }), fc.nat(5), fc.integer({ min: 256, max: 999 }), (nums, i, big) => {
        const bad = nums.with(i, big).join(',');
        expect(parsePort(bad)).toBeNull();
        expect(parse227(`227 Entering Passive Mode (${bad})`)).toBeNull();
        const zero = [...nums.slice(0, 4), 0, 0].join(',');
        expect(parsePort(zero)).toBeNull();
        expect(parse227(`227 (${zero})`)).toBeNull();
      }),
      RUNS,
    );
  });

  it('never throw on arbitrary text, and find only usable addresses', () => {
    fc.assert(
      fc.property(text, (t) => {
        sound(parse227(t));
        sound(parsePort(t));
      }),
      RUNS,
    );
  });
});

describe('229 and EPRT (RFC 2428)', () => {
  it('parse back what format229 and formatEprt write, and EPRT with any legal delimiter', () => {
    const host = fc.oneof(
      fc.ipV4(),
      fc.ipV6().filter((h) => isIPv6(h)),
    );
    fc.assert(
      fc.property(host, port, delimiter, (h, p, d) => {
        const family = isIPv4(h) ? 1 : 2;
        expect(parse229(format229(p))).toEqual({ port: p });
        expect(parse229(`229 Extended (${d}${d}${d}${p}${d})`)).toEqual({ port: p });
        expect(parseEprt(formatEprt(h, p))).toEqual({ family, host: h, port: p });
        const withD = `${d}${family}${d}${h}${d}${p}${d}`;
        expect(parseEprt(withD)).toEqual(h.includes(d) ? null : { family, host: h, port: p });
      }),
      RUNS,
    );
  });

  it('refuse ports outside 1..65535, a family that does not match the address, and digit delimiters', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.oneof(fc.constant(0), fc.integer({ min: 65536, max: 99999 })), port, (h, bad, p) => {
        expect(parse229(`229 (|||${bad}|)`)).toBeNull();
        expect(parseEprt(`|1|${h}|${bad}|`)).toBeNull();
        expect(parseEprt(`|2|${h}|${p}|`)).toBeNull();
        expect(parseEprt(`1${1}1${h}1${p}1`)).toBeNull();
        expect(() => format229(bad)).toThrow(RangeError);
        expect(() => formatEprt(h, bad)).toThrow(RangeError);
        expect(() => formatPort(h, bad)).toThrow(RangeError);
      }),
      RUNS,
    );
  });

  it('never throw on arbitrary text, and find only usable addresses', () => {
    fc.assert(
      fc.property(text, (t) => {
        sound(parse229(t));
        sound(parseEprt(t));
      }),
      RUNS,
    );
  });
});
