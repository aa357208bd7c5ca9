/**
 * `ftp.pasv-range` against the mock: a pinned passive range comes out as its span, and a server whose
 * passive ports do not take connections (the proxy's `dataport refused`) fails with the ports named.
 */
import { describe, expect, it } from 'vitest';
import { freePortRange } from '../../servers/real/ports.js';
import { ftpPasvRangeChecks, PASV_RANGE_ROUNDS } from '../../src/probe/ftp-pasv-range.js';
import { byId, expectClean, probe, withTarget } from '../helpers/ftp-probe.js';

describe('FTP probe: the passive port range', () => {
  it('passes with the span of a pinned range: PASV and EPSV in turn, every port connected to', async () => {
    const [low, high] = await freePortRange(4);
    await withTarget({ pasvRange: [low, high] }, [], async ({ server, target }) => {
      const findings = await probe(target, [ftpPasvRangeChecks]);
      const f = byId(findings, 'ftp.pasv-range');
      // The mock hands out the range's ports in turn, so 8 setups over 4 ports see every one of them.
      expect(f).toMatchObject({ status: 'pass', value: `${low}-${high} (${PASV_RANGE_ROUNDS} seen)` });
      expect(f.sent.filter((l) => l === 'PASV')).toHaveLength(PASV_RANGE_ROUNDS / 2);
      expect(f.sent.filter((l) => l === 'EPSV')).toHaveLength(PASV_RANGE_ROUNDS / 2);
      expect(f.advice).toMatch(new RegExp(`^8 passive setups \\(PASV and EPSV\\) named 4 ports between ${low} and ${high}, and each took a connection\\.`));
      expectClean(server, findings);
    });
  });

  it('says so when the range is one port: a single passive setup at a time', async () => {
    const [port] = await freePortRange(1);
    await withTarget({ pasvRange: [port, port] }, [], async ({ target }) => {
      const f = byId(await probe(target, [ftpPasvRangeChecks]), 'ftp.pasv-range');
      expect(f).toMatchObject({ status: 'pass', value: `${port}-${port} (${PASV_RANGE_ROUNDS} seen)` });
      expect(f.advice).toMatch(/named 1 port between .* Only one port was handed out: it serves one passive setup at a time/);
    });
  });

  it('uses EPSV alone when PASV is not answered 227, and says so', async () => {
    await withTarget({ epsv: 'off' }, [], async ({ target }) => {
      const f = byId(await probe(target, [ftpPasvRangeChecks]), 'ftp.pasv-range');
      expect(f.status).toBe('pass');
      expect(f.value).toMatch(new RegExp(`^\\d+-\\d+ \\(${PASV_RANGE_ROUNDS} seen\\)$`));
      expect(f.advice).toMatch(/^8 passive setups \(PASV\) named \d+ ports? between \d+ and \d+ \(EPSV got 502 /);
    });
  });

  it('fails when the passive ports handed out do not take a connection (dataport refused), naming them', async () => {
    await withTarget({}, ['dataport refused'], async ({ target }) => {
      const f = byId(await probe(target, [ftpPasvRangeChecks]), 'ftp.pasv-range');
      expect(f.status).toBe('fail');
      expect(f.value).toMatch(/^\d+-\d+ \(\d+ seen\)$/);
      expect(f.advice).toMatch(/did not take a connection: \d+ \(PASV\) refused the connection/);
      expect(f.advice).toMatch(/forward the whole passive range/);
    });
  });
});
