/**
 * The mock FTP server's command line reader. ftp-srv splits each TCP chunk on CRLF as it comes, so a
 * command split across chunks fails ('US' + 'ER x' gives two 502s) and chunks run concurrently: lines
 * are reassembled here and run in order. An AUTH TLS that upgrades the control connection stops the
 * plaintext reading at once (what follows it is the client's TLS handshake) and the reading goes on, on
 * the TLS socket, after the 234.
 *
 *   chunk ─► lines (Telnet IP/Synch stripped) ─► queue ─► answer(line), one at a time
 *              └ AUTH TLS ─► stop, unread the rest ─► queue: 234, TLS socket ─► read it the same way
 */
import type { Socket } from 'node:net';
import { stripTelnet } from '../../src/protocol/telnet.js';
import type { FtpsSession } from './ftps.js';
import { MAX_LINE, type Conn } from './internals.js';

/** Reads `connection`'s command lines from `socket` and runs `answer` on each, in order. */
export function readCommands(connection: Conn, socket: Socket, answer: (text: string) => PromiseLike<unknown>, ftps?: FtpsSession): void {
  let queue: Promise<unknown> = Promise.resolve();
  const run = (job: () => PromiseLike<unknown>): void => void (queue = queue.then(job).then(undefined, () => undefined));
  const read = (from: Socket): void => {
    let pending = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      pending = Buffer.concat([pending, chunk]);
      for (let end = pending.indexOf(0x0a); end >= 0; end = pending.indexOf(0x0a)) {
        // A client aborting sends Telnet IP and Synch before ABOR (RFC 959 §4.1.3): ftp-srv knows no Telnet.
        const line = stripTelnet(pending.subarray(0, end));
        pending = pending.subarray(end + 1);
        // AUTH is ASCII; other lines are decoded when their turn comes (after an OPTS UTF8 before them).
        const auth = line.toString('latin1').replace(/\r$/, '');
        if (ftps?.upgrades(auth)) {
          // RFC 4217 §4: the TLS negotiation follows the 234; nothing after AUTH is a command in clear.
          from.off('data', onData).pause();
          if (pending.length > 0) from.unshift(pending);
          return run(async () => read(await ftps.upgrade(connection, auth)));
        }
        run(() => {
          const text = line.toString(connection.encoding).replace(/\r$/, '');
          return text.trim() === '' ? Promise.resolve() : answer(text);
        });
      }
      if (pending.length > MAX_LINE) {
        pending = Buffer.alloc(0);
        run(() => connection.reply(500, 'Command line too long'));
      }
    };
    from.on('data', onData);
  };
  read(socket);
}
