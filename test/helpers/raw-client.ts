/** A raw TCP client for proxy tests: send text, wait for what arrives, see how the connection ended. */
import net from 'node:net';

export type Ending = 'fin' | 'rst' | 'open';

export interface RawClient {
  readonly socket: net.Socket;
  /** Everything received so far, latin1. */
  text(): string;
  /** Number of 'data' events so far (how fragmented the stream arrived). */
  reads(): number;
  send(text: string | Buffer): void;
  /** Resolves once the received text satisfies `predicate`; rejects if the connection ends first. */
  until(predicate: (text: string) => boolean): Promise<string>;
  /** Resolves with how the peer ended the connection. */
  readonly ended: Promise<Exclude<Ending, 'open'>>;
}

/** Connects to 127.0.0.1:port. */
export async function connectRaw(port: number): Promise<RawClient> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let received = '';
  let reads = 0;
  const waiters = new Set<() => void>();
  let ending: Ending = 'open';
  const ended = new Promise<'fin' | 'rst'>((resolve) => {
    socket.on('end', () => {
      resolve('fin');
      socket.end();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNRESET' ? 'rst' : 'fin'));
  });
  void ended.then((how) => {
    ending = how;
    for (const wake of waiters) wake();
  });
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
    reads++;
    for (const wake of waiters) wake();
  });
  return {
    socket,
    text: () => received,
    reads: () => reads,
    send: (data) => void socket.write(data),
    ended,
    until: (predicate) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (predicate(received)) {
            waiters.delete(check);
            resolve(received);
          } else if (ending !== 'open') {
            waiters.delete(check);
            reject(new Error(`connection ended (${ending}) before the expected text; got ${JSON.stringify(received)}`));
          }
        };
        waiters.add(check);
        check();
      }),
  };
}
