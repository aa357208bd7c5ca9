import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { openBlackhole } from '../../src/proxy/blackhole.js';

describe('openBlackhole', () => {
  it('answers no SYN while open (the connect is still pending when the client gives up), and refuses after close', async () => {
    const blackhole = await openBlackhole('127.0.0.1');
    try {
      const socket = net.connect({ port: blackhole.port, host: '127.0.0.1' });
      socket.on('error', () => undefined);
      // The client's own give-up point, as a connect timeout is: the assertion is that it never connected.
      socket.setTimeout(300);
      await once(socket, 'timeout');
      expect(socket.connecting).toBe(true);
      socket.destroy();
    } finally {
      await blackhole.close();
    }
    const after = net.connect({ port: blackhole.port, host: '127.0.0.1' });
    const [error] = (await once(after, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('closes idempotently: both calls wait for the same worker exit', async () => {
    const blackhole = await openBlackhole('127.0.0.1');
    await Promise.all([blackhole.close(), blackhole.close()]);
  });
});
