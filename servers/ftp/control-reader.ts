/**
 * The mock FTP server's command line reader. ftp-srv splits each TCP chunk on CRLF as it comes, so a
 * command split across chunks fails ('US' + 'ER x' gives two 502s) and chunks run concurrently: lines
 * are reassembled here and run in order. An AUTH TLS that upgrades the control connection stops the
 * plaintext reading at once (what follows it is the client's TLS handshake) and the reading goes on, on
 * the TLS socket, after the 234.
 *
 * A client that sends commands faster than it reads the replies (pipelining without end, or a reader
 * stalled) is read no further while MAX_QUEUED lines wait for their turn or MAX_UNSENT octets of
 * replies wait for it to read them, as a server reading a line at a time (vsftpd) stops reading: the
 * mock grew by gigabytes otherwise (3 million NOOPs sent without reading: 1.7 GB).
 *
 *   chunk ─► lines (Telnet IP/Synch stripped) ─► queue ─► answer(line), one at a time
 *              ├ AUTH TLS ─► stop, unread the rest ─► queue: 234, TLS socket ─► read it the same way
 *              └ queue full, or replies unread ─► pause until both have room again
 */
import type { Socket } from 'node:net';
import { stripTelnet } from '../../src/protocol/telnet.js';
import type { FtpsSession } from './ftps.js';
import { MAX_LINE, type Conn } from './internals.js';

/**
 * Command lines waiting for their turn at most: further lines wait, unread. Enough that pipelining as
 * clients do it never waits here (taking lines one by one as others finish cost 25% more per command).
 */
export const MAX_QUEUED = 1024;

/** Octets of replies the client has not read yet (still in the socket's buffer) before lines wait, unread. */
export const MAX_UNSENT = 64 * 1024;

/** Reads `connection`'s command lines from `socket` and runs `answer` on each, in order. */
export function readCommands(connection: Conn, socket: Socket, answer: (text: string) => PromiseLike<unknown>, ftps?: FtpsSession): void {
  let queue: Promise<unknown> = Promise.resolve();
  let queued = 0;
  /** Takes lines off what was read while there is room; set by `read` for the socket read now. */
  let take = (): void => undefined;
  /** A job ended, whether or not it failed: room for one more line. */
  const ended = (): void => {
    queued--;
    take();
  };
  const run = (job: () => PromiseLike<unknown>): void => {
    queued++;
    queue = queue.then(job).then(ended, ended);
  };
  const read = (from: Socket): void => {
    let pending: Buffer = Buffer.alloc(0);
    /**
     * Paused here for want of room. ftp-srv pauses the control connection during a transfer and resumes
     * it at the end, whatever this reader did: a resume by either lets the next chunk in, and a reader
     * still short of room pauses it again there.
     */
    let throttled = false;
    let draining = false;
    const wait = (): void => {
      from.pause();
      throttled = true;
      if (from.writableLength <= MAX_UNSENT || draining) return; // else the next job to finish takes again
      draining = true;
      from.once('drain', () => {
        draining = false;
        take();
      });
    };
    take = (): void => {
      for (;;) {
        if (queued >= MAX_QUEUED || from.writableLength > MAX_UNSENT) return wait();
        const end = pending.indexOf(0x0a);
        if (end === -1) break;
        // A client aborting sends Telnet IP and Synch before ABOR (RFC 959 §4.1.3): ftp-srv knows no Telnet.
        // A copy: a line waiting its turn does not keep the chunk it came in.
        const line = Buffer.from(stripTelnet(pending.subarray(0, end)));
        pending = pending.subarray(end + 1);
        // AUTH is ASCII; other lines are decoded when their turn comes (after an OPTS UTF8 before them).
        const auth = line.toString('latin1').replace(/\r$/, '');
        if (ftps?.upgrades(auth)) {
          // RFC 4217 §4: the TLS negotiation follows the 234; nothing after AUTH is a command in clear.
          take = () => undefined;
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
      if (throttled && !from.destroyed) {
        throttled = false;
        from.resume();
      }
    };
    const onData = (chunk: Buffer): void => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      take();
    };
    from.on('data', onData);
  };
  read(socket);
}
