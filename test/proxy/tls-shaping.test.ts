/**
 * A shaping fault armed before STARTTLS goes on shaping the conversation inside TLS (Link.shape): the
 * TLS variant of a suite (`--tls starttls`) keeps the fault it claims to have.
 */
import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { parseFault } from '../../src/faults/parse.js';
import { startProxy } from '../../src/proxy/proxy.js';
import { tlsFixture } from '../helpers/tls-fixture.js';
import { startSmtpServer } from '../../servers/smtp.js';

const fx = tlsFixture();
const { cleanups } = fx;

/** What `socket` sends until a line starting with `last` (a reply's last line: `250 `) has come whole. */
function reply(socket: net.Socket, last: string): Promise<string> {
  let text = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (!new RegExp(`(^|\\n)${last}[^\\n]*\\n`).test(text)) return;
      socket.off('data', onData).off('error', reject);
      resolve(text);
    };
    socket.on('data', onData).once('error', reject);
  });
}

describe('shaping across STARTTLS', () => {
  it('a bare-LF rewrite armed on connect still rewrites the replies inside TLS', async () => {
    const server = await startSmtpServer({ tls: 'starttls' });
    cleanups.push(() => server.close());
    const proxy = await startProxy({
      upstream: { host: '127.0.0.1', port: server.port },
      faults: [parseFault('lf on connect')],
      tls: { identity: fx.identity },
    });
    cleanups.push(() => proxy.close());
    const raw = net.connect(proxy.port, proxy.host);
    cleanups.push(async () => void raw.destroy());
    const clear = [await reply(raw, '220 ')];
    raw.write('EHLO client.wireprobe.test\r\n');
    clear.push(await reply(raw, '250 '));
    raw.write('STARTTLS\r\n');
    clear.push(await reply(raw, '220 '));
    const secure = tls.connect({ socket: raw, ca: fx.ca.cert, servername: 'localhost' });
    cleanups.push(async () => void secure.destroy());
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    secure.write('EHLO client.wireprobe.test\r\n');
    const inside = await reply(secure, '250 ');
    for (const text of [...clear, inside]) {
      expect(text).toMatch(/\n/);
      expect(text).not.toMatch(/\r/);
    }
    expect(inside).toMatch(/^250[- ]/);
  });
});
