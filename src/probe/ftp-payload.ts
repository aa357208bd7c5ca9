/**
 * The probe's upload: random-looking octets that are never held whole, so `--upload-size` can be far
 * larger than memory. They come from AES-128-CTR under a random key: incompressible (a middlebox or
 * MODE Z gains nothing), and any range can be made again from its offset (CTR seeks by block), which
 * the resume check needs to know what the last octets of the file should be.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';

/** Octets per piece handed to a data connection: large enough to be fast, small enough to bound a stall. */
export const PIECE_OCTETS = 256 * 1024;
const BLOCK = 16;

/** A reproducible stream of `size` pseudo-random octets. */
export class Payload {
  readonly #key = randomBytes(16);
  /** The counter's upper half is random, its lower half counts blocks from 0. */
  readonly #nonce = randomBytes(8);

  constructor(readonly size: number) {}

  /** The octets from `from` (inclusive) to `to` (exclusive), in pieces of at most PIECE_OCTETS. */
  *pieces(from = 0, to = this.size): Generator<Buffer> {
    if (from >= to) return;
    const block = Math.floor(from / BLOCK);
    const iv = Buffer.alloc(16);
    this.#nonce.copy(iv, 0);
    iv.writeBigUInt64BE(BigInt(block), 8);
    const cipher = createCipheriv('aes-128-ctr', this.#key, iv);
    let skip = from - block * BLOCK;
    for (let at = from; at < to; ) {
      const n = Math.min(PIECE_OCTETS, to - at);
      const out = cipher.update(Buffer.alloc(n + skip));
      yield skip > 0 ? out.subarray(skip) : out;
      skip = 0;
      at += n;
    }
  }

  /** SHA-256 (hex) of the octets from `from` to `to`, and of `extra` after them (what APPE added). */
  sha256(from = 0, to = this.size, extra?: Buffer): string {
    const hash = createHash('sha256');
    for (const piece of this.pieces(from, to)) hash.update(piece);
    if (extra) hash.update(extra);
    return hash.digest('hex');
  }
}
