/** Small waits on sockets and streams that the proxy's sessions are built from. */
import { connect, type Server, type Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { unmapped } from '../util/address.js';

/** Resolves when the socket has closed (at once if it already has). */
export function closed(socket: Socket): Promise<void> {
  return socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}

/** What shows a peer read what it was written: it sent something, its FIN, its socket closed. */
const PROOFS = ['data', 'end', 'close'] as const;

/**
 * Resolves once the peer has shown it read what was last written to it (it sent something, or its
 * FIN, now or before), once the socket has closed, or after `graceMs`. Linux reports an RST that finds unread data in
 * the peer's receive queue as a plain EOF, so an RST right behind a reply would reach the peer as a FIN.
 */
export function readProof(peer: Socket, graceMs: number): Promise<void> {
  if (peer.destroyed || peer.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, graceMs);
    function done(): void {
      clearTimeout(timer);
      for (const event of PROOFS) peer.off(event, done);
      resolve();
    }
    for (const event of PROOFS) peer.once(event, done);
  });
}

/**
 * Resolves once everything written so far has been handed to `socket` and written: a shaper in front
 * of it (throttle, slice...) is ended and drained first.
 */
export async function flushed(socket: Socket, shaper?: Writable): Promise<void> {
  if (shaper) {
    await new Promise<void>((resolve) => {
      shaper.once('end', resolve);
      shaper.once('close', resolve);
      shaper.end();
    });
  }
  if (socket.destroyed || socket.writableEnded) return;
  await new Promise<void>((resolve) => socket.write(Buffer.alloc(0), () => resolve()));
}

/**
 * An RST to the peer (SO_LINGER 0) on the TCP socket `socket` (`over`: the TLS socket on it, if any), or a plain destroy when the socket already asked for a FIN: libuv
 * refuses to reset a socket whose shutdown is pending (UV_EINVAL) and Node 20 then leaves the handle
 * half closed, so the process never exits (its exit cleanup spins on it).
 */
export function resetSocket(socket: Socket, over?: Socket): void {
  if (socket.destroyed) return;
  // A TLS socket `over` it that asked for a FIN (close_notify, then shutdown) has the same pending shutdown.
  if (socket.writableEnded || over?.writableEnded) socket.destroy();
  else socket.resetAndDestroy();
}

/** 127.0.0.0/8: every such address is local on Linux and can be bound without configuration. */
const isLoopbackV4 = (address: string | undefined): address is string => address !== undefined && /^127\.\d+\.\d+\.\d+$/.test(address);

/**
 * The source Linux picks itself toward 127.0.0.1 (its `local` route says `src 127.0.0.1`). Toward other
 * 127.0.0.0/8 addresses it picks the same by default, but not on a host that gave its loopback device
 * more addresses: those get routes of their own.
 */
const LOOPBACK_SOURCE = '127.0.0.1';

/**
 * The address to connect onward from so the server sees the client's own loopback address (its
 * per-address limits count the real client, and servers that check a passive data connection comes from
 * the control connection's address, as vsftpd does, accept it): the client's address when both ends are
 * IPv4 loopback, unless both are 127.0.0.1, which the system picks itself; else none (the system picks).
 *
 * A source given is bound before the connect, with a port the system must find free for the bind, not
 * only for the connection: with 3,000 connections open that took 0.75 ms per connect, at 5,000 0.95,
 * where an unbound connect took 0.09 (Node cannot set IP_BIND_ADDRESS_NO_PORT).
 */
export function onwardSource(client: Socket, target: string): { localAddress?: string } {
  const from = unmapped(client.remoteAddress);
  const picked = from === LOOPBACK_SOURCE && target === LOOPBACK_SOURCE;
  return isLoopbackV4(from) && isLoopbackV4(target) && !picked ? { localAddress: from } : {};
}

/** A TCP connection onward to `target` for `client`'s session, from the client's own loopback address (onwardSource). */
export function connectOnward(client: Socket, target: { readonly host: string; readonly port: number }): Socket {
  return connect({ ...target, ...onwardSource(client, target.host), allowHalfOpen: true, noDelay: true });
}

/** The listening socket's file descriptor. Node exposes no API for it; `_handle.fd` is its TCPWrap's. */
export function listeningFd(server: Server): number {
  const fd = (server as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('the listening socket has no file descriptor on this platform');
  return fd;
}
