/**
 * `smtp.line-length` against the mock (long command lines taken, nothing delivered) and against tiny servers (./tiny-smtp.ts) that refuse a 512-octet command line, or close the
 * connection without a word on an overlong one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSmtpServer } from '../../servers/smtp.js';
import { smtpLinesGroup } from '../../src/probe/smtp-lines.js';
import { parseTarget } from '../../src/probe/target.js';
import { DEFAULT_PROBE_LIMITS, type ProbeLimits } from '../../src/probe/types.js';
import { startTinySmtp, type TinyDefects, type TinySmtp } from './tiny-smtp.js';

const FAST: ProbeLimits = { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: 1_000 };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function tiny(defects: TinyDefects): Promise<TinySmtp> {
  const server = await startTinySmtp(defects);
  closers.push(() => server.close());
  return server;
}

describe('smtp.line-length', () => {
  it('passes on the mock, delivering nothing, even with --send', async () => {
    const server = await startSmtpServer({});
    closers.push(() => server.close());
    const [result] = await smtpLinesGroup(parseTarget(`smtp://127.0.0.1:${server.port}`), { ...FAST, send: true });
    expect(result).toMatchObject({ id: 'smtp.line-length', status: 'pass', rfc: 'RFC 5321 §4.5.3.1.4, §4.5.3.1.9' });
    expect(result!.advice).toMatch(/^A 512-octet command line got 250 and a 2048-octet one a reply, the session reading on\./);
    expect(result!.advice).toMatch(/A 1000-octet text line inside DATA is not sent/);
    expect(result!.sent).toEqual(expect.arrayContaining(['NOOP xxx... [512 octets with CRLF]', 'NOOP xxx... [2048 octets with CRLF]']));
    await server.idle();
    expect(server.messages).toEqual([]);
  });

  it('fails a server that refuses a 512-octet command line', async () => {
    const server = await tiny({ maxLine: { octets: 256, then: 'reply' } });
    const [result] = await smtpLinesGroup(parseTarget(`smtp://127.0.0.1:${server.port}`), FAST);
    expect(result!.status).toBe('fail');
    expect(result!.advice).toMatch(/^A command line of 512 octets \(NOOP with padding\) got "500 5\.5\.0 Line too long", not 250/);
  });

  it('passes a 500 to an overlong command line, and fails a silent close', async () => {
    const polite = await tiny({ maxLine: { octets: 1000, then: 'reply' } });
    const [refused] = await smtpLinesGroup(parseTarget(`smtp://127.0.0.1:${polite.port}`), FAST);
    expect(refused!.status).toBe('pass');
    expect(refused!.advice).toMatch(/\(2048 octets: "500 5\.5\.0 Line too long"\.\)/);
    const rude = await tiny({ maxLine: { octets: 1000, then: 'close' } });
    const [closed] = await smtpLinesGroup(parseTarget(`smtp://127.0.0.1:${rude.port}`), FAST);
    expect(closed!.status).toBe('fail');
    expect(closed!.advice).toMatch(/^A command line of 2048 octets got no reply, the connection ended \[(closed by server|RST)\]/);
  });
});
