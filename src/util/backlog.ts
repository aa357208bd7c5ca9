/**
 * The listen backlog of the mock servers and the proxy: the kernel's ceiling (net.core.somaxconn), not Node's default
 * 511. Under a burst a full accept queue makes the kernel fall back to SYN cookies or drop SYNs, and
 * the connections lost that way wait for a greeting that never comes; a mock standing in for a real
 * server should queue as many as the machine allows (the proxy's "full backlog" fault is how to get one).
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:net';

/** Node's own default, used where the kernel's ceiling cannot be read (not Linux). */
const NODE_DEFAULT_BACKLOG = 511;

/** net.core.somaxconn where it can be read, else Node's default; listen() asking for more gets this. */
export function listenBacklog(): number {
  try {
    const ceiling = Number.parseInt(readFileSync('/proc/sys/net/core/somaxconn', 'latin1'), 10);
    return Number.isSafeInteger(ceiling) && ceiling > 0 ? ceiling : NODE_DEFAULT_BACKLOG;
  } catch {
    return NODE_DEFAULT_BACKLOG;
  }
}

/** `server` listening on `host`:`port` with listenBacklog(); rejects with the listen error (EADDRINUSE...). */
export function listenWithBacklog(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject).listen({ port, host, backlog: listenBacklog() }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
