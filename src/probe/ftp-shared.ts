/**
 * What the FTP checks share besides the session (./ftp-control.ts) and findings (./finding.ts): the
 * words advice is made of (`421 Too many users`, `refused the data connection`), address classes for the PASV rule,
 * and the probe's names and places (its upload's file name, an unused loopback port).
 */
import { randomBytes } from 'node:crypto';
import net, { isIPv4, isIPv6, type AddressInfo } from 'node:net';
import type { ConnectFailure } from './raw-connect.js';
import type { Read } from './raw.js';
import type { Reply } from '../protocol/reply.js';
import { seconds } from './finding.js';

/** An anonymous login (RFC 1635): any password is accepted, so a wrong one proves nothing. */
export const isAnonymous = (user: string | undefined): boolean => user === undefined || /^(anonymous|ftp)$/i.test(user);

/** A unique, recognisable name for the probe's upload: `wireprobe-probe-<random>.bin`. */
export function probeFileName(): string {
  return `wireprobe-probe-${randomBytes(6).toString('hex')}.bin`;
}

/** How a reply or a wait looked, for advice: `421 Too many users`, `[RST]`, `[timeout after 5000 ms]`. */
export function said(read: Read<Reply> | undefined): string {
  if (!read) return 'nothing';
  if (!read.ok) return read.event;
  return `${read.value.code} ${read.value.lines[0] ?? ''}`.trim().replace(/(?<!\.)\.$/, ''); // a final period would run into the sentence
}

/** The code of a reply, or 0 when the wait ended otherwise. */
export const codeOf = (read: Read<Reply> | undefined): number => (read?.ok ? read.value.code : 0);

/** Where a connect failed, in words: `refused the connection`, `did not answer within 5 s`. */
export function failedHow(failure: ConnectFailure, what = 'the connection'): string {
  switch (failure.kind) {
    case 'refused':
      return `refused ${what}`;
    case 'timeout':
      return `did not answer within ${seconds(failure.ms, 1)} s`;
    case 'reset':
      return `reset ${what}`;
    case 'unreachable':
      return 'is unreachable';
    default:
      return `failed (${failure.code ?? failure.kind})`;
  }
}

/** Address classes for the PASV address rule. */
export function addressClass(host: string): 'unspecified' | 'loopback' | 'private' | 'link-local' | 'public' {
  if (isIPv4(host)) {
    const [a = 0, b = 0] = host.split('.').map(Number);
    if (a === 0) return 'unspecified';
    if (a === 127) return 'loopback';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'private';
    if (a === 169 && b === 254) return 'link-local';
    return 'public';
  }
  if (isIPv6(host)) {
    const h = host.toLowerCase();
    if (h === '::') return 'unspecified';
    if (h === '::1') return 'loopback';
    if (/^f[cd]/.test(h)) return 'private';
    if (/^fe[89ab]/.test(h)) return 'link-local';
    return 'public';
  }
  return 'public';
}

/** A free port on `host` right now (bound, then released): a loopback place where nothing listens. */
export async function unusedPort(host: string): Promise<number> {
  const server = net.createServer();
  const port = await new Promise<number>((resolve) => {
    server.once('error', () => resolve(0));
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
  await new Promise((resolve) => server.close(() => resolve(undefined)));
  return port || 9; // 9 (discard) when the address cannot be bound here: still nothing we run
}

/** FEAT lists AUTH with TLS among its mechanisms (RFC 4217 §6: ` AUTH TLS`). */
export const listsAuthTls = (lines: readonly string[]): boolean => lines.some((l) => /^\s*AUTH\b.*\bTLS\b/i.test(l));
