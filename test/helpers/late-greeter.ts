/**
 * A server that greets every session at once but one, for the probe's session-limit ramps: the `nth`
 * connection is greeted `after` ms, or once another session has ended (`freed`, a limit that queues in
 * silence), or `never`; `closeFirstAfter`: the server itself ends the first session that long after it
 * came (an idle timeout of its own: 421, then close). It speaks just enough of SMTP and FTP for a ramp:
 * USER 331, PASS 230, QUIT 221 then close, anything else 502. Loopback, port 0; close() ends every socket.
 */
import net, { type AddressInfo, type Socket } from 'node:net';

export interface LateGreeter {
  readonly port: number;
  close(): Promise<void>;
}

export async function startLateGreeter(
  greeting: string,
  late: { readonly nth: number; readonly after: number | 'freed' | 'never'; readonly closeFirstAfter?: number },
): Promise<LateGreeter> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let connections = 0;
  let waiting: (() => void) | undefined;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const n = ++connections;
    const greet = (): void => void (socket.writable && socket.write(`${greeting}\r\n`));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      const freed = n === late.nth ? undefined : waiting;
      waiting = freed ? undefined : waiting;
      freed?.();
    });
    const later = (ms: number, act: () => void): void => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        act();
      }, ms);
      timers.add(timer);
    };
    if (n === 1 && late.closeFirstAfter !== undefined) later(late.closeFirstAfter, () => socket.end('421 idle too long\r\n'));
    if (n !== late.nth) greet();
    else if (late.after === 'freed') waiting = greet;
    else if (typeof late.after === 'number') later(late.after, greet);
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
        const verb = buffered.slice(0, end).split(' ')[0]!.toUpperCase();
        buffered = buffered.slice(end + 2);
        if (verb === 'USER') socket.write('331 password\r\n');
        else if (verb === 'PASS') socket.write('230 in\r\n');
        else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('502 not here\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
