/**
 * A small pcapng reader for tests: the packets of a file wireprobe wrote (little-endian, raw IPv4/IPv6
 * + TCP), each with its interface's name, TCP ports, flags, payload and comments. It reads only what
 * src/pcap writes, so a test need not have tshark.
 */
import { readFile } from 'node:fs/promises';
import { BLOCK, OPT_COMMENT, SECRETS_TLS_KEY_LOG } from '../../src/pcap/pcapng.js';

export interface ReadPacket {
  /** The interface's if_name: `client-proxy` or `proxy-server`. */
  readonly iface: string;
  readonly srcPort: number;
  readonly dstPort: number;
  /** TCP flag bits (src/pcap/packet.ts TCP). */
  readonly flags: number;
  readonly payload: Buffer;
  readonly comments: readonly string[];
}

export interface ReadCapture {
  /** The Section Header Block's comments. */
  readonly section: readonly string[];
  readonly packets: readonly ReadPacket[];
  /** The secrets of each Decryption Secrets Block holding a TLS key log, in file order. */
  readonly secrets: readonly Buffer[];
}

const IF_NAME = 2;

/** Options from `at` in a block body, up to opt_endofopt. */
function options(body: Buffer, at: number): [number, string][] {
  const out: [number, string][] = [];
  while (at + 4 <= body.length) {
    const code = body.readUInt16LE(at);
    const length = body.readUInt16LE(at + 2);
    if (code === 0) break;
    out.push([code, body.subarray(at + 4, at + 4 + length).toString('utf8')]);
    at += 4 + length + ((4 - (length % 4)) % 4);
  }
  return out;
}

/** The TCP segment of a raw IP packet: its header length read from the version nibble's header. */
function tcpOf(packet: Buffer): Buffer {
  const version = packet[0]! >> 4;
  if (version === 4) return packet.subarray((packet[0]! & 0x0f) * 4, packet.readUInt16BE(2));
  if (version === 6) return packet.subarray(40, 40 + packet.readUInt16BE(4));
  throw new Error(`not an IP packet (version ${version})`);
}

/** Reads `file`, throwing on a block whose framing does not add up. */
export async function readCapture(file: string): Promise<ReadCapture> {
  const bytes = await readFile(file);
  const interfaces: string[] = [];
  const packets: ReadPacket[] = [];
  const secrets: Buffer[] = [];
  let section: string[] = [];
  for (let at = 0; at < bytes.length; ) {
    const type = bytes.readUInt32LE(at);
    const length = bytes.readUInt32LE(at + 4);
    if (length % 4 !== 0 || bytes.readUInt32LE(at + length - 4) !== length) throw new Error(`bad block framing at ${at}`);
    const body = bytes.subarray(at + 8, at + length - 4);
    at += length;
    if (type === BLOCK.section) section = options(body, 16).flatMap(([code, value]) => (code === OPT_COMMENT ? [value] : []));
    else if (type === BLOCK.interface) interfaces.push(options(body, 8).find(([code]) => code === IF_NAME)?.[1] ?? '');
    else if (type === BLOCK.decryptionSecrets && body.readUInt32LE(0) === SECRETS_TLS_KEY_LOG) secrets.push(body.subarray(8, 8 + body.readUInt32LE(4)));
    else if (type === BLOCK.enhancedPacket) {
      const captured = body.readUInt32LE(12);
      const tcp = tcpOf(body.subarray(20, 20 + captured));
      const dataOffset = (tcp[12]! >> 4) * 4;
      packets.push({
        iface: interfaces[body.readUInt32LE(0)] ?? '?',
        srcPort: tcp.readUInt16BE(0),
        dstPort: tcp.readUInt16BE(2),
        flags: tcp[13]!,
        payload: tcp.subarray(dataOffset),
        comments: options(body, 20 + captured + ((4 - (captured % 4)) % 4)).flatMap(([code, value]) => (code === OPT_COMMENT ? [value] : [])),
      });
    }
  }
  return { section, packets, secrets };
}
