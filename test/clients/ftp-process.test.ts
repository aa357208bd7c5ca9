import { createHash, randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { withPrivateTmp } from '../helpers/private-tmp.js';
import { startFtpServer, type FtpServerHandle, type FtpServerOptions } from '../../servers/ftp.js';
import { curlConfigUser } from '../../src/clients/curl.js';
import { curlFtpArgs, curlFtpClient, curlFtpUrl } from '../../src/clients/curl-ftp.js';
import { lftpArgs, lftpConnections, lftpQuote, lftpScript, lftpClient } from '../../src/clients/lftp.js';
import type { ClientReport, FtpClientAdapter, FtpJob, FtpMode } from '../../src/clients/types.js';
import { contentOf } from '../../src/util/content.js';

const PASSWORD = 'secret-pw';
const TIMEOUTS = { connect: 5000, greeting: 5000, socket: 5000, deadline: 20_000 };
const CLIENTS: readonly FtpClientAdapter[] = [curlFtpClient, lftpClient];
const MODES: readonly FtpMode[] = ['passive', 'active'];

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function job(port: number, fields: Partial<FtpJob> = {}): FtpJob {
  return {
    host: '127.0.0.1',
    port,
    user: 'alice',
    password: PASSWORD,
    mode: 'passive',
    direction: 'upload',
    path: '/up.bin',
    content: contentOf(Buffer.alloc(0)),
    timeouts: TIMEOUTS,
    ...fields,
  };
}

async function withServer<T>(options: FtpServerOptions, use: (server: FtpServerHandle) => Promise<T>): Promise<T> {
  const server = await startFtpServer({ users: { alice: PASSWORD }, anonymous: 'off', ...options });
  try {
    return await use(server);
  } finally {
    await server.close();
  }
}

/** A port nothing listens on: bound by a server that is then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const run = (client: FtpClientAdapter, ftpJob: FtpJob): Promise<ClientReport> => client.run(ftpJob, AbortSignal.timeout(TIMEOUTS.deadline));

function failure(report: ClientReport) {
  if (report.ok) throw new Error(`expected a failure, got ${report.detail}`);
  return report.error;
}

describe('FTP process clients (curl, lftp)', () => {
  for (const client of CLIENTS) {
    for (const mode of MODES) {
      it(`${client.name} uploads 1 MiB in ${mode} mode and the server stores it whole`, async () => {
        const data = randomBytes(1 << 20);
        await withServer({}, async (server) => {
          const report = await run(client, job(server.port, { mode, content: contentOf(data) }));
          expect(report.ok).toBe(true);
          expect(server.files).toEqual([{ path: '/up.bin', bytes: data.length, sha256: sha256(data), received: data.length, complete: true }]);
          expect(server.read('/up.bin')?.equals(data)).toBe(true);
        });
      });

      it(`${client.name} downloads a preloaded file in ${mode} mode and reports its size and SHA-256`, async () => {
        const data = randomBytes(300_000);
        await withServer({ files: { '/d.bin': data } }, async (server) => {
          const report = await run(client, job(server.port, { mode, direction: 'download', path: '/d.bin' }));
          if (!report.ok) throw new Error(report.error.message);
          expect(report.received).toEqual({ bytes: data.length, sha256: sha256(data) });
          expect(server.files).toEqual([]);
        });
      });
    }

    // curl's 67 and 30 say `reply`; lftp's 1 says nothing (`wire`: classify takes the 530/502 it was shown).
    const replyMeaning = client.name === 'curl' ? 'reply' : 'wire';

    it(`${client.name} fails on a wrong password with its exit code for a refused login`, async () => {
      // Its temporary files go in a directory of this test's own: other tests run curl and lftp meanwhile.
      const { left } = await withPrivateTmp(() =>
        withServer({}, async (server) => {
          const error = failure(await run(client, job(server.port, { password: 'wrong-pw', content: contentOf(randomBytes(1000)) })));
          expect(error.exitCode).toBe(client.name === 'curl' ? 67 : 1);
          expect(client.exitCodes?.[error.exitCode ?? -1]).toBe(replyMeaning);
          expect(error.message).toContain('530');
          expect(error.message).not.toContain('wrong-pw');
          expect(server.files).toEqual([]);
        }),
      );
      expect(left).toEqual([]);
    });

    it(`${client.name} reports the connect failure exit code for a closed port`, async () => {
      const port = await closedPort();
      const error = failure(await run(client, job(port, { content: contentOf(randomBytes(1000)) })));
      expect(error.exitCode).toBe(client.name === 'curl' ? 7 : 1);
      expect(error.message).toContain(client.name === 'curl' ? "Couldn't connect to server" : 'Connection refused');
    });

    it(`${client.name} with resume runs a failed upload a second time, resuming, and says so`, async () => {
      await withServer({}, async (server) => {
        const error = failure(await run(client, job(server.port, { password: 'wrong-pw', content: contentOf(randomBytes(1000)), resume: true })));
        expect(error.exitCode).toBe(client.name === 'curl' ? 67 : 1);
        expect(error.message).toMatch(client.name === 'curl' ? /^resumed with -C - after exit 67: / : /^resumed with put -c after exit 1: /);
      });
    });

    it(`${client.name} turns a refused PORT/EPRT (502) into a failure in active mode`, async () => {
      await withServer({ active: 'off' }, async (server) => {
        const error = failure(await run(client, job(server.port, { mode: 'active', content: contentOf(randomBytes(1000)) })));
        expect(error.exitCode).toBe(client.name === 'curl' ? 30 : 1);
        expect(client.exitCodes?.[error.exitCode ?? -1]).toBe(replyMeaning);
        expect(error.message).toContain(client.name === 'curl' ? 'PORT/EPRT failed' : '502');
        expect(server.files).toEqual([]);
      });
    });
  }

  it('curl gets the password from a config file, never from its arguments', () => {
    const files = { config: '/tmp/x/config', output: '/tmp/x/download' };
    for (const resume of [false, true]) {
      for (const direction of ['upload', 'download'] as const) {
        const args = curlFtpArgs(job(2121, { direction, mode: 'active' }), files, resume);
        expect(args.join(' ')).not.toContain(PASSWORD);
        expect(args).toContain('/tmp/x/config');
      }
    }
    expect(curlConfigUser('alice', 'p"w\\x')).toBe('user = "alice:p\\"w\\\\x"\n');
  });

  it('curl sends the absolute path whole, resumes with -C -, and uses --ftp-port - in active mode', () => {
    const files = { config: '/c', output: '/o' };
    expect(curlFtpUrl({ host: '127.0.0.1', port: 21, path: '/dir/a b.bin' })).toBe('ftp://127.0.0.1:21/%2Fdir/a%20b.bin');
    expect(curlFtpUrl({ host: '::1', port: 21, path: '/x' })).toBe('ftp://[::1]:21/%2Fx');
    const active = curlFtpArgs(job(21, { mode: 'active' }), files, true);
    expect(active.slice(active.indexOf('--ftp-port'), active.indexOf('--ftp-port') + 4)).toEqual(['--ftp-port', '-', '--continue-at', '-']);
    expect(active.at(-3)).toBe('--upload-file');
    expect(curlFtpArgs(job(21, { direction: 'download' }), files, false).slice(-3)).toEqual(['--output', '/o', 'ftp://127.0.0.1:21/%2Fup.bin']);
  });

  it('lftp gets the password from a script file, never from its arguments', () => {
    const files = { script: '/tmp/x/script', local: '/tmp/x/data' };
    expect(lftpArgs(files)).toEqual(['--norc', '-f', '/tmp/x/script']);
    const script = lftpScript(job(2121, { user: 'al"ice', password: 'p\\w' }), files, false).split('\n');
    expect(script).toContain('user "al\\"ice" "p\\\\w"');
    expect(script).toContain('open -p 2121 "127.0.0.1"');
    expect(script).toContain('put "/tmp/x/data" -o "/up.bin"');
    expect(script).toContain('set ftp:passive-mode on');
  });

  it('lftp resumes with put -c, pins active mode, and gets downloads into the local file', () => {
    const files = { script: '/s', local: '/l' };
    const active = lftpScript(job(21, { mode: 'active' }), files, true).split('\n');
    expect(active).toContain('put -c "/l" -o "/up.bin"');
    expect(active).toContain('set ftp:passive-mode off');
    expect(active).toContain('set ftp:auto-passive-mode no');
    expect(lftpScript(job(21, { direction: 'download', path: '/d.bin' }), files, false).split('\n')).toContain('get "/d.bin" -o "/l"');
    expect(() => lftpQuote('a\r\nQUIT')).toThrow(TypeError);
  });

  it('lftp retries a STOR from the start (no REST) unless the job resumes', () => {
    const files = { script: '/s', local: '/l' };
    expect(lftpScript(job(21), files, false).split('\n')).toContain('set ftp:rest-stor no');
    expect(lftpScript(job(21, { resume: true }), files, false).split('\n')).toContain('set ftp:rest-stor yes');
    expect(lftpScript(job(21, { resume: true }), files, true).split('\n')).toContain('set ftp:rest-stor yes');
  });

  it('lftp counts its control connection attempts from its debug lines', () => {
    const stderr = [
      '---- Connecting to 127.0.0.1 (127.0.0.1) port 2121',
      '**** Timeout - reconnecting',
      '---- Connecting to 127.0.0.1 (127.0.0.1) port 2121',
      '---- Connecting data socket to (127.0.0.1) port 40000',
      'put: Fatal error: max-retries exceeded',
    ].join('\n');
    expect(lftpConnections(stderr)).toBe(2);
  });
});
