/**
 * A minimal SMTP server for the probe's transaction checks, with the defects they look for, each off by
 * default: `finDelivers` takes a FIN inside DATA as the end of the message (250 and a delivery);
 * `diesOnReset` stops listening after a reset inside DATA; `maxLine` meets a command line longer than
 * `octets` (CRLF included) with `500 Line too long` (`then: 'reply'`) or a silent close (`'close'`);
 * `rcptLimit` answers RCPT past the first `n` with `code`; `maxTextLine` refuses a message with a text
 * line longer than that (CRLF included) at its end, with 554, and does not deliver it;
 * `noopTakesNoParameter` answers NOOP with any parameter with 500, as OpenSMTPD does.
 */
import net from 'node:net';

export interface TinyDefects {
  readonly finDelivers?: boolean;
  readonly diesOnReset?: boolean;
  readonly maxLine?: { readonly octets: number; readonly then: 'reply' | 'close' };
  readonly rcptLimit?: { readonly n: number; readonly code: number };
  readonly maxTextLine?: number;
  /** NOOP with any parameter gets 500, as OpenSMTPD answers it (`close`: the connection closed instead). */
  readonly noopTakesNoParameter?: boolean | 'close';
}

export interface TinySmtp {
  readonly port: number;
  delivered(): number;
  close(): Promise<void>;
}

export async function startTinySmtp(defects: TinyDefects): Promise<TinySmtp> {
  let delivered = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = '';
    let inData = false;
    let tooLong = false;
    let rcpts = 0;
    socket.on('error', () => {
      if (inData && defects.diesOnReset) server.close();
    });
    socket.on('end', () => {
      if (inData && defects.finDelivers) {
        delivered++;
        socket.end('250 queued\r\n');
      } else socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let at = buffer.indexOf('\r\n'); at !== -1; at = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            if (tooLong) socket.write('554 5.6.0 Message has a line too long\r\n');
            else {
              delivered++;
              socket.write('250 queued\r\n');
            }
          } else if (defects.maxTextLine && line.length + 2 > defects.maxTextLine) tooLong = true;
          continue;
        }
        if (defects.maxLine && line.length + 2 > defects.maxLine.octets) {
          if (defects.maxLine.then === 'close') return void socket.destroy();
          socket.write('500 5.5.0 Line too long\r\n');
          continue;
        }
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') socket.write('250-tiny.test\r\n250 8BITMIME\r\n');
        else if (verb === 'MAIL' || verb === 'RSET') {
          rcpts = 0;
          socket.write('250 ok\r\n');
        } else if (verb === 'RCPT') {
          rcpts++;
          socket.write(defects.rcptLimit && rcpts > defects.rcptLimit.n ? `${defects.rcptLimit.code} 4.5.3 Too many recipients\r\n` : '250 ok\r\n');
        } else if (verb === 'DATA') {
          inData = true;
          tooLong = false;
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else if (verb === 'NOOP' && line.length > 4 && defects.noopTakesNoParameter === 'close') return void socket.destroy();
        else if (verb === 'NOOP' && line.length > 4 && defects.noopTakesNoParameter)
          socket.write('500 5.5.4 Invalid command arguments: command does not accept arguments.\r\n');
        else socket.write('250 ok\r\n');
      }
    });
    socket.write('220 tiny.test ESMTP\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    delivered: () => delivered,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
