/**
 * A resume scenario on a server that does not implement the command the client resumes with: Twisted's
 * FTP server answers REST and APPE `502`, and `ftp/uploads/resume-after-reset` read basic-ftp, curl and
 * ftplib as deviating ("did not complete the transfer") where they reported that refusal. The resume
 * the scenario tests cannot happen there: the run is n/a, naming the command. Here the mock plants it
 * (restRule 'off') and is the --target.
 */
import { describe, expect, it } from 'vitest';
import { startFtpServer } from '../../servers/ftp.js';
import { basicFtpClient } from '../../src/clients/basic-ftp.js';
import { ftplibClient } from '../../src/clients/ftplib.js';
import { externalTargets, parseTargetOption } from '../../src/commands/external-targets.js';
import { runScenario } from '../../src/engine/run.js';
import type { FtpScenario } from '../../src/engine/types.js';
import { SUITES } from '../../suites/index.js';

const resume = SUITES.flatMap((s) => s.scenarios).find((s) => s.id === 'ftp/uploads/resume-after-reset') as FtpScenario;

describe('a resume the server does not implement', () => {
  it('is n/a where the server answers the resuming command 502, naming it, for APPE and REST alike', async () => {
    const server = await startFtpServer({ users: { bob: 'pw' }, anonymous: 'off', restRule: 'off' });
    try {
      const targets = externalTargets([parseTargetOption(`box=ftp://bob:pw@127.0.0.1:${server.port}/%2F`)]);
      const basic = await runScenario({ scenario: resume, client: basicFtpClient, mode: 'passive', server: 'box' }, targets);
      expect(basic.outcome).toMatchObject({ kind: 'reply', code: 502, phase: 'appe' });
      expect([basic.verdict, basic.reason]).toEqual([
        'n/a',
        'the server does not implement APPE (RFC 959 §4.1.3): it answered 502, which the client reported; the resume this scenario tests cannot happen there',
      ]);
      const ftplib = await runScenario({ scenario: resume, client: ftplibClient, mode: 'passive', server: 'box' }, targets);
      expect(ftplib.outcome).toMatchObject({ kind: 'reply', code: 502, phase: 'rest' });
      expect([ftplib.verdict, ftplib.reason]).toEqual([
        'n/a',
        'the server does not implement REST (RFC 3659 §5): it answered 502, which the client reported; the resume this scenario tests cannot happen there',
      ]);
    } finally {
      await server.close();
    }
  });
});
