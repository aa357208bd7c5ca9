/**
 * The least an SMTP sink written in Node can do: a greeting, 250 to every command, 354 to DATA, the
 * content skipped up to `\r\n.\r\n` with no dot-unstuffing, no hash, no envelope, 221 and a FIN to QUIT.
 * Not a server anyone should use: the bench's floor, which tells what Node's own sockets and streams
 * cost per message (measured here: about smtp-sink's CPU per message) from what smtp-server and the
 * proxy add on top. Enough for smtp-source, which waits for each reply (no pipelining).
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';

const END = Buffer.from('\r\n.\r\n');
const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);

/** Sinks what one connection sends (a TCP socket, or an in-process link's side) until QUIT. */
export function sinkSession(socket: Duplex): void {
  socket.on('error', () => undefined);
  socket.write('220 floor ESMTP\r\n');
  let inData = false;
  /** In content, nothing of it seen yet: the CRLF ending the 354 counts before it (an empty message). */
  let fresh = false;
  /** Commands: an unfinished line. Content: the last octets, where `\r\n.\r\n` may have begun. */
  let held = EMPTY;
  socket.on('data', (chunk: Buffer) => {
    let buf = held.length > 0 ? Buffer.concat([held, chunk]) : chunk;
    held = EMPTY;
    while (buf.length > 0) {
      if (inData) {
        // Content is searched as octets, never turned into a string: a large message costs one scan.
        const from = fresh ? Buffer.concat([CRLF, buf]) : buf;
        const end = from.indexOf(END);
        if (end < 0) {
          held = Buffer.from(buf.subarray(-(END.length - 1)));
          fresh &&= buf.length < END.length - 2; // `.` or `.\r` may still be an empty message
          return;
        }
        inData = false;
        buf = from.subarray(end + END.length);
        socket.write('250 OK\r\n');
        continue;
      }
      const eol = buf.indexOf(CRLF);
      if (eol < 0) {
        held = Buffer.from(buf);
        return;
      }
      const verb = buf.toString('latin1', 0, Math.min(4, eol)).toUpperCase();
      buf = buf.subarray(eol + 2);
      if (verb === 'QUIT') return void socket.end('221 Bye\r\n');
      inData = fresh = verb === 'DATA';
      socket.write(inData ? '354 End data with <CR><LF>.<CR><LF>\r\n' : '250 OK\r\n');
    }
  });
}

/** Listens on 127.0.0.1 port 0 and sinks every message; resolves with the port and a close. */
export async function startMinSink(): Promise<{ readonly port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    sinkSession(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
