/**
 * The mock SMTP server's CHUNKING knob (RFC 3030): BDAT chunks read by exact octet count, however the
 * conversation is cut into TCP writes; the message handed to the same sink as DATA, recorded once when
 * BDAT LAST gets 250; 503 for BDAT without MAIL or RCPT, after a failed chunk, and for DATA after BDAT.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startSmtpServer, type SmtpServerHandle, type SmtpServerOptions } from '../../servers/smtp.js';
import { smtpChunkingGroup } from '../../src/probe/smtp-chunking.js';
import { parseTarget } from '../../src/probe/target.js';
import { DEFAULT_PROBE_LIMITS } from '../../src/probe/types.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Starts a server, runs `body` with it, and always closes it. */
async function withServer(options: SmtpServerOptions, body: (server: SmtpServerHandle) => Promise<void>): Promise<void> {
  const server = await startSmtpServer(options);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

/**
 * Sends `conversation` pipelined, in pieces cut at `cuts` (offsets, each written once the one before
 * was flushed), and resolves with every reply line's code (the last line of a multi-line reply) once
 * the server closes the connection; `until` ends it early once that many replies are in.
 */
async function converse(port: number, conversation: Buffer, cuts: readonly number[] = [], until?: number): Promise<string[]> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  let text = '';
  const replies: string[] = [];
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    let end: number;
    while ((end = text.indexOf('\r\n')) >= 0) {
      const line = text.slice(0, end);
      text = text.slice(end + 2);
      if (line[3] !== '-') replies.push(line.slice(0, 3));
    }
    if (until !== undefined && replies.length >= until) socket.end();
  });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const points = [...new Set(cuts)].filter((c) => c > 0 && c < conversation.length).sort((a, b) => a - b);
  let from = 0;
  for (const to of [...points, conversation.length]) {
    if (socket.destroyed) break;
    await new Promise<void>((resolve) => socket.write(conversation.subarray(from, to), () => resolve()));
    from = to;
  }
  await closed;
  return replies;
}

/** Command lines and chunk octets, end to end. */
const wire = (...parts: (string | Buffer)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));

const HEAD = 'EHLO raw.test\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n';

describe('mock SMTP server, chunking: on', () => {
  it('offers CHUNKING only when on; off answers BDAT as an unknown command (500)', async () => {
    for (const chunking of ['on', 'off'] as const) {
      await withServer({ chunking }, async (server) => {
        const socket = net.connect(server.port, '127.0.0.1');
        let text = '';
        socket.setEncoding('latin1');
        socket.on('data', (c: string) => void (text += c));
        socket.write('EHLO raw.test\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nBDAT 0 LAST\r\nQUIT\r\n');
        await new Promise((resolve) => socket.once('close', resolve));
        expect(text.includes('250-CHUNKING\r\n') || text.includes('250 CHUNKING\r\n')).toBe(chunking === 'on');
        expect(text).toMatch(chunking === 'on' ? /\r\n250 OK: message queued\r\n221 / : /\r\n500 Error: command not recognized\r\n221 /);
        expect(server.accepted()).toBe(chunking === 'on' ? 1 : 0);
      });
    }
  });

  it('records a message sent in chunks exactly, however the pipelined conversation is cut into writes', async () => {
    await withServer({ chunking: 'on' }, async (server) => {
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ minLength: 0, maxLength: 3000 }),
          fc.array(fc.nat(3000), { maxLength: 4 }),
          fc.boolean(),
          fc.array(fc.nat(4000), { maxLength: 12 }),
          async (bytes, splits, zeroLast, cuts) => {
            // Binary content with the DATA terminator and a dot line in it: BDAT has no dot-stuffing.
            const content = wire(Buffer.from(bytes), '\r\n.\r\nQUIT\r\n..\r\n');
            const offsets = [...new Set(splits.map((s) => s % (content.length + 1)))].sort((a, b) => a - b);
            const chunks: Buffer[] = [];
            let from = 0;
            for (const at of offsets) {
              chunks.push(content.subarray(from, at));
              from = at;
            }
            chunks.push(content.subarray(from));
            const parts: (string | Buffer)[] = [HEAD];
            chunks.forEach((chunk, i) => {
              const last = i === chunks.length - 1 && !zeroLast;
              parts.push(`BDAT ${chunk.length}${last ? ' LAST' : ''}\r\n`, chunk);
            });
            if (zeroLast) parts.push('BDAT 0 LAST\r\n');
            parts.push('QUIT\r\n');
            const before = server.accepted();
            const replies = await converse(server.port, wire(...parts), cuts);
            const bdats = chunks.length + (zeroLast ? 1 : 0);
            expect(replies).toEqual(['220', '250', '250', '250', ...Array<string>(bdats).fill('250'), '221']);
            expect(server.accepted()).toBe(before + 1);
            const message = server.messages.at(-1)!;
            expect(message).toMatchObject({ from: 'a@example.test', to: ['b@example.test'], bytes: content.length, sha256: sha256(content) });
          },
        ),
        { numRuns: 40 },
      );
    });
  });

  it('keeps the DATA path as it was: a BDAT message, then a DATA message, in one session', async () => {
    await withServer({ chunking: 'on' }, async (server) => {
      const replies = await converse(
        server.port,
        wire(HEAD, 'BDAT 5 LAST\r\n', 'hello', 'MAIL FROM:<c@example.test>\r\nRCPT TO:<d@example.test>\r\nDATA\r\n', '..x\r\nline\r\n.\r\nQUIT\r\n'),
      );
      expect(replies).toEqual(['220', '250', '250', '250', '250', '250', '250', '354', '250', '221']);
      expect(server.messages.map((m) => [m.from, m.bytes, m.sha256, m.session])).toEqual([
        ['a@example.test', 5, sha256(Buffer.from('hello')), 1],
        ['c@example.test', 10, sha256(Buffer.from('.x\r\nline\r\n')), 1],
      ]);
    });
  });

  it('answers 503 to BDAT without MAIL and without RCPT, and reads its octets as chunk data, never as commands', async () => {
    await withServer({ chunking: 'on' }, async (server) => {
      const replies = await converse(
        server.port,
        wire('EHLO raw.test\r\nBDAT 6\r\n', 'QUIT\r\n', 'MAIL FROM:<a@example.test>\r\nBDAT 6 LAST\r\n', 'QUIT\r\n', 'QUIT\r\n'),
      );
      expect(replies).toEqual(['220', '250', '503', '250', '503', '221']);
      expect(server.accepted()).toBe(0);
    });
  });

  it('takes BDAT 0 LAST as the end of a message (an empty one when alone)', async () => {
    await withServer({ chunking: 'on' }, async (server) => {
      const replies = await converse(server.port, wire(HEAD, 'BDAT 0 LAST\r\nQUIT\r\n'));
      expect(replies).toEqual(['220', '250', '250', '250', '250', '221']);
      expect(server.messages).toMatchObject([{ bytes: 0, sha256: sha256(Buffer.alloc(0)) }]);
    });
  });

  it('answers 503 to DATA after a BDAT of the same transaction and to BDAT after BDAT LAST; RSET clears the chunks', async () => {
    await withServer({ chunking: 'on' }, async (server) => {
      const replies = await converse(
        server.port,
        wire(
          HEAD,
          'BDAT 3\r\n',
          'abc',
          'DATA\r\nRSET\r\n',
          'MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nBDAT 2 LAST\r\n',
          'xy',
          'BDAT 1\r\n',
          'z',
          'QUIT\r\n',
        ),
      );
      expect(replies).toEqual(['220', '250', '250', '250', '250', '503', '250', '250', '250', '250', '503', '221']);
      expect(server.messages).toMatchObject([{ bytes: 2, sha256: sha256(Buffer.from('xy')) }]);
    });
  });

  it('answers 552 to the chunk that passes the size limit, 503 to every later chunk until RSET, and records nothing', async () => {
    await withServer({ chunking: 'on', sizeLimit: 100 }, async (server) => {
      const big = Buffer.alloc(60, 0x61);
      const replies = await converse(
        server.port,
        wire(
          HEAD,
          'BDAT 60\r\n',
          big,
          'BDAT 60\r\n',
          big,
          'BDAT 10 LAST\r\n',
          big.subarray(0, 10),
          'RSET\r\n',
          HEAD.slice(15),
          'BDAT 100 LAST\r\n',
          Buffer.alloc(100, 0x62),
          'QUIT\r\n',
        ),
      );
      expect(replies).toEqual(['220', '250', '250', '250', '250', '552', '503', '250', '250', '250', '250', '221']);
      expect(server.messages).toMatchObject([{ bytes: 100, sha256: sha256(Buffer.alloc(100, 0x62)) }]);
    });
  });

  it('answers 501 to a BDAT without a chunk size', async () => {
    await withServer({ chunking: 'on' }, async (server) => {
      const replies = await converse(server.port, wire(HEAD, 'BDAT\r\nBDAT x LAST\r\nBDAT 1 LAST MORE\r\nQUIT\r\n'));
      expect(replies).toEqual(['220', '250', '250', '250', '501', '501', '501', '221']);
      expect(server.accepted()).toBe(0);
    });
  });

  it('records nothing of a message whose client leaves inside a chunk, and settles idle', async () => {
    await withServer({ chunking: 'on', spool: 'on' }, async (server) => {
      const replies = await converse(server.port, wire(HEAD, 'BDAT 4\r\n', 'abcd', 'BDAT 100 LAST\r\n', 'half'), [], 5);
      expect(replies).toEqual(['220', '250', '250', '250', '250']);
      await server.idle();
      expect(server.accepted()).toBe(0);
    });
  });

  it('spools a chunked message octet for octet before its 250', async () => {
    await withServer({ chunking: 'on', spool: 'on' }, async (server) => {
      await converse(server.port, wire(HEAD, 'BDAT 7\r\n', 'line1\r\n', 'BDAT 4 LAST\r\n', '.\r\n.', 'QUIT\r\n'));
      expect(readFileSync(server.messages[0]!.spooled!, 'latin1')).toBe('line1\r\n.\r\n.');
    });
  });

  it('passes the probe check smtp.chunking, without --send (nothing delivered) and with it (one message in two chunks)', async () => {
    await withServer({ chunking: 'on' }, async (server) => {
      const target = parseTarget(`smtp://127.0.0.1:${server.port}`);
      const [dry] = await smtpChunkingGroup(target, { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: 5_000 });
      expect(dry).toMatchObject({ id: 'smtp.chunking', status: 'pass' });
      expect(dry!.advice).toMatch(/DATA after a BDAT in the same transaction got 503/);
      expect(server.accepted()).toBe(0);
      const [sent] = await smtpChunkingGroup(target, { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: 5_000, send: true });
      expect(sent).toMatchObject({ id: 'smtp.chunking', status: 'pass' });
      expect(sent!.advice).toMatch(/Both chunks got 250/);
      expect(server.messages).toMatchObject([{ bytes: 77 + 53 }]);
    });
  });

  it('is skipped by the probe check smtp.chunking when off (the default)', async () => {
    await withServer({}, async (server) => {
      const [result] = await smtpChunkingGroup(parseTarget(`smtp://127.0.0.1:${server.port}`), { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: 5_000 });
      expect(result).toMatchObject({ id: 'smtp.chunking', status: 'skip' });
    });
  });
});
