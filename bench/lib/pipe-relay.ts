/** A relay that only pipes bytes both ways (no tracker, no faults, no transcript): the cost any relay pays for its extra hop. */
import net, { type Socket } from 'node:net';

const HOST = '127.0.0.1';

/** Listens on 127.0.0.1 port 0 and pipes each connection to 127.0.0.1:`upstreamPort`, half-close included. */
export async function startPipeRelay(upstreamPort: number): Promise<{ readonly port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    const upstream = net.connect({ host: HOST, port: upstreamPort, allowHalfOpen: true, noDelay: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => (socket === client ? upstream : client).destroy());
    }
    client.pipe(upstream).pipe(client);
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
