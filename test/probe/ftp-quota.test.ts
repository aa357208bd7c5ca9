/**
 * `ftp.quota` (opt-in, --quota-probe SIZE): skipped unless allowed; on the mock (no quota) all octets
 * are taken; a server that keeps a truncated file and answers 226 fails; scripted servers refuse with
 * 552 and text (pass), with a bare 552 (warn), or reset the upload without a reply (fail).
 */
import { describe, expect, it } from 'vitest';
import { ftpQuotaChecks } from '../../src/probe/ftp-quota.js';
import { byId, expectClean, LIMITS, probe, withTarget } from '../helpers/ftp-probe.js';
import { startScriptedFtp, type Scripted } from './scripted-ftp.js';

const QUOTA = 1024 * 1024;

async function quotaOf(script: Readonly<Record<string, Scripted>>): Promise<ReturnType<typeof byId>> {
  const server = await startScriptedFtp(['EPSV'], { DELE: { reply: ['250 deleted'] }, ...script });
  try {
    const findings = await probe({ protocol: 'ftp', host: server.host, port: server.port, user: 'u', password: 'p' }, [ftpQuotaChecks], {
      quotaOctets: QUOTA,
    });
    return byId(findings, 'ftp.quota');
  } finally {
    await server.close();
  }
}

describe('FTP probe: quota (--quota-probe)', () => {
  it('is skipped unless allowed, and writes nothing', async () => {
    await withTarget({}, [], async ({ server, target }) => {
      const f = byId(await probe(target, [ftpQuotaChecks]), 'ftp.quota');
      expect(f.status).toBe('skip');
      expect(f.advice).toMatch(/--quota-probe SIZE/);
      expect(server.files).toEqual([]);
    });
  });

  it('passes on the mock, which has no quota: all octets taken, SIZE equal, the file deleted', async () => {
    await withTarget({}, [], async ({ server, target }) => {
      const findings = await probe(target, [ftpQuotaChecks], { quotaOctets: QUOTA });
      expect(byId(findings, 'ftp.quota')).toMatchObject({ status: 'pass', value: `no limit within ${QUOTA} octets` });
      expect(server.files).toHaveLength(1);
      expectClean(server, findings);
    });
  });

  it('fails when the server keeps only part of the upload and still answers 226 (truncateUploadsAt)', async () => {
    await withTarget({ truncateUploadsAt: 4096 }, [], async ({ server, target }) => {
      const findings = await probe(target, [ftpQuotaChecks], { quotaOctets: QUOTA });
      const f = byId(findings, 'ftp.quota');
      expect(f).toMatchObject({ status: 'fail', value: `226 after ${QUOTA} octets` });
      expect(f.advice).toMatch(/the server holds 4096: a full quota or disk must be refused with 452 or 552/);
      expectClean(server, findings);
    });
  });

  it('passes a 552 with text after part of the upload, and deletes the partial file', async () => {
    const f = await quotaOf({ STOR: { reply: ['150 go', '552 Disk quota exceeded'], upload: { after: 64 * 1024, how: 'fin' } } });
    expect(f.status).toBe('pass');
    expect(f.value).toMatch(/^552 after \d+ octets$/);
    expect(f.advice).toMatch(/with "552 Disk quota exceeded", the reply RFC 959 §4\.2 gives .*; the probe's file was deleted\.$/);
    expect(f.sent.some((l) => /^DELE wireprobe-probe-[0-9a-f]{12}\.bin$/.test(l))).toBe(true);
  });

  it('passes a 452 at STOR itself (no room at all)', async () => {
    const f = await quotaOf({ STOR: { reply: ['452 Insufficient storage space'] } });
    expect(f).toMatchObject({ status: 'pass', value: '452 after 0 octets' });
  });

  it('warns on a bare 552 and on a 451 (the right words missing, or the wrong code)', async () => {
    const bare = await quotaOf({ STOR: { reply: ['150 go', '552'], upload: { after: 64 * 1024, how: 'fin' } } });
    expect(bare.status).toBe('warn');
    expect(bare.advice).toMatch(/with a bare 552/);
    const other = await quotaOf({ STOR: { reply: ['150 go', '451 Write error'], upload: { after: 64 * 1024, how: 'fin' } } });
    expect(other.status).toBe('warn');
    expect(other.value).toMatch(/^451 after \d+ octets$/);
  });

  it('fails when the upload is reset and no reply comes', async () => {
    const f = await quotaOf({ STOR: { reply: ['150 go'], upload: { after: 64 * 1024, how: 'reset' } } });
    expect(f.status).toBe('fail');
    expect(f.value).toMatch(/^no reply after \d+ octets$/);
    expect(f.advice).toMatch(/not a reset or silence/);
  });

  it('stops the upload when interrupted and still deletes the file (in a new session)', async () => {
    const stop = new AbortController();
    const left: string[] = [];
    const server = await startScriptedFtp(
      ['EPSV'],
      { DELE: { reply: ['250 deleted'] }, STOR: { reply: ['150 go', '226 never reached'], upload: { after: Number.MAX_SAFE_INTEGER, how: 'read' } } },
      (line) => {
        if (line.startsWith('STOR ')) stop.abort();
      },
    );
    try {
      const target = { protocol: 'ftp' as const, host: server.host, port: server.port, user: 'u', password: 'p' };
      const findings = await ftpQuotaChecks(
        target,
        { ...LIMITS, quotaOctets: 64 * 1024 ** 3 },
        { signal: stop.signal, onLeftBehind: (path) => left.push(path) },
      );
      const f = byId(findings, 'ftp.quota');
      expect(f.status).toBe('skip');
      expect(f.advice).toMatch(/^Not finished: the probe was interrupted; the probe's file was deleted\.$/);
      expect(f.sent.some((l) => /^DELE wireprobe-probe-[0-9a-f]{12}\.bin$/.test(l))).toBe(true);
      expect(left).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
