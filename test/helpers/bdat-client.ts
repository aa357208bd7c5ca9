/**
 * A small SMTP client that sends its message in BDAT chunks (RFC 3030), CHUNKING offered or not,
 * for tests of the BDAT scenarios (no client in the matrix sends BDAT): EHLO, MAIL, RCPT, then each
 * chunk written and its reply awaited, the last as BDAT LAST, then QUIT. It reports like an in-process
 * client: socket codes, a failure reply's code, ETIMEDOUT past the job's socket timeout.
 */
import net from 'node:net';
import type { ClientReport, SmtpClientAdapter, SmtpJob } from '../../src/clients/types.js';

/** Octets per chunk: not a multiple of 64 KiB, so a cut after 64 KiB lands inside a chunk. */
const CHUNK = 100_000;

class Failure extends Error {
  constructor(readonly report: ClientReport) {
    super('failed');
  }
}

async function send(job: SmtpJob, signal: AbortSignal): Promise<ClientReport> {
  const socket = net.connect({ host: job.host, port: job.port });
  let text = '';
  let waiter: (() => void) | undefined;
  let ended: ClientReport | undefined;
  const fail = (report: ClientReport): void => {
    ended ??= report;
    waiter?.();
  };
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    waiter?.();
  });
  socket.on('error', (error: NodeJS.ErrnoException) => fail({ ok: false, error: { code: error.code ?? 'ESOCKET', message: error.message } }));
  socket.on('end', () => fail({ ok: false, error: { code: 'ECLOSED', message: 'the server closed the connection' } }));
  socket.setTimeout(job.timeouts.socket, () => fail({ ok: false, error: { code: 'ETIMEDOUT', message: 'no reply in time' } }));
  signal.addEventListener('abort', () => socket.destroy(), { once: true });
  /** The next whole reply's code (multi-line replies joined); a code >= 400 fails the send. */
  const reply = async (command: string): Promise<number> => {
    for (;;) {
      const match = /^(\d{3}) [^\n]*\n/m.exec(text);
      if (match) {
        text = text.slice(match.index + match[0].length);
        const code = Number(match[1]);
        if (code >= 400) throw new Failure({ ok: false, error: { responseCode: code, command, message: match[0].trim() } });
        return code;
      }
      if (ended) throw new Failure(ended);
      await new Promise<void>((resolve) => (waiter = resolve));
    }
  };
  const write = (data: string | Buffer): void => {
    if (!socket.destroyed) socket.write(data);
  };
  try {
    await reply('CONN');
    write('EHLO bdat.test\r\n');
    await reply('EHLO');
    write(`MAIL FROM:<${job.from}>\r\n`);
    await reply('MAIL');
    for (const to of job.to) {
      write(`RCPT TO:<${to}>\r\n`);
      await reply('RCPT');
    }
    const message = job.content.bytes();
    for (let at = 0; at < message.length || at === 0; at += CHUNK) {
      const part = message.subarray(at, at + CHUNK);
      const last = at + CHUNK >= message.length;
      write(Buffer.concat([Buffer.from(`BDAT ${part.length}${last ? ' LAST' : ''}\r\n`), part]));
      await reply(last ? 'BDAT LAST' : 'BDAT');
      if (last) break;
    }
    write('QUIT\r\n');
    await reply('QUIT').catch(() => 221);
    return { ok: true, detail: 'BDAT LAST got 250' };
  } catch (error) {
    if (error instanceof Failure) return error.report;
    throw error;
  } finally {
    socket.destroy();
  }
}

/** The BDAT test client. */
export const bdatClient: SmtpClientAdapter = {
  name: 'bdat-test',
  protocol: 'smtp',
  description: 'a test client that sends BDAT chunks',
  sendsBdat: true,
  run: send,
};
