/**
 * Synthetic IPv4/IPv6 + TCP packets for a capture file, with real checksums (RFC 791 §3.1 header
 * checksum, RFC 9293 §3.1 TCP checksum over the pseudo-header): Wireshark shows what the proxy saw as
 * if it had been sniffed on the loopback interface. No TCP options: the handshake is a picture, not a replay.
 */
import { isIPv4 } from 'node:net';
import { unmapped } from '../util/address.js';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** TCP flag bits (RFC 9293 §3.1). */
export const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

export interface Segment {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly payload: Buffer;
}

/** The most payload one packet carries: an IPv4 packet's 16-bit total length less both headers. */
export const MAX_PAYLOAD = 0xffff - 40;

const TCP_HEADER = 20;
const PROTO_TCP = 6;
/** What the window field says: a constant, since the capture shows what moved, not flow control. */
const WINDOW = 0xffff;

/** The IP packet carrying `segment`; IPv4 when both ends are IPv4 addresses, else IPv6. */
export function ipPacket(segment: Segment): Buffer {
  const src = unmapped(segment.from.address);
  const dst = unmapped(segment.to.address);
  const tcp = tcpSegment(segment);
  if (isIPv4(src) && isIPv4(dst)) {
    const srcBytes = ipv4Bytes(src);
    const dstBytes = ipv4Bytes(dst);
    fillTcpChecksum(tcp, Buffer.concat([srcBytes, dstBytes, pseudoTail(tcp.length, 2)]));
    const header = Buffer.alloc(20);
    header[0] = 0x45; // version 4, 5 words
    header.writeUInt16BE(20 + tcp.length, 2);
    header.writeUInt16BE(0x4000, 6); // don't fragment
    header[8] = 64; // TTL
    header[9] = PROTO_TCP;
    srcBytes.copy(header, 12);
    dstBytes.copy(header, 16);
    header.writeUInt16BE(checksum([header]), 10);
    return Buffer.concat([header, tcp]);
  }
  const srcBytes = ipv6Bytes(src);
  const dstBytes = ipv6Bytes(dst);
  fillTcpChecksum(tcp, Buffer.concat([srcBytes, dstBytes, pseudoTail(tcp.length, 4)]));
  const header = Buffer.alloc(40);
  header[0] = 0x60;
  header.writeUInt16BE(tcp.length, 4);
  header[6] = PROTO_TCP;
  header[7] = 64; // hop limit
  srcBytes.copy(header, 8);
  dstBytes.copy(header, 24);
  return Buffer.concat([header, tcp]);
}

function tcpSegment({ from, to, seq, ack, flags, payload }: Segment): Buffer {
  const tcp = Buffer.alloc(TCP_HEADER + payload.length);
  tcp.writeUInt16BE(from.port, 0);
  tcp.writeUInt16BE(to.port, 2);
  tcp.writeUInt32BE(seq >>> 0, 4);
  tcp.writeUInt32BE(flags & TCP.ACK ? ack >>> 0 : 0, 8);
  tcp[12] = (TCP_HEADER / 4) << 4;
  tcp[13] = flags;
  tcp.writeUInt16BE(WINDOW, 14);
  payload.copy(tcp, TCP_HEADER);
  return tcp;
}

/** The pseudo-header's tail after the addresses: IPv4 (RFC 9293) zero, protocol, u16 length; IPv6 (RFC 8200 §8.1) u32 length, 3 zeros, next header. */
function pseudoTail(length: number, version: 2 | 4): Buffer {
  if (version === 2) {
    const tail = Buffer.alloc(4);
    tail[1] = PROTO_TCP;
    tail.writeUInt16BE(length, 2);
    return tail;
  }
  const tail = Buffer.alloc(8);
  tail.writeUInt32BE(length, 0);
  tail[7] = PROTO_TCP;
  return tail;
}

function fillTcpChecksum(tcp: Buffer, pseudo: Buffer): void {
  tcp.writeUInt16BE(checksum([pseudo, tcp]), 16);
}

/** The Internet checksum (RFC 1071): one's complement of the one's complement sum of 16-bit words. */
export function checksum(parts: readonly Buffer[]): number {
  let sum = 0;
  for (const part of parts) {
    // Every part but the last has an even length (headers and the pseudo-header), so words never straddle parts.
    for (let i = 0; i + 1 < part.length; i += 2) sum += part.readUInt16BE(i);
    if (part.length % 2 === 1) sum += part[part.length - 1]! << 8;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

/** 16 bytes of an IPv6 address (`::` expanded; a trailing dotted IPv4 part taken as two groups). */
export function ipv6Bytes(address: string): Buffer {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  for (const [i, g] of groups.entries()) out.writeUInt16BE(Number.parseInt(g || '0', 16), i * 2);
  return out;
}
