/**
 * A failure reply the client went on past is not what it stopped on. bftpd answers the FEAT that lftp
 * sends before logging in with `503 USER expected.`; lftp ignores it and sends USER. When the connection
 * then ends before the reply to USER, lftp saw a close at USER, not a 503 (which read `reply 503@user`).
 * Here a proxy in front of the mock answers FEAT with 503 as bftpd does, and the mock is the --target.
 */
import { describe, expect, it } from 'vitest';
import { startFtpServer } from '../../servers/ftp.js';
import { lftpClient } from '../../src/clients/lftp.js';
import { externalTargets, parseTargetOption } from '../../src/commands/external-targets.js';
import { runScenario } from '../../src/engine/run.js';
import { parseFault } from '../../src/faults/parse.js';
import { startProxy } from '../../src/proxy/proxy.js';
import { SUITES } from '../../suites/index.js';

const scenario = SUITES.flatMap((s) => s.scenarios).find((s) => s.id === 'ftp/resets/close-before-user-reply')!;

describe('a failure reply the FTP client went on past', () => {
  it('leaves the close it then met as its outcome (lftp past a 503 to FEAT before USER)', async () => {
    const server = await startFtpServer({ users: { bob: 'pw' }, anonymous: 'off' });
    const featRefused = await startProxy({
      upstream: { host: server.host, port: server.port },
      protocol: 'ftp',
      faults: [parseFault('reply 503 "USER expected." before FEAT then continue')],
    });
    try {
      const target = parseTargetOption(`box=ftp://bob:pw@127.0.0.1:${featRefused.port}/%2F`);
      const result = await runScenario({ scenario, client: lftpClient, mode: 'passive', server: 'box' }, externalTargets([target]));
      expect(result.transcript.join('\n')).toMatch(/C {2}FEAT\n.*S {2}503 USER expected\.\n[\s\S]*C {2}USER bob/);
      expect([result.outcome?.kind, result.outcome?.phase, result.verdict]).toEqual(['closed', 'user', 'conformant']);
    } finally {
      await featRefused.close();
      await server.close();
    }
  });
});
