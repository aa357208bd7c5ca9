/** The mock FTP server's spool: uploads on disk in a private folder, gone when the server is. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { Client } from 'basic-ftp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFtpServer, type FtpServerHandle, type FtpServerOptions } from '../../servers/ftp.js';
import { randomContent } from '../../src/util/content.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

// Each test gets a TMPDIR of its own, so the spool folder it looks for is the server's alone.
let temp = '';
let savedTmpdir: string | undefined;
beforeEach(() => {
  savedTmpdir = process.env.TMPDIR;
  temp = mkdtempSync(join(tmpdir(), 'wireprobe-spool-test-'));
  process.env.TMPDIR = temp;
});
afterEach(() => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  rmSync(temp, { recursive: true, force: true });
});

/** The spool folders under this test's TMPDIR. */
const spools = (): string[] =>
  readdirSync(temp)
    .filter((name) => name.startsWith('wireprobe-ftp-'))
    .map((name) => join(temp, name));

/** Starts a server and a logged-in basic-ftp client, runs `body`, and closes both. */
async function withClient(options: FtpServerOptions, body: (client: Client, server: FtpServerHandle) => Promise<void>): Promise<void> {
  const server = await startFtpServer(options);
  const client = new Client(10_000);
  try {
    await client.access({ host: server.host, port: server.port, user: 'anonymous', password: 'guest', secure: false });
    await body(client, server);
  } finally {
    client.close();
    await server.close();
  }
}

/**
 * What a download delivers. `slow`: the sink takes each chunk a turn of the event loop later, and
 * holds little, so the client reads behind the server and the server's writes wait.
 */
async function download(client: Client, path: string, { startAt = 0, slow = false } = {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: slow ? 1024 : undefined,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      if (slow) setImmediate(callback);
      else callback();
    },
  });
  await client.downloadTo(sink, path, startAt);
  return Buffer.concat(chunks);
}

/**
 * Resolves once `holds()` is true of the spool folder `dir`, looking again at each change in it: a
 * replaced file is unlinked off the event loop (its name is never used again), after the 226.
 */
async function until(dir: string, holds: () => boolean): Promise<void> {
  await new Promise<void>((resolve) => {
    const watcher = watch(dir, () => holds() && (watcher.close(), resolve()));
    if (holds()) {
      watcher.close();
      resolve();
    }
  });
}

describe('the mock FTP server spool', () => {
  it('writes uploads to a private folder (0700) it removes on close, one file per name however often it is uploaded', async () => {
    const last = randomBytes(300_000);
    await withClient({}, async (client, server) => {
      const [spool] = spools();
      expect(spools()).toHaveLength(1);
      expect(statSync(spool!).mode & 0o777).toBe(0o700);
      await client.uploadFrom(Readable.from([randomBytes(500_000)]), 'same.bin');
      await client.uploadFrom(Readable.from([last]), 'same.bin');
      await until(spool!, () => readdirSync(spool!).length === 1);
      expect(readdirSync(spool!).map((name) => statSync(join(spool!, name)).size)).toEqual([last.length]);
      expect(server.files.map((f) => f.sha256).at(-1)).toBe(sha256(last));
      expect((await download(client, 'same.bin')).equals(last)).toBe(true);
    });
    expect(spools()).toEqual([]);
  });

  it('removes the spool folder at once, synchronously, when its signal aborts', async () => {
    const controller = new AbortController();
    const server = await startFtpServer({ signal: controller.signal });
    try {
      expect(spools()).toHaveLength(1);
      controller.abort();
      expect(spools()).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('appends to a preloaded file with APPE, and a new STOR replaces the result', async () => {
    const first = randomBytes(2_000_000);
    await withClient({ files: { '/f.bin': first } }, async (client, server) => {
      expect((await download(client, 'f.bin')).equals(first)).toBe(true);
      const tail = randomBytes(1000);
      await client.appendFrom(Readable.from([tail]), 'f.bin');
      expect(server.read('f.bin')?.equals(Buffer.concat([first, tail]))).toBe(true);
      expect(server.files.at(-1)).toMatchObject({
        bytes: first.length + tail.length,
        sha256: sha256(Buffer.concat([first, tail])),
        received: tail.length,
        complete: true,
      });
      const resumed = randomBytes(700);
      await client.uploadFrom(Readable.from([resumed]), 'f.bin');
      expect(server.read('f.bin')?.equals(resumed)).toBe(true);
    });
  });

  it("keeps a preloaded file in the caller's buffer until it is used: a server with many files starts without writing them", async () => {
    const files = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`/many/${i}.txt`, Buffer.from(`file ${i}`)]));
    await withClient({ files }, async (client, server) => {
      expect(readdirSync(spools()[0]!)).toEqual([]);
      expect((await download(client, 'many/7.txt')).toString()).toBe('file 7');
      expect(server.read('/many/999.txt')?.toString()).toBe('file 999');
    });
  });

  it('keeps only the newest `keep` uploads in files and counts them all in stored()', async () => {
    await withClient({ keep: 1 }, async (client, server) => {
      await client.uploadFrom(Readable.from([Buffer.from('one')]), 'a.txt');
      await client.uploadFrom(Readable.from([Buffer.from('two')]), 'b.txt');
      expect(server.files.map((f) => f.path)).toEqual(['/b.txt']);
      expect(server.stored()).toBe(2);
    });
    await expect(startFtpServer({ keep: 1.5 })).rejects.toThrow(/keep must be/);
  });

  it('appends in place to a file no transfer has open: the same spool file, no copy, the hash carried on', async () => {
    const head = randomBytes(400_000);
    const tail = randomBytes(1000);
    await withClient({}, async (client, server) => {
      await client.uploadFrom(Readable.from([head]), 'log.bin');
      const [spool] = spools();
      const [before] = readdirSync(spool!).map((name) => statSync(join(spool!, name)).ino);
      await client.appendFrom(Readable.from([tail]), 'log.bin');
      expect(readdirSync(spool!).map((name) => statSync(join(spool!, name)).ino)).toEqual([before]);
      expect(server.files.at(-1)).toMatchObject({
        bytes: head.length + tail.length,
        sha256: sha256(Buffer.concat([head, tail])),
        received: tail.length,
        complete: true,
      });
      expect((await download(client, 'log.bin')).equals(Buffer.concat([head, tail]))).toBe(true);
    });
  });

  it('resumes in place after REST at the end of a cut upload, and copies the part kept after REST below the end', async () => {
    const head = randomBytes(1000);
    const tail = randomBytes(600);
    await withClient({}, async (client, server) => {
      await client.uploadFrom(Readable.from([head]), 'r.bin');
      const [spool] = spools();
      // A file listed may be gone by its stat: the replaced one is unlinked off the event loop.
      const inodes = (): number[] => readdirSync(spool!).flatMap((name) => statSync(join(spool!, name), { throwIfNoEntry: false })?.ino ?? []);
      const [before] = inodes();
      expect((await client.send('REST 1000')).code).toBe(350);
      await client.uploadFrom(Readable.from([tail]), 'r.bin');
      const resumed = Buffer.concat([head, tail]);
      expect(inodes()).toEqual([before]);
      expect(server.read('r.bin')?.equals(resumed)).toBe(true);
      expect(server.files.at(-1)).toMatchObject({ bytes: resumed.length, sha256: sha256(resumed), received: tail.length, complete: true });
      expect((await client.send('REST 400')).code).toBe(350);
      await client.uploadFrom(Readable.from([tail]), 'r.bin');
      const cut = Buffer.concat([head.subarray(0, 400), tail]);
      await until(spool!, () => !inodes().includes(before!));
      expect(inodes()).toHaveLength(1);
      expect(server.read('r.bin')?.equals(cut)).toBe(true);
      expect(server.files.at(-1)).toMatchObject({ bytes: cut.length, sha256: sha256(cut), received: tail.length, complete: true });
    });
  });

  it("writes a scenario's preloaded content to the spool before it listens, and serves it whole; a given Buffer waits until used", async () => {
    const content = randomContent(3_000_000 + 7);
    const server = await startFtpServer({ files: { 'made.bin': content, 'given.bin': Buffer.from('small') } });
    try {
      // On disk already, before any session: no synchronous write of it stalls the server later.
      const [spool] = spools();
      expect(readdirSync(spool!).map((name) => statSync(join(spool!, name)).size)).toEqual([content.size]);
      const client = new Client(10_000);
      try {
        await client.access({ host: server.host, port: server.port, user: 'anonymous', password: 'guest', secure: false });
        expect(sha256(await download(client, 'made.bin'))).toBe((await content.digest()).sha256);
        expect((await download(client, 'given.bin')).toString()).toBe('small');
      } finally {
        client.close();
      }
    } finally {
      await server.close();
    }
  });

  it('sends every octet of a file of many chunks to concurrent downloads, fast, slow and from a restart offset', async () => {
    const content = randomBytes(5_000_000 + 123);
    const server = await startFtpServer({ files: { 'f.bin': content } });
    const clients = Array.from({ length: 4 }, () => new Client(10_000));
    try {
      for (const client of clients) await client.access({ host: server.host, port: server.port, user: 'anonymous', password: 'guest', secure: false });
      const [fast, slow, offset, slowOffset] = await Promise.all([
        download(clients[0]!, 'f.bin'),
        download(clients[1]!, 'f.bin', { slow: true }),
        download(clients[2]!, 'f.bin', { startAt: 70_000 }),
        download(clients[3]!, 'f.bin', { startAt: 1_000_001, slow: true }),
      ]);
      expect(sha256(fast)).toBe(sha256(content));
      expect(sha256(slow)).toBe(sha256(content));
      expect(sha256(offset)).toBe(sha256(content.subarray(70_000)));
      expect(sha256(slowOffset)).toBe(sha256(content.subarray(1_000_001)));
    } finally {
      for (const client of clients) client.close();
      await server.close();
    }
  });

  it('writes and hashes concurrent uploads of several MiB exactly, each into its own file', async () => {
    const server = await startFtpServer();
    const clients = Array.from({ length: 4 }, () => new Client(10_000));
    try {
      const contents = clients.map(() => randomBytes(3_000_000));
      await Promise.all(
        clients.map(async (client, i) => {
          await client.access({ host: server.host, port: server.port, user: 'anonymous', password: 'guest', secure: false });
          await client.uploadFrom(Readable.from([contents[i]!]), `c${i}.bin`);
        }),
      );
      const byPath = Object.fromEntries(server.files.map((f) => [f.path, f]));
      contents.forEach((content, i) => {
        expect(byPath[`/c${i}.bin`]).toEqual({ path: `/c${i}.bin`, bytes: content.length, sha256: sha256(content), received: content.length, complete: true });
        expect(server.read(`c${i}.bin`)?.equals(content)).toBe(true);
      });
    } finally {
      for (const client of clients) client.close();
      await server.close();
    }
  });
});
