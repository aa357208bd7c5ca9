/** toLf: the same octets as a plain CRLF-to-LF replace, whatever the input and wherever its pieces are cut. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toLf } from '../../src/util/line-ends.js';
import { contentOf, joined } from '../../src/util/content.js';

const replaced = (data: Buffer): Buffer => Buffer.from(data.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');

/** What toLf makes of `pieces`, each piece it yields copied (the next one overwrites it). */
async function lf(pieces: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  const source = async function* () {
    yield* pieces;
  };
  for await (const piece of toLf(source())) out.push(Buffer.from(piece));
  return Buffer.concat(out);
}

/** `data` cut at `cuts` (offsets, any order, repeats allowed: empty pieces). */
const cut = (data: Buffer, cuts: readonly number[]): Buffer[] => {
  const at = [0, ...cuts.map((c) => c % (data.length + 1)).sort((a, b) => a - b), data.length];
  return at.slice(1).map((end, i) => data.subarray(at[i], end));
};

describe('toLf', () => {
  it('turns every CRLF into LF and leaves lone CRs and LFs, as a plain replace does, wherever the pieces are cut', async () => {
    const octet = fc.constantFrom(0x0d, 0x0a, 0x41, 0x2e, 0x00, 0xff);
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }).chain((head) => fc.array(octet, { maxLength: 300 }).map((tail) => [...head, ...tail])),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (octets, cuts) => {
          const data = Buffer.from(octets);
          expect((await lf(cut(data, cuts))).equals(replaced(data))).toBe(true);
        },
      ),
    );
  });

  it('converts a CRLF split across pieces, CRs before it, and a CR at the very end', async () => {
    const data = Buffer.from('a\r\r\nb\r\nc\r', 'latin1');
    // Cut after every octet: each CR waits for the next piece.
    expect((await lf([...data].map((octet) => Buffer.from([octet])))).toString('latin1')).toBe('a\r\nb\nc\r');
  });

  it('converts a Content piece by piece (1 MiB each), a CRLF split across pieces and a CR at the very end too', async () => {
    const piece = 1 << 20;
    const data = Buffer.alloc(2 * piece + 3, 0x41);
    data.write('\r\n', piece - 1, 'latin1');
    data.write('\r\r\n', 2 * piece - 2, 'latin1');
    data.write('\r', 2 * piece + 2, 'latin1');
    // Made of parts, as a message is (headers, body, last line): pieces cut across them.
    const content = joined([contentOf(data.subarray(0, 10)), contentOf(data.subarray(10, piece + 5)), contentOf(data.subarray(piece + 5))]);
    const out = await lf(content.inTurns());
    expect(out.equals(replaced(data))).toBe(true);
    expect(out.length).toBe(data.length - 2);
  });
});
