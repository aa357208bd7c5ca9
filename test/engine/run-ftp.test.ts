/**
 * The FTP runner on downloads and on a data connection cut mid-transfer: real clients through the fault
 * proxy against the mock server, whose reply to a transfer whose data connection failed is 426 (RFC 959
 * §4.2), and a download judged by the size and SHA-256 of the file the client wrote out.
 */
import { Writable } from 'node:stream';
import { Client } from 'basic-ftp';
import { describe, expect, it } from 'vitest';
import { basicFtpClient } from '../../src/clients/basic-ftp.js';
import { curlFtpClient } from '../../src/clients/curl-ftp.js';
import { lftpClient } from '../../src/clients/lftp.js';
import type { ClientReport, FtpClientAdapter, FtpJob } from '../../src/clients/types.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runScenario } from '../../src/engine/run.js';
import type { Scenario } from '../../src/engine/types.js';
import { Digester } from '../../src/util/digest.js';
import { SUITES } from '../../suites/index.js';
import { contentOf } from '../../src/util/content.js';

const targets = builtinTargets();
const ABORTED = '426 Connection closed; transfer aborted.';

/** A built-in scenario by id. */
function scenario(id: string): Scenario {
  const found = SUITES.flatMap((s) => s.scenarios).find((s) => s.id === id);
  if (!found) throw new Error(`no scenario ${id}`);
  return found;
}

/**
 * An application on basic-ftp that takes the data connection's end of file as the end of the download
 * (RFC 959 §3.4.1, stream mode) and ignores the reply that follows: it reports success with whatever
 * arrived. The verdict must catch it by the file, whatever the client says.
 */
const trustsEndOfFile: FtpClientAdapter = {
  ...basicFtpClient,
  name: 'trusts-eof',
  async run(job: FtpJob): Promise<ClientReport> {
    const client = new Client(job.timeouts.socket);
    const digester = new Digester();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        digester.update(chunk);
        done();
      },
    });
    try {
      await client.access({ host: job.host, port: job.port, user: job.user, password: job.password, secure: false });
      await client.downloadTo(sink, job.path).catch(() => undefined);
    } finally {
      client.close();
    }
    return { ok: true, detail: 'end of file', received: digester.digest() };
  },
};

describe('FTP runner, content changed by the client', () => {
  it('calls an upload of content the client changed a deviation: it is judged by the content as made', async () => {
    const changes: FtpClientAdapter = {
      ...basicFtpClient,
      name: 'changes',
      run: (job, signal) => {
        const changed = job.content.bytes();
        changed.fill(0x41, 0, 100);
        return basicFtpClient.run({ ...job, content: contentOf(changed) }, signal);
      },
    };
    const result = await runScenario({ scenario: scenario('ftp/modes/baseline-upload'), client: changes, mode: 'passive' }, targets);
    expect(result.outcome).toMatchObject({ kind: 'delivered' });
    expect(result.sink).toMatchObject({ copies: 0, intact: false });
    expect(result.verdict).toBe('deviates');
  });
});

describe('FTP runner, data connection cut mid-transfer', () => {
  it("basic-ftp fails a download cut by a FIN mid-RETR on the mock's 426: the proxy cut the server's end at once", async () => {
    const result = await runScenario({ scenario: scenario('ftp/resets/close-data-mid-retr'), client: basicFtpClient, mode: 'passive' }, targets);
    expect([result.outcome?.kind, result.outcome?.code, result.outcome?.phase, result.verdict]).toEqual(['reply', 426, 'retr', 'conformant']);
    expect(result.faultFired).toBe(true);
    const transcript = result.transcript.join('\n');
    expect(transcript).toMatch(/data 1: fault fired: close after RETR \+1MiB channel data\n.*data 1: cut toward server, socket destroyed/);
    expect(transcript).toContain(`S  ${ABORTED}`);
    expect(transcript).not.toMatch(/S {2}226 /);
  });

  it.each(['passive', 'active'] as const)("curl in %s mode fails a download cut by a FIN mid-RETR on the mock's 426", async (mode) => {
    const result = await runScenario({ scenario: scenario('ftp/resets/close-data-mid-retr'), client: curlFtpClient, mode }, targets);
    expect([result.outcome?.kind, result.outcome?.code, result.outcome?.phase, result.verdict]).toEqual(['reply', 426, 'retr', 'conformant']);
    expect(result.transcript.join('\n')).toContain(`S  ${ABORTED}`);
  });

  // curl closes its control connection as soon as its data connection is reset, before the mock's 426
  // (test/proxy/ftp-proxy.test.ts shows that reply through the proxy, test/servers/ftp.test.ts on the socket).
  it('curl fails an upload whose data connection is reset mid-STOR, and the server keeps no copy as complete', async () => {
    const result = await runScenario({ scenario: scenario('ftp/resets/reset-data-mid-stor'), client: curlFtpClient, mode: 'passive' }, targets);
    expect([result.outcome?.kind, result.outcome?.phase, result.verdict]).toEqual(['reset', 'transfer', 'conformant']);
    expect(result.sink).toEqual({ copies: 0, intact: true });
    // The server's end first, the client's once the server has answered (src/proxy/data-link.ts).
    expect(result.transcript.join('\n')).toMatch(/data 1: RST to server[\s\S]*S {2}426 [\s\S]*data 1: RST to client/);
  });

  it('calls a short download reported complete a deviation, naming the size and SHA-256 of both files', async () => {
    const result = await runScenario({ scenario: scenario('ftp/resets/close-data-mid-retr'), client: trustsEndOfFile, mode: 'passive' }, targets);
    expect([result.outcome?.kind, result.outcome?.phase, result.verdict]).toEqual(['delivered', 'retr', 'deviates']);
    expect(result.sink).toEqual({
      copies: 0,
      intact: false,
      sha256: { sent: expect.stringMatching(/^[0-9a-f]{64}$/), held: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    const { sent, held } = result.sink!.sha256!;
    expect(held).not.toBe(sent);
    expect(result.reason).toMatch(
      new RegExp(
        `^reported the download complete, but it received \\d+ bytes with SHA-256 ${held}, not the 33554432 bytes with SHA-256 ${sent} that the server served`,
      ),
    );
  });
});

describe('FTP runner, a client that quits on its own', () => {
  it("reads the server's FIN after the 221 to its QUIT as the session's end: lftp stopping at FEAT without FTPS closed it itself", async () => {
    // The phase stays where lftp was before QUIT (feat); its QUIT answered, the FIN behind it cut nothing.
    // Now and then lftp has its USER on the wire right behind its QUIT: owed no reply, it changes nothing.
    const result = await runScenario({ scenario: scenario('ftp/tls/no-ftps'), client: lftpClient, mode: 'passive' }, targets);
    expect(result.outcome).toMatchObject({ kind: 'closed', phase: 'feat', byClient: true });
    expect(result.transcript.join('\n')).toMatch(/C {2}QUIT\n.*S {2}221 /);
  });
});
