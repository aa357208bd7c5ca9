/**
 * The mock SMTP server and a client's half-close (TCP FIN with its read side still open): Exim's SMTP
 * client pipelines QUIT after the message (BDAT LAST, or the final dot) and shuts its side down at
 * once. Every command sent before the FIN is answered, the message recorded once, then the server
 * closes too; a client that half-closes without QUIT gets the server's FIN, not a socket held open.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startSmtpServer } from '../../servers/smtp.js';

/** Sends `first`, then `rest` once `after` replies are in, then half-closes; resolves with every reply's text once the server closes. */
async function halfClose(port: number, first: string, after: number, rest: string): Promise<string[]> {
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  let text = '';
  let sent = false;
  const replies = (): string[] => text.split('\r\n').filter((line) => /^\d{3} /.test(line));
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    if (!sent && replies().length >= after) {
      sent = true;
      socket.end(rest);
    }
  });
  socket.write(first);
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return replies().map((line) => line.slice(0, 3));
}

describe('mock SMTP server: a client that half-closes', () => {
  it('answers MAIL, RCPT, BDAT LAST and QUIT pipelined before the FIN, and records the message once', async () => {
    const server = await startSmtpServer({ chunking: 'on' });
    try {
      const body = 'Subject: half\r\n\r\nbody\r\n';
      const codes = await halfClose(
        server.port,
        'EHLO relay.test\r\n',
        2,
        `MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nBDAT ${body.length} LAST\r\n${body}QUIT\r\n`,
      );
      expect(codes).toEqual(['220', '250', '250', '250', '250', '221']);
      expect(server.messages.map((m) => [m.from, m.bytes])).toEqual([['a@b.test', body.length]]);
    } finally {
      await server.close();
    }
  });

  it('answers the final dot and QUIT sent with the FIN after DATA', async () => {
    const server = await startSmtpServer();
    try {
      const codes = await halfClose(
        server.port,
        'EHLO relay.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n',
        5,
        'Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n',
      );
      expect(codes).toEqual(['220', '250', '250', '250', '354', '250', '221']);
      expect(server.messages).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('closes its side once what came before a FIN without QUIT is answered', async () => {
    const server = await startSmtpServer();
    try {
      expect(await halfClose(server.port, '', 1, 'EHLO relay.test\r\nNOOP\r\n')).toEqual(['220', '250', '250']);
      await server.idle();
      expect(server.connections()).toBe(0);
    } finally {
      await server.close();
    }
  });
});
