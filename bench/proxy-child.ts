/**
 * The proxy alone in its own process, as `wireprobe serve` runs it in front of a real client and
 * server: `node --import tsx bench/proxy-child.ts UPSTREAM_PORT` prints its port, relays until stdin closes.
 */
import { startProxy } from '../src/proxy/proxy.js';

const upstream = Number(process.argv[2]);
const proxy = await startProxy({ upstream: { host: '127.0.0.1', port: upstream } });
process.stdout.write(`${proxy.port}\n`);
process.stdin.resume();
process.stdin.on('end', () => void proxy.close());
