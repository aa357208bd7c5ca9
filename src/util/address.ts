import { isIP } from 'node:net';

/**
 * An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, as a dual-stack socket reports an IPv4 peer) as the
 * IPv4 address it is; any other address as it is, undefined as undefined.
 */
export function unmapped(address: string): string;
export function unmapped(address: string | undefined): string | undefined;
export function unmapped(address: string | undefined): string | undefined {
  return address?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
}

/**
 * An address or a host name to listen on: not empty (Node listens on every interface for ''), only the
 * characters of one, and with a ':' an IPv6 address, bare (`::1`) as Node's listen takes it.
 */
export function isListenHost(host: string): boolean {
  return /^[A-Za-z0-9.:%_-]+$/.test(host) && (!host.includes(':') || isIP(host) === 6);
}

/** `host:port` as a URL's authority writes it (RFC 3986 §3.2.2): an IPv6 address in brackets, `[::1]:25`. */
export function hostPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
