/**
 * The pcapng blocks a capture file is made of (draft-ietf-opsawg-pcapng §4): a Section Header Block,
 * Interface Description Blocks, Enhanced Packet Blocks with comments, Decryption Secrets Blocks. Little-endian, as the byte-order
 * magic says; every block and option padded to 32 bits, each block's length repeated at its end.
 *
 *   block = type u32 │ total length u32 │ body │ options (code u16, length u16, value, pad) │ total length u32
 */

/** Raw IPv4 or IPv6, the version read from the packet's first nibble (LINKTYPE_RAW, not DLT_RAW). */
export const LINKTYPE_RAW = 101;

export const BLOCK = { section: 0x0a0d0d0a, interface: 1, enhancedPacket: 6, decryptionSecrets: 0x0a } as const;
/** The Decryption Secrets Block's secrets type for an NSS key log, `TLSK` (§4.7). */
export const SECRETS_TLS_KEY_LOG = 0x544c534b;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** opt_comment: valid in every block (§3.5). */
export const OPT_COMMENT = 1;
const OPT_END = 0;
/** shb_userappl (§4.1). */
const SHB_USERAPPL = 4;
/** if_name, if_description (§4.2). */
const IF_NAME = 2;
const IF_DESCRIPTION = 3;

/** One option: a code and its value (text is UTF-8, not terminated). */
export interface BlockOption {
  readonly code: number;
  readonly value: Buffer;
}

export const comment = (text: string): BlockOption => ({ code: OPT_COMMENT, value: Buffer.from(text, 'utf8') });

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

/** Options with their end-of-options marker; none at all when there are none (the marker is optional). */
function encodeOptions(options: readonly BlockOption[]): Buffer {
  if (options.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const { code, value } of options) {
    // An option's length field is 16 bits: a longer text is cut, which only a comment could need.
    const bytes = value.subarray(0, 0xffff);
    const head = Buffer.alloc(4);
    head.writeUInt16LE(code, 0);
    head.writeUInt16LE(bytes.length, 2);
    parts.push(head, bytes, Buffer.alloc(pad4(bytes.length)));
  }
  const end = Buffer.alloc(4);
  end.writeUInt16LE(OPT_END, 0);
  parts.push(end);
  return Buffer.concat(parts);
}

/** A whole block: `body` is padded to 32 bits, options follow it. */
function block(type: number, body: Buffer, options: readonly BlockOption[]): Buffer {
  const opts = encodeOptions(options);
  const length = 8 + body.length + pad4(body.length) + opts.length + 4;
  const out = Buffer.alloc(length);
  out.writeUInt32LE(type, 0);
  out.writeUInt32LE(length, 4);
  body.copy(out, 8);
  opts.copy(out, 8 + body.length + pad4(body.length));
  out.writeUInt32LE(length, length - 4);
  return out;
}

/** The Section Header Block that opens the file: version 1.0, section length unknown (-1). */
export function sectionHeader(application: string, comments: readonly string[] = []): Buffer {
  const body = Buffer.alloc(16);
  body.writeUInt32LE(BYTE_ORDER_MAGIC, 0);
  body.writeUInt16LE(1, 4);
  body.writeUInt16LE(0, 6);
  body.writeBigInt64LE(-1n, 8);
  return block(BLOCK.section, body, [...comments.map(comment), { code: SHB_USERAPPL, value: Buffer.from(application, 'utf8') }]);
}

/** An Interface Description Block; timestamps on it are in microseconds (if_tsresol left at its default, 6). */
export function interfaceDescription(linkType: number, name: string, description: string): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt16LE(linkType, 0);
  body.writeUInt32LE(0, 4); // snaplen 0: no limit
  return block(BLOCK.interface, body, [
    { code: IF_NAME, value: Buffer.from(name, 'utf8') },
    { code: IF_DESCRIPTION, value: Buffer.from(description, 'utf8') },
  ]);
}

/** An Enhanced Packet Block holding `packet` whole, at `micros` since the epoch, with its comments. */
export function enhancedPacket(interfaceId: number, micros: bigint, packet: Buffer, comments: readonly string[] = []): Buffer {
  const body = Buffer.alloc(20 + packet.length);
  body.writeUInt32LE(interfaceId, 0);
  body.writeUInt32LE(Number((micros >> 32n) & 0xffffffffn), 4);
  body.writeUInt32LE(Number(micros & 0xffffffffn), 8);
  body.writeUInt32LE(packet.length, 12);
  body.writeUInt32LE(packet.length, 16);
  packet.copy(body, 20);
  return block(BLOCK.enhancedPacket, body, comments.map(comment));
}

/**
 * A Decryption Secrets Block (§4.7) holding NSS key log lines (`TLSK`): Wireshark and tshark decrypt the
 * TLS sessions they name in the packets after it, with no setting. The file is as secret as the keys.
 */
export function decryptionSecrets(keylog: Buffer): Buffer {
  const body = Buffer.alloc(8 + keylog.length);
  body.writeUInt32LE(SECRETS_TLS_KEY_LOG, 0);
  body.writeUInt32LE(keylog.length, 4);
  keylog.copy(body, 8);
  return block(BLOCK.decryptionSecrets, body, []);
}
