/** `--keylog FILE` on `run` and `serve smtp --tls starttls`: NSS key log lines of both legs, appended; the CA file gone after. */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import nodemailer from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/commands/run.js';
import { selectClients } from '../../src/commands/select.js';
import { serveCommand } from '../../src/commands/serve.js';
import { inProcess, Sink } from '../helpers/in-process.js';
import { SUITES } from '../../suites/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-keylog-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The distinct client randoms of the TLS 1.3 handshake secrets in a key log: one per TLS session. */
const sessions = (log: string): number =>
  new Set(
    log
      .split('\n')
      .filter((l) => l.startsWith('CLIENT_HANDSHAKE_TRAFFIC_SECRET '))
      .map((l) => l.split(' ')[1]),
  ).size;

describe('--keylog FILE', () => {
  it('on run: both legs of the clean smtp/tls session, in a private file', async () => {
    const tls = SUITES.find((s) => s.name === 'smtp/tls')!;
    const file = join(dir, 'keys.log');
    const code = await runCommand({
      suites: [{ ...tls, scenarios: [tls.scenarios[0]!] }],
      clients: selectClients(['nodemailer']),
      servers: [],
      concurrency: 1,
      keylog: file,
      failOnDeviation: true,
      version: 'test',
      out: new Sink(),
      err: new Sink(),
      color: false,
      live: false,
    });
    expect(code).toBe(0);
    expect(sessions(await readFile(file, 'latin1'))).toBe(2);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('on serve smtp --tls starttls: the proxy terminates, names the CA file to trust (removed at close), logs the keys', async () => {
    const file = join(dir, 'serve.log');
    const out = new PassThrough();
    let said = '';
    // serve's log is written in batches: the CA line comes when it comes.
    const named = new Promise<string>((resolve) =>
      out.on('data', (d: Buffer) => {
        said += d.toString();
        const path = /clients must trust the CA certificate in (\S+)/.exec(said)?.[1];
        if (path) resolve(path);
      }),
    );
    const serving = await serveCommand({ protocol: 'smtp', server: { tls: 'starttls' }, faults: [], host: '127.0.0.1', port: 0, out, keylog: file });
    let ca = '';
    try {
      ca = await named;
      const port = Number(new URL(serving.url).port);
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port, requireTLS: true, tls: { ca: await readFile(ca) } });
      await transport.sendMail({ from: 'a@example.test', to: 'b@example.test', text: 'hello tls' });
      transport.close();
    } finally {
      await serving.close();
    }
    expect(existsSync(ca)).toBe(false);
    expect(sessions(await readFile(file, 'latin1'))).toBe(2);
  });

  it('refuses --keylog on serve smtp without --tls starttls, in one line', async () => {
    const { code, stderr } = await inProcess(['serve', 'smtp', '--keylog', join(dir, 'k.log')]);
    expect(code).not.toBe(0);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('--keylog needs --tls starttls');
  });
});
