/** Size and SHA-256 of a file's content: how a download is compared with what the server served. */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** A file's size in octets and its SHA-256, lowercase hex. */
export interface Digest {
  readonly bytes: number;
  readonly sha256: string;
}

/** Octets hashed per update at most: one update refuses 2 GiB or more ("data is too long"). */
const HASH_PIECE = 1024 * 1024 * 1024;

/** The SHA-256 of `data`, lowercase hex, of any size (a scenario's content goes up to 4 GiB), `piece` octets per update. */
export function sha256Of(data: Buffer, piece = HASH_PIECE): string {
  const hash = createHash('sha256');
  for (let at = 0; at < data.length; at += piece) hash.update(data.subarray(at, at + piece));
  return hash.digest('hex');
}

/** The digest of `data`. */
export function digestOf(data: Buffer): Digest {
  return { bytes: data.length, sha256: sha256Of(data) };
}

/** A digest built while the content streams, so a large download is never held whole. */
export class Digester {
  #hash: Hash = createHash('sha256');
  #bytes = 0;
  update(chunk: Buffer): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
  }
  digest(): Digest {
    return { bytes: this.#bytes, sha256: this.#hash.digest('hex') };
  }
}

/** The digest of the file at `path`, read as a stream; a file that is missing or unreadable is empty. */
export async function digestFile(path: string): Promise<Digest> {
  return (await digestIfThere(path).catch(() => undefined)) ?? digestOf(Buffer.alloc(0));
}

/**
 * The digest of the file at `path` (its first `bytes` octets, when given), read as a stream; undefined
 * when there is no file there (or a folder). How an upload of any size is checked without holding it.
 */
export async function digestIfThere(path: string, bytes?: number): Promise<Digest | undefined> {
  const digester = new Digester();
  if (bytes === 0) return digester.digest();
  try {
    for await (const chunk of createReadStream(path, bytes === undefined ? {} : { end: bytes - 1 })) digester.update(chunk as Buffer);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') return undefined;
    throw error;
  }
  return digester.digest();
}
