/**
 * A loopback port that drops SYNs: a listener whose accept queue is full and never drained, so a
 * connect there gets no answer at all (the client waits out its connect timeout), as behind a firewall
 * that drops packets. No firewall rules: Linux drops a SYN for a listener whose accept queue is full.
 *
 *   worker thread: listen(backlog 1) ─► event loop blocked in Atomics.wait: nothing is ever accepted
 *   this thread:   two filler connections complete and fill the queue (Linux holds backlog + 1)
 *   anyone else:   SYN ─► dropped, retried, dropped... until close() (then refused)
 *
 * The listener lives in a worker because Node accepts every queued connection as soon as its own
 * event loop runs; a blocked worker loop is a listener that never accepts.
 */
import { once } from 'node:events';
import net from 'node:net';
import { Worker } from 'node:worker_threads';

/** The worker: listen, report the port, then block until told to stop. CommonJS, run with `eval`. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const server = require('node:net').createServer();
server.on('error', (error) => parentPort.postMessage({ error: error.message }));
server.listen({ port: 0, host: workerData.host, backlog: 1 }, () => {
  parentPort.postMessage({ port: server.address().port });
  Atomics.wait(new Int32Array(workerData.stop), 0, 0);
  server.close();
});
`;

/** Connections that fill a backlog-1 queue on Linux (it holds backlog + 1). */
const FILLERS = 2;
/** How long a filler may take to complete its handshake on loopback before the queue counts as full. */
const FILLER_WAIT_MS = 200;

export interface Blackhole {
  readonly host: string;
  readonly port: number;
  /** Stops the listener (later SYNs are refused) and the worker; idempotent. */
  close(): Promise<void>;
}

/** Opens a blackholed port on `host` (a loopback address). */
export async function openBlackhole(host: string): Promise<Blackhole> {
  const stop = new SharedArrayBuffer(4);
  const worker = new Worker(WORKER, { eval: true, workerData: { host, stop } });
  worker.unref();
  worker.on('error', () => undefined); // a worker that dies is a listener gone: the port then refuses
  const exited = once(worker, 'exit').then(() => undefined);
  const [message] = (await once(worker, 'message')) as [{ port?: number; error?: string }];
  const fillers: net.Socket[] = [];
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const flag = new Int32Array(stop);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      for (const socket of fillers) socket.destroy();
      await exited;
    })());
  if (message.port === undefined) {
    await close();
    throw new Error(`cannot open a blackholed port on ${host}: ${message.error ?? 'no port'}`);
  }
  const port = message.port;
  for (let i = 0; i < FILLERS; i++) {
    const socket = net.connect({ port, host });
    socket.on('error', () => undefined);
    socket.unref();
    fillers.push(socket);
  }
  try {
    // The first always fits; a kernel that holds only `backlog` connections leaves the second waiting.
    await once(fillers[0]!, 'connect');
    await Promise.race([once(fillers[1]!, 'connect'), new Promise((resolve) => setTimeout(resolve, FILLER_WAIT_MS).unref())]);
  } catch (error) {
    await close();
    throw new Error(`cannot fill the blackholed port's queue on ${host}: ${(error as Error).message}`);
  }
  return { host, port, close };
}
