/**
 * `smtp.line-length` against the mock (long command lines taken, nothing delivered without --send, the
 * 1000-octet text line delivered whole with it) and against tiny servers (./tiny-smtp.ts) that refuse a
 * 512-octet command line, close the connection without a word on an overlong one, or refuse a message
 * for its 1000-octet text line.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startSmtpServer } from '../../servers/smtp.js';
import { probeHeader } from '../../src/probe/smtp-mail.js';
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
  it('passes on the mock, delivering nothing without --send', async () => {
    const server = await startSmtpServer({});
    closers.push(() => server.close());
    const [result] = await smtpLinesGroup(parseTarget(`smtp://127.0.0.1:${server.port}`), FAST);
    expect(result).toMatchObject({ id: 'smtp.line-length', status: 'pass', rfc: 'RFC 5321 §4.5.3.1.4, §4.5.3.1.6, §4.5.3.1.9' });
    expect(result!.advice).toMatch(/^A 512-octet command line got 250 and a 2048-octet one a reply, the session reading on\./);
    expect(result!.advice).toMatch(/A 1000-octet text line inside DATA is tried only with --send/);
    expect(result!.sent).toEqual(expect.arrayContaining(['NOOP xxx... [512 octets with CRLF]', 'NOOP xxx... [2048 octets with CRLF]']));
    await server.idle();
    expect(server.messages).toEqual([]);
  });

  it('with --send, delivers one message whose 1000-octet text line arrives whole', async () => {
    const server = await startSmtpServer({});
    closers.push(() => server.close());
    const [result] = await smtpLinesGroup(parseTarget(`smtp://127.0.0.1:${server.port}`), { ...FAST, send: true, rcpt: 'qa@example.test' });
    expect(result!.status).toBe('pass');
    expect(result!.advice).toMatch(/A 1000-octet text line inside DATA was taken \(250\): --send delivered that message to qa@example\.test\.$/);
    await server.idle();
    // Exactly the octets sent, the 998 x and their CRLF among them: nothing cut or folded.
    const sent = `${probeHeader('qa@example.test')}${'x'.repeat(998)}\r\nwireprobe probe: the line above is 1000 octets with its CRLF.\r\n`;
    expect(server.messages.map((m) => [m.bytes, m.sha256])).toEqual([[sent.length, createHash('sha256').update(sent, 'latin1').digest('hex')]]);
  });

  it('with --send, fails a server that refuses a message for its 1000-octet text line, and delivers nothing there', async () => {
    const server = await tiny({ maxTextLine: 999 });
    const [result] = await smtpLinesGroup(parseTarget(`smtp://127.0.0.1:${server.port}`), { ...FAST, send: true });
    expect(result!.status).toBe('fail');
    expect(result!.advice).toMatch(/^A message with a text line of 1000 octets got "554 5\.6\.0 Message has a line too long" at its end, not 250/);
    expect(server.delivered()).toBe(0);
    // A line of exactly 1000 octets is within the limit: the same server at 1000 takes it.
    const fine = await tiny({ maxTextLine: 1000 });
    const [taken] = await smtpLinesGroup(parseTarget(`smtp://127.0.0.1:${fine.port}`), { ...FAST, send: true });
    expect([taken!.status, fine.delivered()]).toEqual(['pass', 1]);
  });

  it('fails a server that refuses a 512-octet command line', async () => {
    const server = await tiny({ maxLine: { octets: 256, then: 'reply' } });
    const [result] = await smtpLinesGroup(parseTarget(`smtp://127.0.0.1:${server.port}`), FAST);
    expect(result!.status).toBe('fail');
    expect(result!.advice).toMatch(/^A command line of 512 octets \(NOOP with padding\) got "500 5\.5\.0 Line too long", not 250/);
  });

  it('reads the length apart from a refused parameter: a server that refuses NOOP with any parameter (OpenSMTPD)', async () => {
    const strict = await tiny({ noopTakesNoParameter: true });
    const [result] = await smtpLinesGroup(parseTarget(`smtp://127.0.0.1:${strict.port}`), FAST);
    expect(result!.status).toBe('pass');
    expect(result!.advice).toMatch(
      /^A 512-octet command line was answered as a NOOP with a parameter, like a short one, and a 2048-octet one got a reply, the session reading on\. It refuses NOOP with a parameter whatever its length \("500 5\.5\.4 Invalid command arguments: command does not accept arguments\."; RFC 5321 §4\.1\.1\.9/,
    );
    expect(result!.sent).toEqual(expect.arrayContaining(['NOOP wireprobe', 'NOOP xxx... [512 octets with CRLF]']));
    // Refused for its length too, in other words: still a failure.
    const short = await tiny({ noopTakesNoParameter: true, maxLine: { octets: 256, then: 'reply' } });
    const [refused] = await smtpLinesGroup(parseTarget(`smtp://127.0.0.1:${short.port}`), FAST);
    expect(refused!.status).toBe('fail');
    expect(refused!.advice).toMatch(/^A command line of 512 octets \(NOOP with padding\) got "500 5\.5\.0 Line too long", not 250/);
  });

  it('tries no long line when a short NOOP with a parameter gets no reply, and says so', async () => {
    const rude = await tiny({ noopTakesNoParameter: 'close' });
    const [result] = await smtpLinesGroup(parseTarget(`smtp://127.0.0.1:${rude.port}`), FAST);
    expect(result!.status).toBe('warn');
    expect(result!.advice).toMatch(
      /^A short NOOP with a parameter \("NOOP wireprobe"\) got no reply, the connection ended \[closed by server\], so the long lines were not tried\.$/,
    );
    expect(result!.sent).not.toContain('NOOP xxx... [512 octets with CRLF]');
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
