/** Whether a peer on this host has read what was written to it, from the kernel's socket tables. */
import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { peerHasRead, queuesIn, tableKeys } from '../../src/proxy/drained.js';

const TABLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:A21D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1417593 1
   1: 0100007F:0015 0200007F:C000 01 00000010:00000000 00:00000000 00000000     0        0 1416337 1
   2: 0200007F:C000 0100007F:0015 01 00000000:00000400 00:00000000 00000000     0        0 1416338 1
`;

describe('tableKeys', () => {
  it('writes an IPv4 endpoint with its octets reversed and a hex port, in both socket forms', () => {
    expect(tableKeys('127.0.0.1', 21)).toEqual(['0100007F:0015', '0000000000000000FFFF00000100007F:0015']);
    expect(tableKeys('::ffff:127.0.0.2', 49152)).toEqual(['0200007F:C000', '0000000000000000FFFF00000200007F:C000']);
  });

  it('has no key for an IPv6 address', () => {
    expect(tableKeys('::1', 21)).toBeUndefined();
  });
});

describe('queuesIn', () => {
  it('reads the queues of the socket between two endpoints, in that direction', () => {
    const server = tableKeys('127.0.0.1', 21)!;
    const client = tableKeys('127.0.0.2', 49152)!;
    expect(queuesIn(TABLE, server, client)).toEqual({ tx: 16, rx: 0 });
    expect(queuesIn(TABLE, client, server)).toEqual({ tx: 0, rx: 1024 });
  });

  it('finds nothing for a socket not in the table', () => {
    expect(queuesIn(TABLE, tableKeys('127.0.0.1', 25)!, tableKeys('127.0.0.2', 49152)!)).toBeUndefined();
  });
});

describe('peerHasRead', () => {
  it('is false while the peer has not read what was written, and true once it has', async () => {
    const server = net.createServer({ pauseOnConnect: true });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    const [accepted] = (await once(server, 'connection')) as [net.Socket];
    server.close();
    const size = 64 * 1024;
    await new Promise<void>((resolve) => client.write(Buffer.alloc(size), () => resolve()));
    expect(peerHasRead(client)).toBe(false);
    accepted.resume();
    let read = 0;
    await new Promise<void>((resolve) =>
      accepted.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read === size) resolve();
      }),
    );
    expect(peerHasRead(client)).toBe(true);
    client.destroy();
    accepted.destroy();
  });
});
