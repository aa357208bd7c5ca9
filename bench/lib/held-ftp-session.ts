/**
 * One FTP session a bench holds open across its runs, as a sync or backup job does: each `transfer(n)`
 * uploads n files of 1 KiB in it and downloads each back (basic-ftp, passive), one transfer at a time.
 * What a server keeps per transfer of a session still open shows between two runs. basic-ftp's
 * timeout bounds every reply and data connection, so a server that stops answering fails the run.
 */
import { Readable, Writable } from 'node:stream';
import { Client } from 'basic-ftp';

export interface HeldFtpSession {
  transfer(files: number): Promise<void>;
  close(): void;
}

/** A reply or data connection that takes longer than this fails the run. */
const TIMEOUT_MS = 30_000;
const FILE = Buffer.alloc(1024, 0x61);
/** Names reused in turn, as a job that rewrites the same files does (the server's files stay few). */
const NAMES = 50;

export async function holdFtpSession(port: number): Promise<HeldFtpSession> {
  const client = new Client(TIMEOUT_MS);
  try {
    await client.access({ host: '127.0.0.1', port, user: 'anonymous', password: 'bench@localhost' });
  } catch (error) {
    client.close();
    throw error;
  }
  let n = 0;
  return {
    async transfer(files) {
      for (let i = 0; i < files; i++) {
        const name = `held-${n++ % NAMES}.bin`;
        await client.uploadFrom(Readable.from([FILE]), name);
        await client.downloadTo(new Writable({ write: (_chunk, _encoding, done) => done() }), name);
      }
    },
    close: () => client.close(),
  };
}
