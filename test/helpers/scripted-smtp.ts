/**
 * A tiny scripted SMTP peer for proxy tests: answers every command with a fixed reply, records every
 * byte it received, and knows the end of data by itself (independently of src/protocol).
 */
import net from 'node:net';

export interface ScriptedServer {
  readonly port: number;
  /** Everything each connection sent, in connection order. */
  readonly received: Buffer[];
  /** Messages completed with the final dot: their body sizes. */
  readonly bodies: number[];
  close(): Promise<void>;
}

const REPLIES: Record<string, string> = {
  EHLO: '250-scripted\r\n250-PIPELINING\r\n250 SIZE 100000000\r\n',
  HELO: '250 scripted\r\n',
  MAIL: '250 2.1.0 ok\r\n',
  RCPT: '250 2.1.5 ok\r\n',
  DATA: '354 go ahead\r\n',
  RSET: '250 ok\r\n',
  NOOP: '250 ok\r\n',
  QUIT: '221 bye\r\n',
};

/** Starts the scripted server on 127.0.0.1, port 0. */
export async function startScriptedSmtp(): Promise<ScriptedServer> {
  const received: Buffer[] = [];
  const bodies: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const index = received.push(Buffer.alloc(0)) - 1;
    let text = '';
    let inBody = false;
    let body = '';
    socket.write('220 scripted ESMTP\r\n');
    socket.on('end', () => socket.end());
    socket.on('data', (chunk: Buffer) => {
      received[index] = Buffer.concat([received[index]!, chunk]);
      text += chunk.toString('latin1');
      for (;;) {
        if (inBody) {
          const end = `\r\n${body}${text}`.indexOf('\r\n.\r\n');
          if (end === -1) {
            body += text;
            text = '';
            return;
          }
          // The CRLF before the dot belongs to the body; '.\r\n' follows it.
          const all = body + text;
          bodies.push(end);
          text = all.slice(end + 3);
          body = '';
          inBody = false;
          socket.write('250 2.0.0 queued\r\n');
          continue;
        }
        const lf = text.indexOf('\n');
        if (lf === -1) return;
        const line = text.slice(0, lf).trim();
        text = text.slice(lf + 1);
        const verb = line.split(' ')[0]!.toUpperCase();
        socket.write(REPLIES[verb] ?? '500 unknown\r\n');
        if (verb === 'DATA') inBody = true;
        if (verb === 'QUIT') socket.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    received,
    bodies,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
