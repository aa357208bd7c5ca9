/**
 * An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, as a dual-stack socket reports an IPv4 peer) as the
 * IPv4 address it is; any other address as it is, undefined as undefined.
 */
export function unmapped(address: string): string;
export function unmapped(address: string | undefined): string | undefined;
export function unmapped(address: string | undefined): string | undefined {
  return address?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
}
