/**
 * The mock FTP server's answer to a transfer whose data connection failed: 426, as RFC 959 §4.2 has it
 * ("426 Connection closed; transfer aborted"), where ftp-srv would say 550 (STOR: `550 read
 * ECONNRESET`), 551 (RETR) or even 226 (LIST: its reply() swallows the data socket's write error).
 *
 *   transfer line ─► ftp-srv handler ─► connection.reply(code ≥ 200) ─► data connection lost? ─► 426
 *                                                                     └─► as ftp-srv said it
 */
import { DataChannel } from './data-channel.js';
import type { Conn } from './internals.js';

/** Transfers the server receives on the data connection (RFC 959 §4.1.3): the peer's FIN is end of file. */
const RECEIVING: ReadonlySet<string> = new Set(['STOR', 'APPE', 'STOU']);
/** Transfers the server sends on the data connection. */
const SENDING: ReadonlySet<string> = new Set(['RETR', 'LIST', 'NLST', 'MLSD']);

/** RFC 959 §4.2's reply for a transfer cut by its data connection. */
export const ABORTED = { code: 426, text: 'Connection closed; transfer aborted.' } as const;

type Reply = Conn['reply'];

/**
 * Makes `connection` answer 426 to a transfer whose data connection failed (see DataChannel.lost);
 * returns the function that runs one command line through ftp-srv under that rule.
 */
export function answerAbortedTransfers(connection: Conn): (line: string) => PromiseLike<unknown> {
  let sending: boolean | undefined;
  const reply: Reply = connection.reply.bind(connection);
  connection.reply = ((options?: unknown, ...letters: unknown[]) => {
    const code = typeof options === 'number' ? options : (options as { code?: number } | undefined)?.code;
    const channel = connection.connector;
    const cut = sending !== undefined && code !== undefined && code >= 200 && channel instanceof DataChannel && channel.lost(sending);
    return cut ? reply(ABORTED.code, ABORTED.text) : (reply as (...args: unknown[]) => PromiseLike<unknown>)(options, ...letters);
  }) as Reply;
  return (line) => {
    const verb = /^\s*(\S+)/.exec(line)?.[1]?.toUpperCase() ?? '';
    sending = RECEIVING.has(verb) ? false : SENDING.has(verb) ? true : undefined;
    const done = (): void => {
      sending = undefined;
    };
    const handled = connection.commands.handle(line);
    return handled.then(done, (error: unknown) => {
      done();
      throw error;
    });
  };
}
