/**
 * The probe's own file on the server is deleted whatever happens, and an interrupt ends a long check at
 * once: the stalled upload of ftp.data-timeout (which may wait up to --max-data-idle, here 10 minutes)
 * is reset and its partial file deleted as soon as the user interrupts.
 */
import { describe, expect, it } from 'vitest';
import { startFtpServer } from '../../servers/ftp.js';
import { ftpDataTimeoutChecks } from '../../src/probe/ftp-data-timeout.js';
import { startProxy } from '../../src/proxy/proxy.js';
import { byId, expectClean, LIMITS, PASSWORD, USER } from '../helpers/ftp-probe.js';

describe('probe files, interrupted', () => {
  it('ftp.data-timeout: an interrupt during the stall resets the upload and deletes the partial file', async () => {
    const server = await startFtpServer({ users: { [USER]: PASSWORD } });
    const stop = new AbortController();
    const left: string[] = [];
    const proxy = await startProxy({
      upstream: { host: server.host, port: server.port },
      protocol: 'ftp',
      faults: [],
      onLine: (line) => {
        if (/ C {2}STOR /.test(line)) stop.abort();
      },
    });
    try {
      const target = { protocol: 'ftp' as const, host: proxy.host, port: proxy.port, user: USER, password: PASSWORD };
      const findings = await ftpDataTimeoutChecks(
        target,
        { ...LIMITS, maxDataIdleSeconds: 600 },
        { signal: stop.signal, onLeftBehind: (path) => left.push(path) },
      );
      const f = byId(findings, 'ftp.data-timeout');
      expect(f.status).toBe('skip');
      expect(f.advice).toBe('Not finished: the probe was interrupted; the partial file was deleted.');
      expect(f.sent.some((line) => /^DELE /.test(line))).toBe(true);
      expect(left).toEqual([]);
      expect(server.files).toHaveLength(1);
      expectClean(server, findings);
    } finally {
      await proxy.close();
      await server.close();
    }
  });
});
