/** `--pcap DIR` on `run` and `serve`: a file per proxied session, where the README says. */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/commands/run.js';
import { selectClients } from '../../src/commands/select.js';
import { serveCommand } from '../../src/commands/serve.js';
import { SUITES } from '../../suites/index.js';

const run = promisify(execFile);

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-pcap-cmd-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('--pcap DIR', () => {
  it('on run: writes each session of a result under its id, with the fault as a comment', async () => {
    const resets = SUITES.find((s) => s.name === 'smtp/resets')!;
    const scenario = resets.scenarios[0]!;
    const err = new Sink();
    const code = await runCommand({
      suites: [{ ...resets, scenarios: [scenario] }],
      clients: selectClients(['nodemailer']),
      servers: [],
      concurrency: 1,
      pcap: dir,
      failOnDeviation: false,
      version: 'test',
      out: new Sink(),
      err,
      color: false,
      live: false,
    });
    expect(code).toBe(0);
    expect(err.text).toBe('');
    const folder = join(dir, ...scenario.id.split('/'));
    const files = await readdir(folder);
    expect(files).toContain('nodemailer-session1.pcapng');
    const { stdout } = await run('tshark', ['-r', join(folder, 'nodemailer-session1.pcapng'), '-Y', 'frame.comment', '-T', 'fields', '-e', 'frame.comment']);
    expect(stdout).toContain('fault fired');
  });

  it('on serve: writes each session as <protocol>-session<N>.pcapng by the time serve has closed', async () => {
    const serving = await serveCommand({ protocol: 'smtp', server: {}, faults: [], host: '127.0.0.1', port: 0, out: new PassThrough(), pcap: dir });
    try {
      const port = Number(new URL(serving.url).port);
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
      await transport.sendMail({ from: 'a@example.test', to: 'b@example.test', text: 'hello pcap' });
      transport.close();
    } finally {
      await serving.close();
    }
    expect(await readdir(dir)).toEqual(['smtp-session1.pcapng']);
    const { stdout } = await run('tshark', ['-r', join(dir, 'smtp-session1.pcapng'), '-q', '-z', 'follow,tcp,ascii,0']);
    expect(stdout).toContain('hello pcap');
  });
});
