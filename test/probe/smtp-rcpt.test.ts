/**
 * `smtp.rcpt-limit` against the mock (no limit) and tiny servers (./tiny-smtp.ts) with a limit: 452
 * past 100 passes, 552 past 100 warns, any refusal below 100 fails. Nothing is ever delivered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSmtpServer } from '../../servers/smtp.js';
import { smtpRcptGroup } from '../../src/probe/smtp-rcpt.js';
import { parseTarget } from '../../src/probe/target.js';
import { DEFAULT_PROBE_LIMITS, type ProbeLimits } from '../../src/probe/types.js';
import { startTinySmtp, type TinyDefects } from './tiny-smtp.js';

const FAST: ProbeLimits = { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: 1_000 };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function probeTiny(defects: TinyDefects) {
  const server = await startTinySmtp(defects);
  closers.push(() => server.close());
  const [result] = await smtpRcptGroup(parseTarget(`smtp://127.0.0.1:${server.port}`), FAST);
  expect(server.delivered()).toBe(0);
  return result!;
}

describe('smtp.rcpt-limit', () => {
  it('passes on the mock, which takes 101 recipients, and delivers nothing', async () => {
    const server = await startSmtpServer({});
    closers.push(() => server.close());
    const [result] = await smtpRcptGroup(parseTarget(`smtp://127.0.0.1:${server.port}`), FAST);
    expect(result).toMatchObject({ id: 'smtp.rcpt-limit', status: 'pass', value: 101, rfc: 'RFC 5321 §4.5.3.1.8, §4.5.3.1.10' });
    expect(result!.advice).toMatch(/^All 101 recipients were accepted in one transaction/);
    expect(result!.sent.filter((l) => l === 'RCPT TO:<postmaster>')).toHaveLength(101);
    expect(result!.sent).toContain('RSET');
    expect(result!.sent).not.toContain('DATA');
    await server.idle();
    expect(server.messages).toEqual([]);
  });

  it('passes a limit of 100 answered 452', async () => {
    const result = await probeTiny({ rcptLimit: { n: 100, code: 452 } });
    expect(result).toMatchObject({ status: 'pass', value: 100 });
    expect(result.advice).toMatch(/recipient 101 got "452 4\.5\.3 Too many recipients": a limit of 100, answered 452/);
  });

  it('warns on a limit of 100 answered 552', async () => {
    const result = await probeTiny({ rcptLimit: { n: 100, code: 552 } });
    expect(result).toMatchObject({ status: 'warn', value: 100 });
    expect(result.advice).toMatch(/recipient 101 got "552 4\.5\.3 Too many recipients": a recipient limit is answered 452/);
  });

  it('fails a limit below 100', async () => {
    const result = await probeTiny({ rcptLimit: { n: 50, code: 452 } });
    expect(result).toMatchObject({ status: 'fail', value: 50 });
    expect(result.advice).toMatch(
      /^Recipient 51 \(the same address as the 50 accepted before it\) got "452 4\.5\.3 Too many recipients": RFC 5321 §4\.5\.3\.1\.8 requires at least 100/,
    );
  });
});
