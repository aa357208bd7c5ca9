/**
 * `startProxy`: the fault proxy alone, in front of any host:port (the user's own server), with faults
 * armed, planned and disarmed while it runs.
 */
import { startProxy as startFaultProxy } from '../proxy/proxy.js';
import { WireprobeError } from '../util/errors.js';
import { controllable } from './controllable.js';
import { checkCommon, knownOptions, startFaults } from './options.js';
import type { ProxyControl, StartProxyOptions } from './types.js';

/** `host:port`, `[v6]:port` or `{ host, port }` as an address. */
function target(input: StartProxyOptions['target']): { host: string; port: number } {
  const parsed = typeof input === 'string' ? /^\[?([^\]]*?)\]?:(\d+)$/.exec(input.trim()) : undefined;
  const host = typeof input === 'string' ? parsed?.[1] : input?.host;
  const port = typeof input === 'string' ? Number(parsed?.[2]) : input?.port;
  if (!host || !(Number.isSafeInteger(port) && port !== undefined && port > 0 && port <= 65535))
    throw new WireprobeError(`target: expected "host:port" or { host, port }, got ${JSON.stringify(input)}`, 'EUSAGE');
  return { host, port };
}

/**
 * Starts the fault proxy in front of `target` on 127.0.0.1 (a free port unless `port` is given).
 * @throws FaultSyntaxError for a fault that does not parse; WireprobeError (EUSAGE) for a bad option.
 */
const PROXY_OPTIONS: Record<keyof StartProxyOptions, true> = {
  target: true,
  protocol: true,
  faults: true,
  host: true,
  port: true,
  upstreamTimeoutMs: true,
  keep: true,
};

export async function startProxy(options: StartProxyOptions): Promise<ProxyControl> {
  knownOptions('startProxy', options, PROXY_OPTIONS);
  checkCommon(options);
  const upstream = target(options.target);
  if (options.protocol !== 'smtp' && options.protocol !== 'ftp')
    throw new WireprobeError(`protocol: expected "smtp" or "ftp", got ${JSON.stringify(options.protocol)}`, 'EUSAGE');
  const faults = startFaults(options.faults, options.protocol);
  const proxy = await startFaultProxy({
    upstream,
    faults,
    protocol: options.protocol,
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.upstreamTimeoutMs === undefined ? {} : { upstreamTimeoutMs: options.upstreamTimeoutMs }),
    ...(options.keep === undefined ? {} : { keep: options.keep }),
  });
  return controllable(proxy, options.protocol, () => proxy.close());
}
