/**
 * One TCP connection as a capture shows it: the handshake, each side's segments with sequence and
 * acknowledgement numbers that add up (RFC 9293 §3.4), FIN and its ACK, RST. Pure: it turns what the
 * proxy saw into segments, and Wireshark's "Follow TCP Stream" reassembles them.
 *
 *   open ─► SYN, SYN-ACK, ACK   data ─► PSH-ACK segments   fin ─► FIN-ACK, ACK   rst ─► RST-ACK (the end)
 */
import type { Endpoint } from '../proxy/capture.js';
import { MAX_PAYLOAD, type Segment, TCP } from './packet.js';

export type Side = 'proxy' | 'peer';

interface End {
  readonly at: Endpoint;
  /** The next sequence number it sends. */
  next: number;
  /** It sent its FIN. */
  finished: boolean;
}

const other = (side: Side): Side => (side === 'proxy' ? 'peer' : 'proxy');

/** A fixed initial sequence number per port: the same conversation gives the same file. */
const initialSequence = (port: number): number => Math.imul(port + 1, 0x9e3779b1) >>> 0;

export class TcpLeg {
  readonly #ends: Record<Side, End>;
  readonly #opener: Side;
  #reset = false;

  constructor(proxy: Endpoint, peer: Endpoint, opener: Side) {
    this.#ends = {
      proxy: { at: proxy, next: initialSequence(proxy.port), finished: false },
      peer: { at: peer, next: initialSequence(peer.port), finished: false },
    };
    this.#opener = opener;
  }

  /** Ended by an RST: nothing more is shown on it. */
  get reset(): boolean {
    return this.#reset;
  }

  /** The side sent its FIN. */
  finished(side: Side): boolean {
    return this.#ends[side].finished;
  }

  /** The three-way handshake, the opener's SYN first (each SYN takes one sequence number). */
  open(): Segment[] {
    const a = this.#opener;
    const b = other(a);
    const syn = this.#segment(a, TCP.SYN);
    this.#ends[a].next++;
    const synAck = this.#segment(b, TCP.SYN | TCP.ACK);
    this.#ends[b].next++;
    return [syn, synAck, this.#segment(a, TCP.ACK)];
  }

  /** `bytes` sent by `from`, cut into segments no IP packet is too small for. */
  data(from: Side, bytes: Buffer): Segment[] {
    if (this.#reset || this.#ends[from].finished) return [];
    const segments: Segment[] = [];
    for (let i = 0; i < bytes.length; i += MAX_PAYLOAD) {
      const payload = bytes.subarray(i, i + MAX_PAYLOAD);
      segments.push(this.#segment(from, TCP.PSH | TCP.ACK, payload));
      this.#ends[from].next = (this.#ends[from].next + payload.length) >>> 0;
    }
    return segments;
  }

  /** `from`'s FIN (it takes one sequence number), and the other side's ACK of it. */
  fin(from: Side): Segment[] {
    if (this.#reset || this.#ends[from].finished) return [];
    const fin = this.#segment(from, TCP.FIN | TCP.ACK);
    this.#ends[from].next = (this.#ends[from].next + 1) >>> 0;
    this.#ends[from].finished = true;
    return [fin, this.#segment(other(from), TCP.ACK)];
  }

  /** `from`'s RST: the connection is gone. */
  rst(from: Side): Segment[] {
    if (this.#reset) return [];
    this.#reset = true;
    return [this.#segment(from, TCP.RST | TCP.ACK)];
  }

  /** A segment from `from` at its next sequence number, acknowledging all the other side sent (with ACK set). */
  #segment(from: Side, flags: number, payload: Buffer = Buffer.alloc(0)): Segment {
    const me = this.#ends[from];
    const peer = this.#ends[other(from)];
    return { from: me.at, to: peer.at, seq: me.next, ack: peer.next, flags, payload };
  }
}
