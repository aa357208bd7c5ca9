/** Loopback ports for real servers: the one address they use, and free ports (single or a contiguous range). */
import net from 'node:net';
import { pause, POLL_MS, STOP_GRACE_MS } from './deadlines.js';

/** The only address real servers bind and advertise (network rule: loopback only). */
export const LOOPBACK = '127.0.0.1';
/** IPv6 loopback, where a server listens when asked for `host: '::1'` (RealServerOptions). */
export const LOOPBACK6 = '::1';

/** Ports in a passive range an FTP launcher picks when none is given (contiguous, inclusive). */
export const PASSIVE_RANGE_SIZE = 16;

/** Whether `address` is an IPv4 loopback address (127.0.0.0/8), the only kind real servers may advertise. */
export function isLoopbackV4(address: string): boolean {
  return net.isIPv4(address) && address.startsWith('127.');
}

/** Resolves true when `port` can be listened on at `host` right now (SO_REUSEADDR, as servers use). */
export function portFree(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * A free port on `host` to listen on, picked below Linux's default ephemeral range (32768-60999) so that
 * no outgoing connection takes it before the server binds it (one handed out by the OS for port 0 comes
 * from that range); random, checked by binding it. A server can still find it taken: see onFreePort.
 */
export async function freePort(host = LOOPBACK): Promise<number> {
  return (await freePortRange(1, host))[0];
}

/**
 * `count` contiguous free ports on `host`, inclusive bounds. Picked below Linux's default ephemeral
 * range (32768-60999) so outgoing connections do not take them meanwhile; random start, each port
 * checked by binding it.
 */
export async function freePortRange(count: number, host = LOOPBACK): Promise<[number, number]> {
  const low = 20_000;
  const high = 32_000 - count;
  for (let attempt = 0; attempt < 100; attempt++) {
    const first = low + Math.floor(Math.random() * (high - low));
    let ok = true;
    for (let port = first; ok && port < first + count; port++) ok = await portFree(port, host);
    if (ok) return [first, first + count - 1];
  }
  throw new Error(`no ${count} contiguous free ports on ${host} between ${low} and ${high + count}`);
}

/** Resolves once `port` can be listened on again, or false after `deadlineMs`. */
export async function untilPortFree(port: number, host = LOOPBACK, deadlineMs = STOP_GRACE_MS): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await portFree(port, host)) return true;
    if (Date.now() >= deadline) return false;
    await pause(POLL_MS);
  }
}
