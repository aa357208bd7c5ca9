/** crlfToLf: the same octets as a plain CRLF-to-LF replace, whatever the input and wherever its slices fall. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crlfToLf } from '../../src/util/line-ends.js';
import { contentOf, joined } from '../../src/util/content.js';

const replaced = (data: Buffer): Buffer => Buffer.from(data.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');

describe('crlfToLf', () => {
  it('turns every CRLF into LF and leaves lone CRs and LFs, as a plain replace does', async () => {
    const octet = fc.constantFrom(0x0d, 0x0a, 0x41, 0x2e, 0x00, 0xff);
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }).chain((head) => fc.array(octet, { maxLength: 300 }).map((tail) => [...head, ...tail])),
        async (octets) => {
          const data = Buffer.from(octets);
          expect((await crlfToLf(data)).equals(replaced(data))).toBe(true);
        },
      ),
    );
  });

  it('converts a CRLF split across two slices (1 MiB each), and a message of many slices', async () => {
    const slice = 1 << 20;
    const data = Buffer.alloc(3 * slice + 5, 0x41);
    data.write('\r\n', slice - 1, 'latin1');
    data.write('\r\n', 2 * slice - 2, 'latin1');
    data.write('\r', 3 * slice + 4, 'latin1');
    const out = await crlfToLf(data);
    expect(out.equals(replaced(data))).toBe(true);
    expect(out.length).toBe(data.length - 2);
  });

  it('converts a Content piece by piece (1 MiB each) as a Buffer is, a CRLF split across pieces and a CR at the very end too', async () => {
    const piece = 1 << 20;
    const data = Buffer.alloc(2 * piece + 3, 0x41);
    data.write('\r\n', piece - 1, 'latin1');
    data.write('\r\r\n', 2 * piece - 2, 'latin1');
    data.write('\r', 2 * piece + 2, 'latin1');
    // Made of parts, as a message is (headers, body, last line): pieces cut across them.
    const content = joined([contentOf(data.subarray(0, 10)), contentOf(data.subarray(10, piece + 5)), contentOf(data.subarray(piece + 5))]);
    const out = await crlfToLf(content);
    expect(out.equals(replaced(data))).toBe(true);
    expect(out.equals(await crlfToLf(data))).toBe(true);
  });

  it('gives the same octets for a Content as for its Buffer, whatever the input', async () => {
    const octet = fc.constantFrom(0x0d, 0x0a, 0x41);
    await fc.assert(
      fc.asyncProperty(fc.array(octet, { maxLength: 200 }), async (octets) => {
        const data = Buffer.from(octets);
        expect((await crlfToLf(contentOf(data))).equals(replaced(data))).toBe(true);
      }),
    );
  });
});
