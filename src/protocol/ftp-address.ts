/**
 * FTP data-connection addresses: the PASV (227) and EPSV (229) replies and the PORT and EPRT
 * arguments, parsed and formatted. Pure; the proxy rewrites them so data connections pass through it.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** An IPv4 address and a TCP port, as PASV and PORT carry them. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** An EPRT argument: address family (1: IPv4, 2: IPv6, RFC 2428 §2), address and port. */
export interface EprtAddress extends HostPort {
  readonly family: 1 | 2;
}

/** A usable TCP port: 1..65535 (0 cannot be connected to). */
function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** h1..h4 and p1, p2 as decimal strings, each 0..255, into an address and port (RFC 959 §4.1.2). */
function hostPort(nums: readonly string[]): HostPort | null {
  const n = nums.map(Number);
  if (n.length !== 6 || n.some((x) => !(x >= 0 && x <= 255))) return null;
  const port = n[4]! * 256 + n[5]!;
  return isPort(port) ? { host: n.slice(0, 4).join('.'), port } : null;
}

/** True when `text` starts with a reply code other than `code`. */
const otherCode = (text: string, code: string): boolean => /^\d{3}/.test(text) && !text.startsWith(code);

/**
 * The address in a PASV reply, `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)` (RFC 959 §4.1.2, §4.2.2),
 * with or without its code; like clients, finds the six numbers anywhere, parentheses or not.
 */
export function parse227(text: string): HostPort | null {
  if (otherCode(text, '227')) return null;
  const m = /(?<!\d)(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3})(?!\d)/.exec(text);
  return m ? hostPort(m.slice(1)) : null;
}

/** The PASV reply line (no CRLF) advertising `host` (IPv4) and `port` (RFC 959 §4.1.2); throws on others. */
export function format227(host: string, port: number): string {
  return `227 Entering Passive Mode (${formatPort(host, port)})`;
}

/**
 * The port in an EPSV reply, `229 Entering Extended Passive Mode (|||port|)`, with or without its code
 * (RFC 2428 §3). The delimiter may be any of ASCII 33..126 but must repeat; digits are not taken as one.
 */
export function parse229(text: string): { readonly port: number } | null {
  if (otherCode(text, '229')) return null;
  const m = /([\x21-\x2f\x3a-\x7e])\1\1(\d{1,5})\1/.exec(text);
  const port = Number(m?.[2]);
  return m && isPort(port) ? { port } : null;
}

/** The EPSV reply line (no CRLF) advertising `port` (RFC 2428 §3). */
export function format229(port: number): string {
  if (!isPort(port)) throw new RangeError(`not a port: ${port}`);
  return `229 Entering Extended Passive Mode (|||${port}|)`;
}

/** The argument of PORT, `h1,h2,h3,h4,p1,p2` (RFC 959 §4.1.2), each 0..255, port not 0. */
export function parsePort(arg: string): HostPort | null {
  const m = /^\s*(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})\s*$/.exec(arg);
  return m ? hostPort(m.slice(1)) : null;
}

/** The PORT argument `h1,h2,h3,h4,p1,p2` for `host` (IPv4) and `port` (RFC 959 §4.1.2); throws on others. */
export function formatPort(host: string, port: number): string {
  if (!isIPv4(host) || !isPort(port)) throw new RangeError(`not an IPv4 address and port: ${host} ${port}`);
  return `${host.split('.').join(',')},${port >> 8},${port & 255}`;
}

/**
 * The argument of EPRT, `<d><family><d><address><d><port><d>` such as `|1|192.0.2.7|6275|` or
 * `|2|::1|6275|` (RFC 2428 §2); the family must match the address. Digits are not taken as delimiters.
 */
export function parseEprt(arg: string): EprtAddress | null {
  const m = /^\s*([\x21-\x2f\x3a-\x7e])([12])\1((?:(?!\1)\S)+)\1(\d{1,5})\1\s*$/.exec(arg);
  if (!m) return null;
  const family = m[2] === '1' ? 1 : 2;
  const host = m[3]!;
  const port = Number(m[4]);
  const valid = family === 1 ? isIPv4(host) : isIPv6(host);
  return valid && isPort(port) ? { family, host, port } : null;
}

/** The EPRT argument for `host` (IPv4 or IPv6, the family follows) and `port` (RFC 2428 §2). */
export function formatEprt(host: string, port: number): string {
  const family = isIPv4(host) ? 1 : isIPv6(host) ? 2 : 0;
  if (family === 0 || !isPort(port)) throw new RangeError(`not an IP address and port: ${host} ${port}`);
  return `|${family}|${host}|${port}|`;
}
