/**
 * `smtp.chunking` (RFC 3030 §2) against a small server that offers CHUNKING (test/helpers/chunking-smtp.ts):
 * 250 per chunk and 503 to DATA after a BDAT pass; a message is delivered only with --send.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { smtpChunkingGroup } from '../../src/probe/smtp-chunking.js';
import { parseTarget } from '../../src/probe/target.js';
import { DEFAULT_PROBE_LIMITS, type ProbeLimits } from '../../src/probe/types.js';
import { startChunkingSmtp, type ChunkingOptions } from '../helpers/chunking-smtp.js';

const FAST: ProbeLimits = { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: 1_000 };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function probe(options: ChunkingOptions, limits: ProbeLimits = FAST) {
  const server = await startChunkingSmtp(options);
  closers.push(() => server.close());
  const [result] = await smtpChunkingGroup(parseTarget(`smtp://127.0.0.1:${server.port}`), limits);
  return { result: result!, messages: server.messages };
}

describe('smtp.chunking', () => {
  it('passes without --send: 250 to the first chunk, RSET instead of a LAST chunk, 503 to DATA after BDAT; nothing delivered', async () => {
    const { result, messages } = await probe({});
    expect(result).toMatchObject({ id: 'smtp.chunking', status: 'pass', rfc: 'RFC 3030 §2' });
    expect(result.advice).toMatch(/without --send no LAST chunk followed: RSET cleared the transaction, nothing was delivered/);
    expect(result.advice).toMatch(/DATA after a BDAT in the same transaction got 503/);
    expect(result.sent.filter((l) => l.startsWith('BDAT'))).toEqual(['BDAT 77', 'BDAT 77']);
    expect(result.sent).toContain('RSET');
    expect(result.sent).toContain('DATA');
    expect(messages).toEqual([]);
  });

  it('delivers one message in two chunks with --send, each chunk answered 250', async () => {
    const { result, messages } = await probe({}, { ...FAST, send: true });
    expect(result.status).toBe('pass');
    expect(result.advice).toMatch(/Both chunks got 250: with --send a test message to postmaster was delivered/);
    expect(result.sent.filter((l) => l.startsWith('BDAT'))).toEqual(['BDAT 77', 'BDAT 53 LAST', 'BDAT 77']);
    expect(messages).toEqual([77 + 53]);
  });

  it('skips a server that does not offer CHUNKING', async () => {
    const { result } = await probe({ chunking: false });
    expect(result).toMatchObject({ status: 'skip' });
    expect(result.advice).toMatch(/^Not checked: CHUNKING is not advertised/);
    expect(result.sent).not.toContain('MAIL FROM:<>');
  });

  it('fails a server that answers DATA after BDAT with 354, and leaves DATA without ending it', async () => {
    const { result, messages } = await probe({ dataAfterBdat: '354 go ahead' });
    expect(result.status).toBe('fail');
    expect(result.advice).toMatch(
      /DATA after a BDAT in the same transaction got 354: RFC 3030 §2 requires 503 \(the probe dropped the connection inside DATA: nothing delivered\)/,
    );
    expect(messages).toEqual([]);
  });

  it('warns when DATA after BDAT is refused with another code than 503', async () => {
    const { result } = await probe({ dataAfterBdat: '554 5.5.1 no' });
    expect(result.status).toBe('warn');
    expect(result.advice).toMatch(/DATA after a BDAT was refused with "554 5\.5\.1 no"; RFC 3030 §2 asks for 503/);
  });

  it('fails a server that offers CHUNKING and refuses a chunk', async () => {
    const { result, messages } = await probe({ chunkReply: '451 4.3.0 no chunks today' });
    expect(result.status).toBe('fail');
    expect(result.advice).toMatch(/^The first chunk \(BDAT without LAST\) was refused \("451 4\.3\.0 no chunks today"\) though CHUNKING is offered/);
    expect(result.advice).toMatch(/DATA after BDAT not checked: the chunk before it got "451 4\.3\.0 no chunks today"/);
    expect(messages).toEqual([]);
  });

  it('fails a server that ends the session after answering a chunk, instead of passing what it could not check', async () => {
    const { result } = await probe({ closeAfterChunk: true });
    expect(result.status).toBe('fail');
    expect(result.advice).toMatch(/^The server ended the session \(closed\) after a chunk it answered 250: DATA after BDAT was not checked/);
  });
});
