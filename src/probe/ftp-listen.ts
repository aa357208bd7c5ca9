/**
 * Where the server connects back in FTP active mode (PORT, EPRT): a listener on the probe's own control
 * address, any port, whose accept is bounded, so a server that never connects costs one wait.
 */
import net, { type Server, type Socket } from 'node:net';

/** A one-connection listener with a bounded accept (active mode), on `host`, any port. */
export async function listenOnce(host: string): Promise<{ readonly server: Server; accept(timeoutMs: number): Promise<Socket | undefined>; close(): void }> {
  const queue: Socket[] = [];
  let wake: (() => void) | undefined;
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => undefined);
    queue.push(socket);
    wake?.();
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    server,
    accept: (timeoutMs) =>
      new Promise((resolve) => {
        const take = (): boolean => {
          const socket = queue.shift();
          if (!socket) return false;
          clearTimeout(timer);
          wake = undefined;
          resolve(socket);
          return true;
        };
        const timer = setTimeout(() => {
          wake = undefined;
          resolve(undefined);
        }, timeoutMs);
        wake = take;
        take();
      }),
    close: () => {
      server.close();
      for (const socket of queue.splice(0)) socket.destroy();
    },
  };
}
