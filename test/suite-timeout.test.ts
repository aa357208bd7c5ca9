/**
 * A suite test that vitest times out cuts the run it started (test/helpers/run-in-test.ts): clients
 * stalled far past the test's timeout, on the SMTP mock and on vsftpd, are killed, the servers and
 * proxies closed, before the next test starts. The first test times out on purpose (`it.fails`); the
 * second checks what it left: nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { curlClient } from '../src/clients/curl.js';
import { curlFtpClient } from '../src/clients/curl-ftp.js';
import { builtinTargets } from '../src/commands/targets.js';
import type { FtpScenario, Result, SmtpScenario } from '../src/engine/types.js';
import { type LaunchedServer, portFree } from '../servers/real/common.js';
import { vsftpdLauncher } from '../servers/real/vsftpd.js';
import { ownChildren } from './helpers/leftovers.js';
import { runInTest } from './helpers/run-in-test.js';

/** Every vsftpd the run started. */
const started: LaunchedServer[] = [];
const start = vsftpdLauncher.start.bind(vsftpdLauncher);
vi.spyOn(vsftpdLauncher, 'start').mockImplementation(async (options) => {
  const handle = (await start(options)) as LaunchedServer;
  started.push(handle);
  return handle;
});

/** Client timeouts and a deadline a minute past the test's timeout: only the cut can end these runs. */
const LONG = { connect: 60_000, greeting: 60_000, socket: 60_000, deadline: 120_000 };
const smtp: SmtpScenario = {
  id: 'cut/smtp-no-greeting',
  suite: 'cut',
  protocol: 'smtp',
  title: 'no greeting, for good',
  fault: { kind: 'stall', at: 'connect' },
  expect: { client: 'fails', rule: 'RFC 5321 §4.5.3.2: a client MUST time out a silent server' },
  messageBytes: 1024,
  timeouts: LONG,
};
const ftp: FtpScenario = {
  id: 'cut/ftp-crawl',
  suite: 'cut',
  protocol: 'ftp',
  title: 'an upload at 1 byte a second',
  fault: { kind: 'throttle', bytesPerSecond: 1, at: 'connect', channel: 'data', toward: 'server' },
  expect: { client: 'delivers', rule: 'A link that keeps moving is no timeout' },
  messageBytes: 64 * 1024,
  ftp: { direction: 'upload', modes: ['passive'] },
  timeouts: LONG,
};

/** What the timed-out test left for the next one to check. */
const cut: { signal?: AbortSignal; run?: Promise<Result[]>; children: Set<number> } = { children: new Set() };

/** This process's child processes now, read synchronously (inside an abort listener). */
function childrenNow(): number[] {
  const tasks = `/proc/${process.pid}/task`;
  return readdirSync(tasks).flatMap((task) => {
    try {
      return readFileSync(`${tasks}/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
    } catch {
      return []; // The thread ended meanwhile.
    }
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a suite test that vitest times out', () => {
  it.fails('times out (on purpose) with its clients stalled', async (test) => {
    cut.signal = test.signal;
    // Listeners run in the order added: this one sees the clients before the run's own kill them.
    test.signal.addEventListener(
      'abort',
      () => {
        for (const pid of childrenNow()) cut.children.add(pid);
      },
      { once: true },
    );
    cut.run = runInTest(test, [smtp, ftp], [curlClient, curlFtpClient], { targets: builtinTargets(), servers: ['mock-smtp', 'vsftpd'] });
    await cut.run;
  }, 3_000);

  it('had its run cut and ended before this test: no client, server or port left', async () => {
    expect(cut.signal?.aborted).toBe(true);
    expect(String(cut.signal?.reason)).toMatch(/timed out in 3000ms/);
    // The cut runs are left out: the run had no result to give.
    expect(await cut.run).toEqual([]);
    expect(cut.children.size).toBeGreaterThan(0);
    expect([...cut.children].filter(alive)).toEqual([]);
    expect(await ownChildren()).toEqual([]);
    // Before the port checks, whose own probe listeners take a moment to be released.
    expect(process.getActiveResourcesInfo().filter((type) => /^(TCPServerWrap|TCPSocketWrap|ProcessWrap)$/.test(type))).toEqual([]);
    expect(started).toHaveLength(1);
    for (const server of started) {
      expect(await server.processes(), `vsftpd ${server.pid}`).toEqual([]);
      expect(alive(server.pid), `vsftpd ${server.pid}`).toBe(false);
      expect(await portFree(server.port), `vsftpd port ${server.port}`).toBe(true);
    }
  });
});
