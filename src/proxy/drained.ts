/**
 * Whether a peer on this host has read everything written to it, from the kernel's socket tables
 * (Linux /proc/net/tcp, tcp6): our end's unacknowledged bytes and the peer's unread ones.
 *
 *   our socket   local L, remote R: tx_queue  (sent, not yet in the peer's receive queue)
 *   peer socket  local R, remote L: rx_queue  (in its receive queue, not yet read)
 *
 * Linux reports an RST that finds unread data in the receive queue as a plain end of file once that data
 * is read, so an RST meant to be seen as one waits until both are 0. The peer answers nothing on a data
 * connection, so the control session's proof (./sockets.ts readProof: the peer sent something) cannot
 * serve there. A peer on another host is not in the tables: then there is nothing to wait for.
 */
import { readFileSync } from 'node:fs';
import { isIPv4, type Socket } from 'node:net';
import { unmapped } from '../util/address.js';

/** How often the tables are read while waiting. */
const POLL_MS = 5;

/**
 * An IPv4 endpoint as the kernel's tables write it: `0100007F:0015` (octets reversed, hex port) on an
 * IPv4 socket, with `0000000000000000FFFF0000` in front on a dual-stack one. Both forms: which one a
 * socket is in depends on how it was made. Undefined for an IPv6 address.
 */
export function tableKeys(address: string, port: number): readonly string[] | undefined {
  const v4 = unmapped(address);
  if (!isIPv4(v4)) return undefined;
  const word = v4
    .split('.')
    .reverse()
    .map((o) => Number(o).toString(16).padStart(2, '0').toUpperCase())
    .join('');
  const key = `${word}:${port.toString(16).padStart(4, '0').toUpperCase()}`;
  return [key, `0000000000000000FFFF0000${key}`];
}

/** The tx and rx queues of the socket from `local` to `remote` in the tables' text; undefined when absent. */
export function queuesIn(tables: string, local: readonly string[], remote: readonly string[]): { readonly tx: number; readonly rx: number } | undefined {
  for (const line of tables.split('\n')) {
    const [, l = '', r = '', , queues] = line.trim().split(/\s+/);
    if (!local.includes(l) || !remote.includes(r) || queues === undefined) continue;
    const [tx = '', rx = ''] = queues.split(':');
    return { tx: Number.parseInt(tx, 16), rx: Number.parseInt(rx, 16) };
  }
  return undefined;
}

/** True when what was written to `socket` has been read by its peer; undefined when that cannot be known. */
export function peerHasRead(socket: Socket): boolean | undefined {
  const { localAddress, localPort, remoteAddress, remotePort } = socket;
  if (!localAddress || !localPort || !remoteAddress || !remotePort) return undefined;
  const here = tableKeys(localAddress, localPort);
  const there = tableKeys(remoteAddress, remotePort);
  if (!here || !there) return undefined;
  let tables: string;
  try {
    tables = readFileSync('/proc/net/tcp', 'latin1') + readFileSync('/proc/net/tcp6', 'latin1');
  } catch {
    return undefined;
  }
  const mine = queuesIn(tables, here, there);
  const peer = queuesIn(tables, there, here);
  if (!mine || !peer) return undefined;
  return mine.tx === 0 && peer.rx === 0;
}

/**
 * Resolves once the peer has read what was written to `socket` (see the header), or after `graceMs`,
 * or at once when that cannot be known (a peer on another host, no /proc).
 */
export function drained(socket: Socket, graceMs: number): Promise<void> {
  const deadline = performance.now() + graceMs;
  return new Promise((resolve) => {
    const check = (): void => {
      if (socket.destroyed || peerHasRead(socket) !== false || performance.now() >= deadline) return resolve();
      setTimeout(check, POLL_MS);
    };
    check();
  });
}
