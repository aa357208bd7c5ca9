/**
 * A small SMTP server that offers CHUNKING (RFC 3030) for proxy and probe tests: it frames BDAT by
 * itself (independently of src/protocol), answers 250 to every chunk, 503 to DATA after a BDAT in the
 * same transaction, records every byte it received and each message completed by BDAT LAST or the dot.
 */
import net from 'node:net';

export interface ChunkingServer {
  readonly port: number;
  /** Everything each connection sent, in connection order. */
  readonly received: Buffer[];
  /** Messages completed (BDAT LAST, or the dot after DATA): their sizes in octets. */
  readonly messages: number[];
  close(): Promise<void>;
}

export interface ChunkingOptions {
  /** Offer CHUNKING in the EHLO reply (default true); without it BDAT gets 502. */
  readonly chunking?: boolean;
  /** The reply to each BDAT chunk that is not the last (default `250 2.0.0 chunk ok`). */
  readonly chunkReply?: string;
  /** Close the connection right after answering the first chunk (default false). */
  readonly closeAfterChunk?: boolean;
  /** The reply to DATA after a BDAT in the same transaction (default `503 5.5.1 DATA after BDAT`); a 354 starts DATA. */
  readonly dataAfterBdat?: string;
}

/** Starts the server on 127.0.0.1, port 0. */
export async function startChunkingSmtp(options: ChunkingOptions = {}): Promise<ChunkingServer> {
  const chunking = options.chunking ?? true;
  const received: Buffer[] = [];
  const messages: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const index = received.push(Buffer.alloc(0)) - 1;
    let pending = Buffer.alloc(0);
    /** Octets of chunk data still to read, then whether that chunk was the last. */
    let chunkLeft = 0;
    let chunkLast = false;
    /** Octets of the message so far; undefined outside a BDAT transaction. */
    let bdat: number | undefined;
    let inData = false;
    const reply = (text: string): void => void socket.write(`${text}\r\n`);
    const endChunk = (): void => {
      if (!chunkLast) {
        reply(options.chunkReply ?? '250 2.0.0 chunk ok');
        if (options.closeAfterChunk) socket.end();
        return;
      }
      messages.push(bdat ?? 0);
      bdat = undefined;
      reply('250 2.0.0 queued');
    };
    const command = (line: string): void => {
      const verb = (line.split(' ')[0] ?? '').toUpperCase();
      const bdatLine = /^BDAT (\d+)( LAST)?$/i.exec(line);
      if (verb === 'EHLO') return reply(`250-chunky\r\n250-PIPELINING\r\n${chunking ? '250-CHUNKING\r\n' : ''}250 8BITMIME`);
      if (verb === 'MAIL' || verb === 'RSET') bdat = undefined;
      if (verb === 'BDAT' && bdatLine && chunking) {
        chunkLeft = Number(bdatLine[1]);
        chunkLast = bdatLine[2] !== undefined;
        bdat ??= 0;
        if (chunkLeft === 0) endChunk();
        return;
      }
      const mixed = options.dataAfterBdat ?? '503 5.5.1 DATA after BDAT';
      if (verb === 'DATA' && bdat !== undefined && !mixed.startsWith('354')) return reply(mixed);
      if (verb === 'DATA') {
        inData = true;
        return reply('354 go ahead');
      }
      const replies: Record<string, string> = { MAIL: '250 2.1.0 ok', RCPT: '250 2.1.5 ok', RSET: '250 2.0.0 ok', NOOP: '250 2.0.0 ok', QUIT: '221 2.0.0 bye' };
      reply(replies[verb] ?? (verb === 'BDAT' ? '502 5.5.1 no CHUNKING here' : '500 5.5.2 unknown'));
      if (verb === 'QUIT') socket.end();
    };
    socket.write('220 chunky ESMTP\r\n');
    socket.on('end', () => socket.end());
    socket.on('data', (chunk: Buffer) => {
      received[index] = Buffer.concat([received[index]!, chunk]);
      pending = Buffer.concat([pending, chunk]);
      while (pending.length > 0) {
        if (chunkLeft > 0) {
          const take = Math.min(chunkLeft, pending.length);
          bdat = (bdat ?? 0) + take;
          chunkLeft -= take;
          pending = pending.subarray(take);
          if (chunkLeft === 0) endChunk();
          continue;
        }
        if (inData) {
          const end = Buffer.concat([Buffer.from('\r\n'), pending]).indexOf('\r\n.\r\n');
          if (end === -1) return;
          messages.push(Math.max(0, end));
          pending = pending.subarray(end + 3);
          inData = false;
          reply('250 2.0.0 queued');
          continue;
        }
        const lf = pending.indexOf(0x0a);
        if (lf === -1) return;
        const line = pending.toString('latin1', 0, lf).replace(/\r$/, '');
        pending = pending.subarray(lf + 1);
        command(line);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    messages,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
