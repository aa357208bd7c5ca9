/** startFtp as a test author uses it: basic-ftp in-process against the mock behind the fault proxy. */
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { Client } from 'basic-ftp';
import { describe, expect, it } from 'vitest';
import { type FtpMock, startFtp } from '../../src/index.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Uploads `data` to `path` on a new connection; resolves with the client's error, or undefined. */
async function upload(ftp: FtpMock, path: string, data: Buffer): Promise<NodeJS.ErrnoException | undefined> {
  const client = new Client(5_000);
  try {
    await client.access({ host: ftp.host, port: ftp.port, user: 'alice', password: 'pw' });
    await client.uploadFrom(Readable.from([data]), path);
    return undefined;
  } catch (error) {
    return error as NodeJS.ErrnoException;
  } finally {
    client.close();
  }
}

async function withFtp(options: Parameters<typeof startFtp>[0], body: (ftp: FtpMock) => Promise<void>): Promise<void> {
  const ftp = await startFtp({ users: { alice: 'pw' }, anonymous: 'off', ...options });
  try {
    await body(ftp);
  } finally {
    await ftp.close();
  }
}

describe('startFtp', () => {
  it('records an upload with its hash and content, and serves a preloaded file', async () => {
    await withFtp({ files: { '/hello.txt': 'hello\n' } }, async (ftp) => {
      const data = randomBytes(100_000);
      const next = ftp.waitForUpload();
      expect(await upload(ftp, '/up.bin', data)).toBeUndefined();
      const uploaded = await next;
      expect(ftp.uploads).toHaveLength(1);
      expect(uploaded).toMatchObject({ path: '/up.bin', bytes: data.length, sha256: sha256(data), complete: true, session: 1 });
      expect(await uploaded.raw()).toEqual(data);

      const client = new Client(5_000);
      const chunks: Buffer[] = [];
      try {
        await client.access({ host: ftp.host, port: ftp.port, user: 'alice', password: 'pw' });
        await client.downloadTo(new Writable({ write: (chunk: Buffer, _e, done) => done(void chunks.push(chunk)) }), '/hello.txt');
      } finally {
        client.close();
      }
      expect(Buffer.concat(chunks).toString()).toBe('hello\n');
      ftp.clearUploads();
      expect(ftp.uploads).toHaveLength(0);
    });
  });

  it('once closed: raw() rejects with ECLOSED (never an empty file), and so does waitForUpload, at once', async () => {
    const ftp = await startFtp({ users: { alice: 'pw' }, anonymous: 'off' });
    try {
      expect(await upload(ftp, '/kept.bin', randomBytes(1000))).toBeUndefined();
    } finally {
      await ftp.close();
    }
    const [kept] = ftp.uploads;
    await expect(kept!.raw()).rejects.toMatchObject({ code: 'ECLOSED', message: 'the server closed: its files are gone' });
    await expect(ftp.waitForUpload({ timeout: 60_000 })).rejects.toMatchObject({ code: 'ECLOSED' });
  });

  it('cuts the data connection of the first connection only, with a plan', async () => {
    await withFtp({}, async (ftp) => {
      ftp.plan(['reset after STOR +64KiB channel data', 'pass']);
      const data = randomBytes(256 * 1024);
      expect((await upload(ftp, '/a.bin', data))?.code).toBe('ECONNRESET');
      expect(await upload(ftp, '/b.bin', data)).toBeUndefined();
      // The cut upload is recorded once the mock sees its data connection end: at the latest on close.
      await ftp.close();
      const bySession = [...ftp.uploads].sort((x, y) => x.session - y.session);
      expect(bySession.map((u) => [u.path, u.complete, u.session])).toEqual([
        ['/a.bin', false, 1],
        ['/b.bin', true, 2],
      ]);
      expect(bySession[1]?.sha256).toBe(sha256(data));
      expect(ftp.sessions[0]?.faultsFired).toEqual(['reset after STOR +64KiB channel data']);
    });
  });

  it('cuts only the transfer whose path matches', async () => {
    await withFtp({}, async (ftp) => {
      ftp.arm('reset after STOR +64KiB channel data', { match: { path: /cut/ } });
      const data = randomBytes(256 * 1024);
      expect(await upload(ftp, '/ok.bin', data)).toBeUndefined();
      expect((await upload(ftp, '/cut.bin', data))?.code).toBe('ECONNRESET');
      await ftp.close();
      expect(ftp.uploads.map((u) => [u.path, u.complete])).toEqual([
        ['/ok.bin', true],
        ['/cut.bin', false],
      ]);
    });
  });
});
