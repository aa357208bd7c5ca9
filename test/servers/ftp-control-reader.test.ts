/**
 * The mock FTP server's command reader against a client that sends faster than it reads: it stops
 * reading while 1024 lines wait for their turn or 64 KiB of replies wait for the client, and goes on
 * once there is room, every line answered in order. Without the bound, 3 million NOOPs sent without reading
 * grew `serve ftp` to 1.7 GB.
 */
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_QUEUED, MAX_UNSENT, readCommands } from '../../servers/ftp/control-reader.js';
import type { Conn } from '../../servers/ftp/internals.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A TCP connection on loopback: the client's end, and the server's end read by readCommands with `answer`. */
async function connected(answer: (text: string, socket: net.Socket) => PromiseLike<unknown>): Promise<{ client: net.Socket; server: net.Socket }> {
  const listener = net.createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => listener.close(resolve)));
  const accepted = once(listener, 'connection') as Promise<[net.Socket]>;
  const client = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  const [server] = await accepted;
  cleanups.push(async () => {
    client.destroy();
    server.destroy();
  });
  const connection = { encoding: 'utf8', reply: async () => undefined } as unknown as Conn;
  readCommands(connection, server, (text) => answer(text, server));
  return { client, server };
}

describe('readCommands, a client that does not keep up', () => {
  it('stops reading while MAX_QUEUED lines wait for their turn, and answers every line in order once they run', async () => {
    const answered: string[] = [];
    let release = (): void => undefined;
    const first = new Promise<void>((resolve) => (release = resolve));
    const lines = Array.from({ length: 2 * MAX_QUEUED }, (_, i) => `NOOP ${i}`);
    const more = Array.from({ length: 10 }, (_, i) => `NOOP more ${i}`);
    let allAnswered = (): void => undefined;
    const all = new Promise<void>((resolve) => (allAnswered = resolve));
    const { client, server } = await connected((text) => {
      answered.push(text);
      if (answered.length === lines.length + more.length) allAnswered();
      return answered.length === 1 ? first : Promise.resolve();
    });
    const paused = once(server, 'pause');
    client.write(`${lines.join('\r\n')}\r\n`);
    await paused;
    expect(answered).toEqual(['NOOP 0']); // the first still runs: the rest wait, and the reading stopped
    // ftp-srv resumes the control connection at the end of each transfer, whatever the reader did: the
    // next chunk is read, and the reader, still short of room, stops again.
    const pausedAgain = once(server, 'pause');
    server.resume();
    client.write(`${more.join('\r\n')}\r\n`);
    await pausedAgain;
    expect(answered).toEqual(['NOOP 0']);
    const resumed = once(server, 'resume');
    release();
    await resumed;
    await all;
    expect(answered).toEqual([...lines, ...more]);
  });

  it('takes no further line while MAX_UNSENT octets of replies wait for the client, and goes on once it reads them', async () => {
    const reply = `200 ${'x'.repeat(1019)}\r\n`; // 1 KiB
    const count = 20_000; // 20 MiB of replies: more than loopback's socket buffers hold
    /** The most reply octets waiting in the server's socket, seen after each reply. */
    let most = 0;
    let client: net.Socket | undefined;
    const ends = await connected(async (_text, socket) => {
      socket.write(reply);
      most = Math.max(most, socket.writableLength);
      // The client reads once replies pile up: before that, the socket buffers fill and the queue grows.
      if (socket.writableLength > MAX_UNSENT) client?.resume();
    });
    client = ends.client;
    client.pause();
    let received = 0;
    const all = new Promise<void>((resolve) =>
      ends.client.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received === count * reply.length) resolve();
      }),
    );
    client.write('NOOP\r\n'.repeat(count));
    await all;
    expect(most).toBeGreaterThan(MAX_UNSENT);
    // Past the bound, only the lines already taken (MAX_QUEUED at most) were answered before the client read.
    expect(most).toBeLessThanOrEqual(MAX_UNSENT + (MAX_QUEUED + 1) * reply.length);
  });
});
