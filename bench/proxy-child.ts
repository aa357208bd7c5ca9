/**
 * A relay alone in its own process, as `wireprobe serve` runs the proxy in front of a real client and
 * server: `node --import tsx bench/proxy-child.ts UPSTREAM_PORT [proxy|pipe]` prints its port and relays
 * until stdin closes. `pipe` is the bare socket.pipe relay, so the baseline runs set up like the proxy.
 */
import { startProxy } from '../src/proxy/proxy.js';
import { startPipeRelay } from './lib/pipe-relay.js';

const upstream = Number(process.argv[2]);
const relay = process.argv[3] === 'pipe' ? await startPipeRelay(upstream) : await startProxy({ upstream: { host: '127.0.0.1', port: upstream } });
process.stdout.write(`${relay.port}\n`);
process.stdin.resume();
process.stdin.on('end', () => void relay.close());
