/**
 * The probe's TLS checks beyond STARTTLS: smtps:// targets (implicit TLS, RFC 8314 §3.3) and
 * `smtp.tls-versions` (one connection per version; TLS 1.0/1.1 accepted warns, RFC 8996), against tiny
 * TLS responders (./tls-smtp.ts) that accept TLS 1.2+ only, or TLS 1.0 too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { smtpTlsAnyGroup } from '../../src/probe/smtp-implicit-tls.js';
import { smtpTlsVersionsGroup } from '../../src/probe/smtp-tls-versions.js';
import { runProbe } from '../../src/probe/run.js';
import { parseTarget, TargetError } from '../../src/probe/target.js';
import { DEFAULT_PROBE_LIMITS, type Finding, type ProbeLimits } from '../../src/probe/types.js';
import { startTlsSmtp, type TlsSmtpOptions } from './tls-smtp.js';

const FAST: ProbeLimits = { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: 2_000 };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function server(options: TlsSmtpOptions): Promise<number> {
  const s = await startTlsSmtp(options);
  closers.push(() => s.close());
  return s.port;
}

const byId = (findings: readonly Finding[], id: string): Finding => findings.find((f) => f.id === id)!;

describe('smtps:// (implicit TLS)', () => {
  it('parses with port 465 by default and shows the scheme back', () => {
    expect(parseTarget('smtps://mail.example.test')).toEqual({ protocol: 'smtp', host: 'mail.example.test', port: 465, implicitTls: true });
    expect(parseTarget('ftps://bob:pw@127.0.0.1')).toMatchObject({ protocol: 'ftp', port: 990, implicitTls: true, user: 'bob' });
  });

  it('judges the handshake and AUTH inside implicit TLS, and skips the STARTTLS checks saying why', async () => {
    const port = await server({ mode: 'implicit' });
    const found = await smtpTlsAnyGroup(parseTarget(`smtps://127.0.0.1:${port}`), FAST);
    expect(found.map((f) => [f.id, f.status])).toEqual([
      ['smtp.starttls', 'skip'],
      ['smtp.starttls-injection', 'skip'],
      ['smtp.tls', 'warn'],
      ['smtp.auth', 'pass'],
    ]);
    expect(byId(found, 'smtp.starttls').advice).toContain('RFC 8314 §3.3');
    expect(byId(found, 'smtp.tls').value).toBe('TLSv1.3');
    expect(byId(found, 'smtp.tls').advice).toContain('self-signed');
  });

  it('names a port that does not speak TLS in one line (TargetError), before any check', async () => {
    const plain = await server({ mode: 'starttls' });
    const run = runProbe(parseTarget(`smtps://127.0.0.1:${plain}`), FAST);
    await expect(run).rejects.toThrow(
      new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${plain}: the TLS handshake failed .* \\(is it an implicit-TLS port\\?\\)$`),
    );
    await expect(run).rejects.toBeInstanceOf(TargetError);
  });

  it('warns when STARTTLS is still advertised inside implicit TLS', async () => {
    const port = await server({ mode: 'implicit', starttlsInside: true });
    const found = await smtpTlsAnyGroup(parseTarget(`smtps://127.0.0.1:${port}`), FAST);
    expect(byId(found, 'smtp.starttls').status).toBe('warn');
    expect(byId(found, 'smtp.starttls').advice).toContain('RFC 3207 §4.2');
  });
});

describe('smtp.tls-versions', () => {
  it.each(['implicit', 'starttls'] as const)('passes a %s server that accepts TLS 1.2 and 1.3 only', async (mode) => {
    const port = await server({ mode });
    const [f] = await smtpTlsVersionsGroup(parseTarget(`${mode === 'implicit' ? 'smtps' : 'smtp'}://127.0.0.1:${port}`), FAST);
    expect(f).toMatchObject({ id: 'smtp.tls-versions', status: 'pass', value: 'TLSv1.2, TLSv1.3' });
    expect(f!.advice).toContain('SSLv3');
    expect(f!.received).toHaveLength(4);
  });

  it.each(['implicit', 'starttls'] as const)('warns on a %s server that still accepts TLS 1.0 (RFC 8996)', async (mode) => {
    const port = await server({ mode, minVersion: 'TLSv1' });
    const [f] = await smtpTlsVersionsGroup(parseTarget(`${mode === 'implicit' ? 'smtps' : 'smtp'}://127.0.0.1:${port}`), FAST);
    expect(f).toMatchObject({ id: 'smtp.tls-versions', status: 'warn', value: 'TLSv1, TLSv1.1, TLSv1.2, TLSv1.3' });
    expect(f!.advice).toContain('RFC 8996');
  });

  it('is a skip with --starttls off, and when STARTTLS is not offered', async () => {
    const port = await server({ mode: 'starttls' });
    const [off] = await smtpTlsVersionsGroup(parseTarget(`smtp://127.0.0.1:${port}`), { ...FAST, starttls: 'off' });
    expect(off).toMatchObject({ status: 'skip', advice: 'Not checked: --starttls off.' });
    const plain = await server({ mode: 'implicit' });
    // Plain SMTP spoken to a TLS port: no greeting, so no STARTTLS to try.
    const [none] = await smtpTlsVersionsGroup(parseTarget(`smtp://127.0.0.1:${plain}`), { ...FAST, replyTimeoutMs: 300 });
    expect(none!.status).toBe('skip');
  });
});
