import { describe, expect, it } from 'vitest';
import { checksum, ipPacket, ipv6Bytes, TCP } from '../../src/pcap/packet.js';
import { BLOCK, enhancedPacket, interfaceDescription, LINKTYPE_RAW, sectionHeader } from '../../src/pcap/pcapng.js';
import { TcpLeg } from '../../src/pcap/tcp-leg.js';

interface Block {
  readonly type: number;
  readonly body: Buffer;
  readonly length: number;
}

/** Splits a pcapng file into blocks, checking each one's framing (lengths at both ends, 32-bit alignment). */
function blocks(file: Buffer): Block[] {
  const out: Block[] = [];
  for (let at = 0; at < file.length; ) {
    const type = file.readUInt32LE(at);
    const length = file.readUInt32LE(at + 4);
    expect(length % 4).toBe(0);
    expect(file.readUInt32LE(at + length - 4)).toBe(length);
    out.push({ type, length, body: file.subarray(at + 8, at + length - 4) });
    at += length;
  }
  return out;
}

/** Options from `at` in a block body: code and UTF-8 value, up to opt_endofopt. */
function options(body: Buffer, at: number): [number, string][] {
  const out: [number, string][] = [];
  while (at < body.length) {
    const code = body.readUInt16LE(at);
    const length = body.readUInt16LE(at + 2);
    if (code === 0) break;
    out.push([code, body.subarray(at + 4, at + 4 + length).toString('utf8')]);
    at += 4 + length + ((4 - (length % 4)) % 4);
  }
  return out;
}

const proxy = { address: '127.0.0.1', port: 2525 };
const peer = { address: '127.0.0.1', port: 40000 };

describe('pcapng blocks', () => {
  it('writes a section header with the byte-order magic, version 1.0 and its comment', () => {
    const [shb] = blocks(sectionHeader('wireprobe', ['session 1']));
    expect(shb!.type).toBe(BLOCK.section);
    expect(shb!.body.readUInt32LE(0)).toBe(0x1a2b3c4d);
    expect([shb!.body.readUInt16LE(4), shb!.body.readUInt16LE(6)]).toEqual([1, 0]);
    expect(shb!.body.readBigInt64LE(8)).toBe(-1n);
    expect(options(shb!.body, 16)).toEqual([
      [1, 'session 1'],
      [4, 'wireprobe'],
    ]);
  });

  it('writes an interface description with the link type and its name', () => {
    const [idb] = blocks(interfaceDescription(LINKTYPE_RAW, 'client-proxy', 'the client leg'));
    expect(idb!.type).toBe(BLOCK.interface);
    expect(idb!.body.readUInt16LE(0)).toBe(101);
    expect(options(idb!.body, 8)).toEqual([
      [2, 'client-proxy'],
      [3, 'the client leg'],
    ]);
  });

  it('writes an enhanced packet with its interface, microsecond timestamp, padded data and comments', () => {
    const packet = Buffer.from('abcde');
    const micros = 1_764_000_000_123_456n;
    const [epb] = blocks(enhancedPacket(1, micros, packet, ['fault fired: reset', 'ünïcode']));
    expect(epb!.type).toBe(BLOCK.enhancedPacket);
    const b = epb!.body;
    expect(b.readUInt32LE(0)).toBe(1);
    expect((BigInt(b.readUInt32LE(4)) << 32n) | BigInt(b.readUInt32LE(8))).toBe(micros);
    expect([b.readUInt32LE(12), b.readUInt32LE(16)]).toEqual([5, 5]);
    expect(b.subarray(20, 25).toString()).toBe('abcde');
    expect(options(b, 28)).toEqual([
      [1, 'fault fired: reset'],
      [1, 'ünïcode'],
    ]);
  });

  it('leaves out the options entirely when a packet has no comment', () => {
    const [epb] = blocks(enhancedPacket(0, 0n, Buffer.alloc(4)));
    expect(epb!.length).toBe(12 + 20 + 4);
  });
});

describe('IP and TCP packets', () => {
  it('carries a valid IPv4 header checksum and TCP checksum (the pseudo-header included)', () => {
    const p = ipPacket({ from: peer, to: proxy, seq: 1, ack: 2, flags: TCP.PSH | TCP.ACK, payload: Buffer.from('EHLO x\r\n!') });
    expect(p[0]! >> 4).toBe(4);
    expect(p.readUInt16BE(2)).toBe(p.length);
    expect(checksum([p.subarray(0, 20)])).toBe(0);
    const pseudo = Buffer.concat([p.subarray(12, 20), Buffer.from([0, 6]), Buffer.from([0, p.length - 20])]);
    expect(checksum([pseudo, p.subarray(20)])).toBe(0);
  });

  it('builds IPv6 for IPv6 ends, and IPv4 for IPv4-mapped ones', () => {
    const v6 = ipPacket({ from: { address: '::1', port: 1 }, to: { address: '::1', port: 2 }, seq: 0, ack: 0, flags: TCP.SYN, payload: Buffer.alloc(0) });
    expect(v6[0]! >> 4).toBe(6);
    expect(v6.length).toBe(60);
    const pseudo = Buffer.concat([v6.subarray(8, 40), Buffer.from([0, 0, 0, 20, 0, 0, 0, 6])]);
    expect(checksum([pseudo, v6.subarray(40)])).toBe(0);
    const mapped = ipPacket({ from: { address: '::ffff:127.0.0.1', port: 1 }, to: proxy, seq: 0, ack: 0, flags: TCP.SYN, payload: Buffer.alloc(0) });
    expect(mapped[0]! >> 4).toBe(4);
  });

  it.each([
    ['::1', '00000000000000000000000000000001'],
    ['fe80::1:2', 'fe800000000000000000000000010002'],
    ['::ffff:10.0.0.1', '00000000000000000000ffff0a000001'],
    ['2001:db8:0:0:0:0:0:1', '20010db8000000000000000000000001'],
  ])('reads the IPv6 address %s', (text, hex) => {
    expect(ipv6Bytes(text).toString('hex')).toBe(hex);
  });
});

describe('TCP leg', () => {
  it('numbers the handshake, data, FIN and its ACK so each side acknowledges all the other sent', () => {
    const leg = new TcpLeg(proxy, peer, 'peer');
    const [syn, synAck, ack] = leg.open();
    expect([syn!.flags, synAck!.flags, ack!.flags]).toEqual([TCP.SYN, TCP.SYN | TCP.ACK, TCP.ACK]);
    expect(syn!.from).toBe(peer);
    expect(synAck!.ack).toBe(syn!.seq + 1);
    expect(ack!.ack).toBe(synAck!.seq + 1);
    const [data] = leg.data('peer', Buffer.from('HELO x\r\n'));
    expect(data!.seq).toBe(ack!.seq);
    const [reply] = leg.data('proxy', Buffer.from('250 ok\r\n'));
    expect(reply!.ack).toBe(data!.seq + 8);
    const [fin, finAck] = leg.fin('peer');
    expect(fin!.flags).toBe(TCP.FIN | TCP.ACK);
    expect(fin!.seq).toBe(data!.seq + 8);
    expect(finAck!.ack).toBe(fin!.seq + 1);
    expect(leg.data('peer', Buffer.from('late'))).toEqual([]);
  });

  it('cuts data bigger than an IP packet holds into several segments', () => {
    const leg = new TcpLeg(proxy, peer, 'proxy');
    leg.open();
    const segments = leg.data('proxy', Buffer.alloc(150_000));
    expect(segments.map((s) => s.payload.length)).toEqual([65495, 65495, 19010]);
    expect(segments[1]!.seq).toBe((segments[0]!.seq + 65495) >>> 0);
  });

  it('shows nothing more after an RST', () => {
    const leg = new TcpLeg(proxy, peer, 'peer');
    leg.open();
    expect(leg.rst('proxy')[0]!.flags).toBe(TCP.RST | TCP.ACK);
    expect([...leg.fin('peer'), ...leg.rst('peer'), ...leg.data('peer', Buffer.from('x'))]).toEqual([]);
  });
});
