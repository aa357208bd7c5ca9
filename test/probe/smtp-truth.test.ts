/**
 * Verdicts that must follow from what the RFC asks, on servers outside the project's own set:
 * - smtp.starttls judges "MAIL before the new EHLO" (RFC 3207 §4.2: after the handshake the server
 *   discards what it knew) only where it proves something: a server that takes MAIL with no EHLO in
 *   clear text too (Postfix unless smtpd_helo_required) keeps no state by taking it inside TLS.
 * - smtp.size: a SIZE= over the limit taken at MAIL breaks a "should" (RFC 1870 §6.1), a warning; only
 *   a body over the limit taken at its end (with --send) is a limit not enforced, a failure.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startBrokenSmtp, type BrokenDefects } from '../helpers/broken-smtp.js';
import { runProbe } from '../../src/probe/run.js';
import { parseTarget } from '../../src/probe/target.js';
import { DEFAULT_PROBE_LIMITS, type Finding, type ProbeLimits } from '../../src/probe/types.js';

const FAST: ProbeLimits = { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: 1_000 };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function probeFinding(defects: BrokenDefects, id: string, limits: ProbeLimits = FAST): Promise<Finding> {
  const server = await startBrokenSmtp(defects);
  closers.push(() => server.close());
  const report = await runProbe(parseTarget(`smtp://127.0.0.1:${server.port}`), limits);
  const found = report.findings.find((f) => f.id === id);
  if (!found) throw new Error(`no ${id} finding`);
  return found;
}

const starttlsFinding = (defects: BrokenDefects): Promise<Finding> => probeFinding(defects, 'smtp.starttls');

describe('smtp.starttls: MAIL before the new EHLO', () => {
  it('warns when the server wants EHLO in clear text but takes MAIL without it inside TLS: it kept its pre-TLS state', async () => {
    const found = await starttlsFinding({ starttls: 'kept', ehloRequired: true });
    expect(found.status).toBe('warn');
    expect(found.advice).toMatch(
      /^MAIL before EHLO inside TLS was accepted \("250 ok"\) although in clear text it is refused without EHLO: the server kept its pre-TLS state/,
    );
    expect(found.received.some((l) => l.startsWith('[plain session] 503'))).toBe(true);
  });

  it('passes a server that takes MAIL without EHLO in clear text as well: taking it inside TLS proves nothing', async () => {
    const found = await starttlsFinding({ starttls: 'kept' });
    expect(found.status).toBe('pass');
    expect(found.advice).toMatch(/MAIL before the new EHLO accepted, as it is in clear text \(the server needs no EHLO\)/);
  });

  it('passes a server that requires TLS for MAIL: its 530 in clear text says nothing about EHLO', async () => {
    const found = await starttlsFinding({ starttls: 'kept', tlsRequired: true });
    expect(found.status).toBe('pass');
    expect(found.advice).toMatch(
      /MAIL before the new EHLO accepted; in clear text MAIL without EHLO got "530 5\.7\.0 Must issue a STARTTLS command first", not a sequence error \(503\), so this proves no kept state/,
    );
    expect(found.received.some((l) => l.startsWith('[plain session] 530'))).toBe(true);
  });

  it('passes a server that forgets the EHLO at the handshake, without a plain-text control session', async () => {
    const found = await starttlsFinding({ starttls: 'reset', ehloRequired: true });
    expect(found.status).toBe('pass');
    expect(found.advice).toMatch(/MAIL before the new EHLO refused/);
    expect(found.sent.some((l) => l.startsWith('[plain session'))).toBe(false);
  });
});

describe('smtp.size on a server that checks the size only at the end of DATA', () => {
  it('warns that SIZE= over the limit is taken at MAIL (RFC 1870 §6.1 should)', async () => {
    const found = await probeFinding({ sizeLate: true }, 'smtp.size');
    expect(found).toMatchObject({ status: 'warn', value: 1000 });
    expect(found.advice).toBe(
      'MAIL with SIZE=1001, over the advertised 1000, was accepted ("250 ok"): clients send the whole message before they learn it is too big; refuse it at MAIL with 552 (RFC 1870 §6.1).',
    );
  });

  it('with --send, stays a warning and says the limit holds at the end of DATA', async () => {
    const found = await probeFinding({ sizeLate: true }, 'smtp.size', { ...FAST, send: true });
    expect(found).toMatchObject({ status: 'warn', value: 1000 });
    expect(found.advice).toMatch(/refuse it at MAIL with 552 \(RFC 1870 §6\.1\)\. An undeclared body of \d+ octets got 552 at its end\.$/);
  });
});

describe('a server that wants STARTTLS before MAIL, probed with --starttls off', () => {
  const OFF: ProbeLimits = { ...FAST, starttls: 'off' };
  const refusal = 'MAIL in plain text got "530 5.7.0 Must issue a STARTTLS command first": the server may want STARTTLS first (RFC 3207 §4)';

  it('does not pass smtp.open-relay on the 530 that asks for TLS: a relaying client would start TLS', async () => {
    const found = await probeFinding({ starttls: 'reset', tlsRequired: true }, 'smtp.open-relay', OFF);
    expect(found.status).toBe('skip');
    expect(found.advice).toBe(`Not checked: ${refusal}, which --starttls off leaves out; a relaying client would start it.`);
  });

  it('names STARTTLS, not credentials, as what the transaction checks lack', async () => {
    const server = await startBrokenSmtp({ starttls: 'reset', tlsRequired: true });
    closers.push(() => server.close());
    const report = await runProbe(parseTarget(`smtp://127.0.0.1:${server.port}`), OFF);
    const advice = (id: string): string | undefined => report.findings.find((f) => f.id === id)?.advice;
    const expected = `Not checked: ${refusal}, which --starttls off leaves out.`;
    expect(advice('smtp.rcpt-limit')).toBe(expected);
    expect(advice('smtp.drop-mid-data')).toBe(expected);
    expect(advice('smtp.8bitmime')).toBe(expected);
    expect(advice('smtp.pipelining')).toBe(
      'Not checked: MAIL in plain text got "530 5.7.0 Must issue a STARTTLS command first" (530, 250, 250, 354): the server may want STARTTLS first (RFC 3207 §4), which --starttls off leaves out.',
    );
  });
});
