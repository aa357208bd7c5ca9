import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { onwardSource, resetSocket } from '../../src/proxy/sockets.js';

/** A connected pair on loopback: the accepted socket paused (as the proxy accepts), the client writing into it. */
async function pair(): Promise<{ accepted: net.Socket; client: net.Socket; close: () => void }> {
  const server = net.createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  client.on('error', () => undefined);
  const [accepted] = (await once(server, 'connection')) as [net.Socket];
  accepted.on('error', () => undefined);
  server.close();
  return { accepted, client, close: () => client.destroy() };
}

describe('resetSocket', () => {
  it('sends an RST: the peer reads ECONNRESET', async () => {
    const { accepted, client } = await pair();
    const error = once(client, 'error');
    resetSocket(accepted);
    await once(accepted, 'close');
    expect(((await error)[0] as NodeJS.ErrnoException).code).toBe('ECONNRESET');
  });

  it('closes a socket that already sent its FIN (resetAndDestroy would leave it half closed, and the process unable to exit)', async () => {
    const { accepted, client, close } = await pair();
    client.write(Buffer.alloc(1024 * 1024)); // unread data, and a shutdown still pending
    accepted.end();
    resetSocket(accepted);
    await once(accepted, 'close');
    expect(accepted.destroyed).toBe(true);
    close();
  });
});

describe('onwardSource', () => {
  const from = (remoteAddress: string | undefined): net.Socket => ({ remoteAddress }) as net.Socket;

  it.each([
    ['127.0.0.2', '127.0.0.1', { localAddress: '127.0.0.2' }],
    ['::ffff:127.0.0.3', '127.0.0.1', { localAddress: '127.0.0.3' }],
    ['127.0.0.1', '127.0.0.1', {}],
    ['::ffff:127.0.0.1', '127.0.0.1', {}],
    ['127.0.0.1', '127.0.0.5', { localAddress: '127.0.0.1' }],
    ['127.0.0.2', 'localhost', {}],
    ['::1', '::1', {}],
    ['127.0.0.2', '::1', {}],
    [undefined, '127.0.0.1', {}],
  ])('from %s toward %s: %j', (client, target, want) => {
    expect(onwardSource(from(client), target)).toEqual(want);
  });
});
