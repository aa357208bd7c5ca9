/**
 * TLS on a leg a capture watches (./capture.ts). Node's TLS over a `net.Socket` takes its handle and
 * reads and writes it in C++, below the socket's 'data' and `_write`, where the capture looks: the
 * records (ClientHello, application data, alerts, close_notify) would never be seen. So on a watched
 * socket the TLS runs over a JS stream (`overSocket`) instead, which Node drives through its own
 * JS-stream wrapper: every record then passes through the TCP socket's 'data' and `_write`, in order,
 * and its FIN and RST stay the TCP socket's own (an RST still goes out with `resetSocket(raw)`).
 *
 *   TLSSocket ─► Duplex ─► raw.write / raw.end ─► kernel       kernel ─► raw 'data' / 'end' / error ─► Duplex ─► TLSSocket
 *
 * That costs a trip through JS per record, paid only when a capture is on: a leg no capture watches
 * runs its TLS on the socket itself. The leg's key log lines go to the capture too, so the pcap file
 * carries the keys that decrypt it.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { tapOf } from './capture.js';

/**
 * Starts TLS on `raw` with `start` (given what to run TLS over): over `raw` itself, or, when a capture
 * watches `raw`, over a JS stream on it, with the leg marked TLS and its key log lines passed to the
 * capture. `first`: octets already read from `raw` (a peek at the ClientHello), which TLS reads first.
 * Returns the TLS socket `start` made.
 */
export function captureWrap(raw: Socket, start: (transport: Socket | Duplex) => TLSSocket, first?: Buffer): TLSSocket {
  const tap = tapOf(raw);
  if (!tap) {
    // Put back where the TLS socket reads it (Node's TLS takes a socket's buffered octets first).
    if (first) raw.unshift(first);
    return start(raw);
  }
  tap.tls();
  let secured: TLSSocket | undefined;
  // As when TLS reads the socket itself: an error on the TCP socket (ECONNRESET...) is the TLS socket's, once.
  // The capture recorded `first` as it arrived: it goes to the stream, not back through `raw`.
  secured = start(overSocket(raw, (error) => secured?.destroy(error), first));
  secured.on('keylog', (line: Buffer) => tap.secrets(line));
  return secured;
}

/**
 * A Duplex over the TCP socket `raw`: what is written to it is written to `raw` (its end is `raw`'s
 * FIN, its destruction `raw`'s), what `raw` reads is read from it, with `raw`'s EOF and close. An error
 * of `raw`'s goes to `failed` before the Duplex is destroyed (without error: Node's JS-stream wrapper
 * would hand a server-side TLS socket's error to no one). `first`: octets already read from `raw`, read
 * first. Reading follows
 * demand: `raw` is paused while the Duplex's buffer is full, and is not started before the TLS reads.
 */
export function overSocket(raw: Socket, failed: (error: Error) => void, first?: Buffer): Duplex {
  const stream = new Duplex({
    read: () => void raw.resume(),
    write: (chunk: Buffer, _encoding, callback) => {
      // Past the FIN (the session's truncation ends the TCP socket under its TLS) no record can follow: dropped.
      if (raw.writableEnded || raw.destroyed) return callback();
      // A write that fails fails `raw` too: its 'error' below says so.
      raw.write(chunk, () => callback());
    },
    // Done at once: while TLS's shutdown is pending, Node's JS-stream wrapper must not be asked to write
    // (it asserts), and a record the peer sends meanwhile can make TLS answer. `raw` still sends its FIN
    // after what was written before it.
    final: (callback) => {
      if (!raw.writableEnded && !raw.destroyed) raw.end();
      callback();
    },
    destroy: (_error, callback) => {
      if (!raw.destroyed) raw.destroy();
      callback(null);
    },
  });
  if (first) stream.push(first);
  raw.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) raw.pause();
  });
  raw.once('end', () => stream.push(null));
  raw.on('error', (error) => {
    failed(error);
    stream.destroy();
  });
  raw.once('close', () => stream.destroy());
  return stream;
}
