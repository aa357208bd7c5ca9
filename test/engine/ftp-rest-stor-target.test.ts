/**
 * A user's server whose REST+STOR loses what the file held before the offset (bftpd 4.9 empties it
 * first) is not the resuming client's failure: `ftp/uploads/resume-after-reset` against bftpd read
 * lftp and ftplib as deviating ("the server holds ... not what was sent") where they resumed as RFC
 * 3659 §5.1 says. wireprobe checks the server's REST+STOR on a file of its own, and the run is n/a,
 * saying so. Here the mock plants the defect (restStorZeroes) and is the --target.
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

describe("a resumed upload on a user's server whose REST+STOR corrupts files", () => {
  it('is n/a for a client that resumed with REST and STOR, naming the check; one that resumed with APPE is judged', async () => {
    const server = await startFtpServer({ users: { bob: 'pw' }, anonymous: 'off', restStorZeroes: true });
    try {
      const target = parseTargetOption(`box=ftp://bob:pw@127.0.0.1:${server.port}/%2F`);
      const targets = externalTargets([target]);
      const ftplib = await runScenario({ scenario: resume, client: ftplibClient, mode: 'passive', server: 'box' }, targets);
      expect(ftplib.transcript.join('\n')).toMatch(/C {2}REST \d+\n[\s\S]*C {2}STOR /);
      expect([ftplib.outcome?.kind, ftplib.verdict]).toEqual(['delivered', 'n/a']);
      expect(ftplib.reason).toMatch(
        /^the client resumed with REST and STOR \(RFC 3659 §5\.1\), and the server's own REST\+STOR corrupts a file \(wireprobe's check on a file of its own: STOR of the last 32768 octets after REST 32768 got 226, but the file then held 65536 octets that differ from the 65536 it held before: /,
      );
      // basic-ftp resumes with APPE, which keeps the file: judged as anywhere.
      const basic = await runScenario({ scenario: resume, client: basicFtpClient, mode: 'passive', server: 'box' }, targets);
      expect([basic.outcome?.kind, basic.verdict]).toEqual(['delivered', 'conformant']);
      // Nothing of wireprobe's is left on the server, its check's file included.
      expect(server.files.filter((f) => server.read(f.path) !== undefined)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
