/**
 * What every started mock and proxy offers, over one fault proxy: where clients connect, its sessions,
 * and faults armed while it runs (src/proxy/armory.ts).
 */
import { isIP } from 'node:net';
import type { ProxyHandle } from '../proxy/proxy.js';
import { checkedArmOptions, faultFor, planEntries } from './faults.js';
import { sessionRecord } from './sessions.js';
import type { Controllable } from './types.js';

/** The Controllable of `proxy`; `close` stops the proxy and whatever is behind it. */
export function controllable(proxy: ProxyHandle, protocol: 'smtp' | 'ftp', close: () => Promise<void>): Controllable {
  const host = isIP(proxy.host) === 6 ? `[${proxy.host}]` : proxy.host;
  let closing: Promise<void> | undefined;
  return {
    url: `${protocol}://${host}:${proxy.port}`,
    host: proxy.host,
    port: proxy.port,
    get sessions() {
      return proxy.sessions().map(sessionRecord);
    },
    arm(input, options) {
      const { connection, match } = checkedArmOptions(options);
      proxy.arm(faultFor(input, protocol), { ...(connection === undefined ? {} : { connection }), ...(match ? { match } : {}) });
    },
    plan(entries, options) {
      proxy.plan(planEntries(entries, protocol), options?.match);
    },
    disarm: () => proxy.disarm(),
    close: () => (closing ??= close()),
  };
}
