import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, onFreePort, portFree, type LaunchedServer } from '../../servers/real/common.js';
import { vsftpdLauncher } from '../../servers/real/vsftpd.js';
import type { RealServerOptions } from '../../servers/real/types.js';

/** A start that records the ports it was given and fails the first `failures` times with `message`. */
function flakyStart(failures: number, message: string) {
  const ports: (number | undefined)[] = [];
  const start = async (options: RealServerOptions = {}): Promise<LaunchedServer> => {
    ports.push(options.port);
    if (ports.length <= failures) throw new Error(message);
    return { port: options.port } as LaunchedServer;
  };
  return { ports, start: onFreePort(start) };
}

describe('free ports for real servers', () => {
  it('picks listening ports below the ephemeral range, free when picked', async () => {
    for (let i = 0; i < 20; i++) {
      const port = await freePort();
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(32_768);
      expect(await portFree(port)).toBe(true);
    }
  });

  it('starts again on another free port when the server found its port taken, up to three tries', async () => {
    const once = flakyStart(1, 'vsftpd exited ({"code":2,"signal":null}); its output: 500 OOPS: could not bind listening IPv4 socket');
    const server = await once.start();
    expect(once.ports).toHaveLength(2);
    expect(server.port).toBe(once.ports[1]);
    expect(once.ports.every((port) => typeof port === 'number')).toBe(true);

    const always = flakyStart(5, 'postfix exited before its greeting\n--- maillog:\nfatal: bind 127.0.0.1 port 20001: Address already in use');
    await expect(always.start()).rejects.toThrow(/Address already in use/);
    expect(always.ports).toHaveLength(3);
  });

  it('never replaces a port the user named, and retries no other failure', async () => {
    const named = flakyStart(1, '500 OOPS: could not bind listening IPv4 socket');
    await expect(named.start({ port: 20_123 })).rejects.toThrow(/could not bind/);
    expect(named.ports).toEqual([20_123]);

    const other = flakyStart(1, 'vsftpd gave no 220 within 10000 ms');
    await expect(other.start()).rejects.toThrow(/no 220/);
    expect(other.ports).toHaveLength(1);
  });

  it("a real server's words for a taken port are what the retry looks for (vsftpd)", async () => {
    const taken = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      await expect(vsftpdLauncher.start({ port })).rejects.toThrow(/could not bind/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
