import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { describe, expect, it } from 'vitest';
import { feedDataStream } from '../../servers/smtp/data-scan.js';

/** A function's source without comments and with whitespace collapsed: what it does, not how it is laid out. */
const code = (f: (...args: never[]) => unknown): string =>
  f
    .toString()
    .replace(/\/\/[^\n]*/g, '')
    .replace(/\s+/g, ' ')
    .trim();

/** SHA-256 of SMTPStream._feedDataStream's code() in smtp-server 3.21.6, whose results ../../servers/smtp/data-scan.ts keeps. */
const DATA_LOOP_SHA256 = '102f79c23db8756f7730e9d7735e3ed18cd99f898b9f4ce5a852d2e94fe3c7d3';

/** What an SMTPStream made of one DATA: the body, its octet count, the size verdict, and the commands after it. */
interface Parsed {
  readonly body: string;
  readonly bytes: number;
  readonly byteLength: number;
  readonly sizeExceeded: boolean;
  readonly commands: string[];
}

/** What an SMTPStream in DATA mode (limit `maxBytes`, 0: none) makes of `chunks`; smtp-server's own loop without `feed`. */
async function parse(chunks: readonly Buffer[], feed?: typeof feedDataStream, maxBytes = 0): Promise<Parsed> {
  const parser = new SMTPStream();
  if (feed) parser._feedDataStream = feed;
  const commands: string[] = [];
  parser.oncommand = (command: Buffer, callback?: () => void) => {
    commands.push(command.toString('latin1'));
    callback?.();
  };
  const body: Buffer[] = [];
  const data = parser.startDataMode(maxBytes);
  data.on('data', (chunk: Buffer) => body.push(chunk));
  data.on('end', () => parser.continue());
  for (const chunk of chunks) parser.write(chunk);
  await new Promise((resolve) => parser.end(resolve));
  const { byteLength, sizeExceeded } = data;
  return { body: Buffer.concat(body).toString('latin1'), bytes: parser.dataBytes, byteLength, sizeExceeded, commands };
}

/** `text` in latin1, cut before each offset of `cuts` (taken modulo its length + 1). */
function cut(text: string, cuts: readonly number[]): Buffer[] {
  const whole = Buffer.from(text, 'latin1');
  const at = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
  return [0, ...at].map((start, i) => whole.subarray(start, [...at, whole.length][i])).filter((c) => c.length > 0);
}

/** `text` in latin1, one chunk per octet. */
const octets = (text: string): Buffer[] => [...Buffer.from(text, 'latin1')].map((o) => Buffer.from([o]));

/** Parses `chunks` with feedDataStream and with smtp-server's own loop, expects both alike, returns the result. */
async function alike(chunks: readonly Buffer[], maxBytes = 0): Promise<Parsed> {
  const ours = await parse(chunks, feedDataStream, maxBytes);
  expect(ours).toEqual(await parse(chunks, undefined, maxBytes));
  return ours;
}

describe('feedDataStream', () => {
  // A changed original must be read again: feedDataStream keeps what this method makes of a message.
  it('stands in for a DATA loop that is still the one it was written against (smtp-server 3.21.6)', () => {
    expect(createHash('sha256').update(code(SMTPStream.prototype._feedDataStream)).digest('hex')).toBe(DATA_LOOP_SHA256);
  });

  it('cuts any message, however it is split into chunks, as smtp-server does: body, octet counts, commands after', async () => {
    const piece = fc.constantFrom('.', '..', '...', '\r', '\n', '\r\n', '\r\n.', '.\r\n', '\r\n.\r\n', '\r\n..', '\n.', '\n..', '\n.\r\n', 'a', 'bc');
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 12 }), async (pieces, cuts) => {
        await alike(cut(`${pieces.join('')}\r\n.\r\nQUIT\r\n`, cuts));
      }),
      { numRuns: 400 },
    );
  });

  it('cuts messages of any octets, and a DATA ended at its very start, as smtp-server does', async () => {
    const octet = fc.constantFrom(0x2e, 0x0d, 0x0a, 0x61, 0x00, 0xff);
    await fc.assert(
      fc.asyncProperty(fc.array(octet, { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 20 }), async (content, cuts) => {
        await alike(cut(`${Buffer.from(content).toString('latin1')}\r\n.\r\nNOOP\r\n`, cuts));
      }),
      { numRuns: 400 },
    );
    for (const text of ['.\r\nNOOP\r\n', '..\r\n.\r\nNOOP\r\n', '.x\r\n.\r\n', '\n..\r\n.\r\n', '\r\n.\r\n']) {
      await alike(octets(text));
      await alike([Buffer.from(text, 'latin1')]);
    }
  });

  it('drops an escape dot that a chunk boundary separates from its line start or from the dot it escapes', async () => {
    for (const chunks of [
      ['a\r\n', '..b\r\n.\r\n'],
      ['a\r\n.', '.b\r\n.\r\n'],
      ['a\r\n..', 'b\r\n.\r\n'],
      ['a\r', '\n..b\r\n.\r\n'],
    ]) {
      const parsed = await alike(chunks.map((c) => Buffer.from(c, 'latin1')));
      expect(parsed.body).toBe('a\r\n.b\r\n');
      expect(parsed.bytes).toBe(7);
    }
    // Every line escaped, one octet a chunk.
    const parsed = await alike(octets('..\r\n..x\r\n...\r\n.\r\n'));
    expect(parsed.body).toBe('.\r\n.x\r\n..\r\n');
  });

  it('ends the message at a CRLF.CRLF split anywhere across chunks, the commands after it back in command mode', async () => {
    const text = 'x\r\n.\r\nNOOP\r\nQUIT\r\n';
    for (let at = 1; at < text.length; at++) {
      const parsed = await alike([text.slice(0, at), text.slice(at)].map((c) => Buffer.from(c, 'latin1')));
      expect(parsed).toMatchObject({ body: 'x\r\n', bytes: 3, commands: ['NOOP', 'QUIT'] });
    }
  });

  it('takes a dot after a bare LF for a line start (escape dots dropped) but ends the message only at CRLF.CRLF', async () => {
    const parsed = await alike([Buffer.from('a\n..b\n.\r\nc\r\n.\r\n', 'latin1')]);
    expect(parsed.body).toBe('a\n.b\n.\r\nc\r\n');
    expect(await alike(octets('a\n..b\n.\r\nc\r\n.\r\n'))).toEqual(parsed);
  });

  it('counts the content, escape dots excluded, against the size limit: at the limit it is not exceeded, one over it is', async () => {
    // 10 octets of content, 12 on the wire: two escape dots.
    const atLimit = '..abc\r\n..d\r\n';
    expect(Buffer.byteLength(atLimit.replace(/^\.|\n\./g, (m) => m.slice(0, -1)))).toBe(10);
    for (const chunks of [[`${atLimit}.\r\n`], octets(`${atLimit}.\r\n`)]) {
      const at = await alike(
        chunks.map((c) => Buffer.from(c)),
        10,
      );
      expect(at).toMatchObject({ bytes: 10, byteLength: 10, sizeExceeded: false });
      const over = await alike([Buffer.from('..abc\r\n..dx\r\n.\r\n')], 10);
      expect(over).toMatchObject({ bytes: 11, byteLength: 11, sizeExceeded: true });
    }
  });

  it('drops the escape dots of a large body full of them in one pass, with the content intact', async () => {
    const line = `.${'y'.repeat(70)}\r\n`;
    const content = line.repeat(20_000);
    const wire = Buffer.from(`.${content.replaceAll('\r\n.', '\r\n..')}.\r\n`, 'latin1');
    const chunks: Buffer[] = [];
    for (let at = 0; at < wire.length; at += 65_536) chunks.push(wire.subarray(at, at + 65_536));
    const parsed = await parse(chunks, feedDataStream);
    expect(parsed.bytes).toBe(content.length);
    expect(parsed.body === content).toBe(true);
  });
});
