/**
 * One SMTP session a bench holds open across its runs, as a pooled client holds its connection: each
 * `send(n)` sends n messages in it (about 10 KB each, as smtp-source's `-l 10240`), one at a time,
 * each waiting for its 250. What a server keeps per message of a session still open shows between two
 * sends. A session the server ended, or a reply that does not come within REPLY_BOUND_MS, fails the
 * send (and the bench) instead of hanging it.
 */
import net from 'node:net';

export interface HeldSession {
  send(messages: number): Promise<void>;
  /** QUIT, then close; at once if the session already failed. */
  close(): Promise<void>;
}

/** About 10 KB: a header, 127 lines of 78 octets and CRLF, the end of data. */
const MESSAGE = Buffer.from(`Subject: held session\r\n\r\n${`${'x'.repeat(78)}\r\n`.repeat(127)}.\r\n`, 'latin1');

/** Longer than any reply of a live server takes, even on a loaded machine. */
const REPLY_BOUND_MS = 30_000;

export async function holdSession(port: number): Promise<HeldSession> {
  const socket = net.connect({ host: '127.0.0.1', port });
  let partial = '';
  const waiting: ((reply: string) => void)[] = [];
  let failure: Error | undefined;
  const fail = (error: Error): void => {
    failure ??= error;
    for (const wake of waiting.splice(0)) wake('');
  };
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('the server closed the held session')));
  socket.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('latin1')).split('\r\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line[3] !== '-') waiting.shift()?.(line);
  });
  const reply = async (code: string): Promise<void> => {
    if (failure) throw failure;
    const timer = setTimeout(() => fail(new Error(`held session: no reply within ${REPLY_BOUND_MS} ms`)), REPLY_BOUND_MS);
    const line = await new Promise<string>((resolve) => waiting.push(resolve)).finally(() => clearTimeout(timer));
    if (failure) throw failure;
    if (!line.startsWith(code)) throw new Error(`held session: expected ${code}, got ${JSON.stringify(line)}`);
  };
  const step = (command: string | Buffer, code: string): Promise<void> => {
    const answered = reply(code);
    socket.write(command);
    return answered;
  };
  try {
    await reply('220');
    await step('EHLO bench.localhost\r\n', '250');
  } catch (error) {
    socket.destroy();
    throw error;
  }
  return {
    async send(messages) {
      for (let i = 0; i < messages; i++) {
        await step('MAIL FROM:<a@bench.localhost>\r\n', '250');
        await step('RCPT TO:<b@bench.localhost>\r\n', '250');
        await step('DATA\r\n', '354');
        await step(MESSAGE, '250');
      }
    },
    async close() {
      if (!failure) await step('QUIT\r\n', '221').catch(() => undefined);
      socket.destroy();
    },
  };
}
