/**
 * `ftp.long-transfer` (opt-in, --max-idle): an upload that trickles for longer than the idle timeout
 * ftp.idle-timeout measured. The mock with a 1 s idle timeout keeps the session during a transfer
 * (pass); a NAT-like relay that forgets a control connection silent for 1 s, whatever the data
 * connection does, closes it under the transfer (fail); a server that keeps part of the file warns;
 * an interrupt deletes the file. Timeouts are of a second or so, so each case takes a few seconds.
 */
import net, { type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ftpLimitChecks } from '../../src/probe/ftp-limits.js';
import { ftpLongTransferChecks, TRANSFER_MARGIN_SECONDS, transferPlan } from '../../src/probe/ftp-long-transfer.js';
import { runProbe } from '../../src/probe/run.js';
import type { Finding, ProbeTarget } from '../../src/probe/types.js';
import { startProxy } from '../../src/proxy/proxy.js';
import { startFtpServer } from '../../servers/ftp.js';
import { byId, expectClean, LIMITS, PASSWORD, probe, USER, withTarget } from '../helpers/ftp-probe.js';

/** The two groups in run order: ftp.idle-timeout (with the session ramp), then ftp.long-transfer, which reads its value. */
const GROUPS = { groups: [ftpLimitChecks, ftpLongTransferChecks] };
const ALLOWED = { ...LIMITS, maxIdleSeconds: 3, maxSessions: 1 };

/**
 * A NAT's idle timer in front of the control port: a control connection on which nothing moved either
 * way for `idleMs` is closed on both sides (a FIN to the client, no reply). Data connections do not
 * pass through it (EPSV and the mock's 227 name the server's own port), as through a NAT whose
 * control-connection entry times out on its own.
 */
async function startIdleNat(upstream: { host: string; port: number }, idleMs: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const track = (s: Socket): Socket => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    return s;
  };
  const server = net.createServer((client) => {
    track(client);
    const up = track(net.connect(upstream.port, upstream.host));
    client.pipe(up);
    up.pipe(client);
    client.setTimeout(idleMs, () => {
      up.destroy();
      client.end();
    });
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
    up.on('close', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('FTP probe: long transfer (--max-idle), its length', () => {
  const idle = (value?: number): Finding => ({
    id: 'ftp.idle-timeout',
    status: 'pass',
    rfc: '',
    sent: [],
    received: [],
    advice: '',
    ...(value ? { value } : {}),
  });
  it.each([
    { maxIdle: 10, earlier: [idle(2.4)], seconds: 2.4 + TRANSFER_MARGIN_SECONDS, basis: /^the idle timeout of 2\.4 s that ftp\.idle-timeout measured$/ },
    { maxIdle: 10, earlier: [idle()], seconds: 10 + TRANSFER_MARGIN_SECONDS, basis: /^the --max-idle bound of 10 s, no idle timeout having been measured$/ },
    { maxIdle: 10, earlier: [], seconds: 10 + TRANSFER_MARGIN_SECONDS, basis: /--max-idle bound/ },
    { maxIdle: 5, earlier: [idle(7)], seconds: 5 + TRANSFER_MARGIN_SECONDS, basis: /idle timeout of 5 s/ },
  ])('lasts $seconds s with --max-idle $maxIdle and an idle finding of $earlier.0.value', ({ maxIdle, earlier, seconds, basis }) => {
    const plan = transferPlan(maxIdle, earlier);
    expect(plan.seconds).toBe(seconds);
    expect(plan.basis).toMatch(basis);
  });
});

describe('FTP probe: long transfer (--max-idle)', () => {
  it('is skipped unless --max-idle allows it, and writes nothing', async () => {
    await withTarget({}, [], async ({ server, target }) => {
      const f = byId(await probe(target, [ftpLongTransferChecks]), 'ftp.long-transfer');
      expect(f.status).toBe('skip');
      expect(f.advice).toMatch(/--max-idle/);
      expect(server.files).toEqual([]);
    });
  });

  it('passes on a server whose 1 s idle timeout does not run during a transfer: 226, SIZE equal, the file deleted', async () => {
    await withTarget({ idleTimeoutMs: 1000 }, [], async ({ server, target }) => {
      const report = await runProbe(target, ALLOWED, { checks: GROUPS });
      const idle = byId(report.findings, 'ftp.idle-timeout');
      expect(idle.status).toBe('pass');
      const f = byId(report.findings, 'ftp.long-transfer');
      expect(f.status, f.advice).toBe('pass');
      expect(f.value).toMatch(/^226 after \d+(\.\d)? s$/);
      expect(f.advice).toContain(`2 s past the idle timeout of ${idle.value} s that ftp.idle-timeout measured;`);
      expect(f.advice).toMatch(/SIZE \d+, as sent\).*; the probe's file was deleted\.$/);
      expect(f.sent.filter((line) => /^(STOR|SIZE|DELE) /.test(line)).map((line) => line.split(' ')[0])).toEqual(['STOR', 'SIZE', 'DELE']);
      expect(server.files).toHaveLength(1);
      expectClean(server, report.findings);
    });
  });

  it('fails when the control connection is closed under the transfer (a NAT forgetting it after 1 s of silence), and still deletes the file', async () => {
    const server = await startFtpServer({ users: { [USER]: PASSWORD } });
    const nat = await startIdleNat(server, 1000);
    try {
      const target: ProbeTarget = { protocol: 'ftp', host: '127.0.0.1', port: nat.port, user: USER, password: PASSWORD };
      const report = await runProbe(target, ALLOWED, { checks: GROUPS });
      expect(byId(report.findings, 'ftp.idle-timeout').status).toBe('warn'); // closed without a 421
      const f = byId(report.findings, 'ftp.long-transfer');
      expect(f.status, f.advice).toBe('fail');
      expect(f.value).toMatch(/^control connection closed after \d+(\.\d)? s$/);
      expect(f.advice).toMatch(
        /^The control connection was closed after [\d.]+ s of a transfer meant to last [\d.]+ s, 2 s past the idle timeout of [\d.]+ s that ftp\.idle-timeout measured, while data was still moving/,
      );
      expect(f.advice).toMatch(/; the probe's file was deleted\.$/);
      expect(f.sent).toContain('[cleanup]');
      expect(server.files).toHaveLength(1);
      expectClean(server, report.findings);
    } finally {
      await nat.close();
      await server.close();
    }
  });

  it('warns when the server answers 226 but holds fewer octets than were sent (truncateUploadsAt)', async () => {
    await withTarget({ truncateUploadsAt: 1000 }, [], async ({ server, target }) => {
      const findings = await probe(target, [ftpLongTransferChecks], { maxIdleSeconds: 1 });
      const f = byId(findings, 'ftp.long-transfer');
      expect(f.status, f.advice).toBe('warn');
      expect(f.value).toBe('226, SIZE 1000 of 12288');
      expect(f.advice).toMatch(
        /the --max-idle bound of 1 s, no idle timeout having been measured; the server answered 226 .*, but SIZE says 1000 octets of the 12288 sent/,
      );
      expectClean(server, findings);
    });
  });

  it('ends at once when interrupted during the transfer and deletes the file', async () => {
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
      const target: ProbeTarget = { protocol: 'ftp', host: proxy.host, port: proxy.port, user: USER, password: PASSWORD };
      const findings = await ftpLongTransferChecks(
        target,
        { ...LIMITS, maxIdleSeconds: 600 },
        { signal: stop.signal, onLeftBehind: (path) => left.push(path) },
      );
      const f = byId(findings, 'ftp.long-transfer');
      expect(f.status).toBe('skip');
      expect(f.advice).toBe("Not finished: the probe was interrupted; the probe's file was deleted.");
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
