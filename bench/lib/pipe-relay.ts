/** A relay that only pipes bytes both ways (no tracker, no faults, no transcript): the cost any relay pays for its extra hop. */
import net from 'node:net';
import type { Duplex } from 'node:stream';

const HOST = '127.0.0.1';

/**
 * Listens on 127.0.0.1 port 0 and pipes each connection to 127.0.0.1:`upstream`, or to the socket
 * `upstream()` returns (an in-process link: src/util/socket-pair.ts), half-close included.
 */
export async function startPipeRelay(upstream: number | (() => Duplex)): Promise<{ readonly port: number; close(): Promise<void> }> {
  const sockets = new Set<Duplex>();
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    const onward = typeof upstream === 'number' ? net.connect({ host: HOST, port: upstream, allowHalfOpen: true, noDelay: true }) : upstream();
    for (const socket of [client, onward]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => (socket === client ? onward : client).destroy());
    }
    client.pipe(onward).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
