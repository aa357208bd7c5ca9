/**
 * `run --pcap DIR` on the session-limit scenarios: the connections the limit turns away have their
 * files beside the relayed ones, with the client's leg alone, the proxy's 421 or RST, and the `!!`
 * line as a comment. Read with the test's own pcapng reader; tshark, where installed, reads them too.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/commands/run.js';
import { selectClients } from '../../src/commands/select.js';
import { serveCommand } from '../../src/commands/serve.js';
import { LIMIT_REPLY } from '../../src/faults/limit.js';
import { TCP } from '../../src/pcap/packet.js';
import { SUITES } from '../../suites/index.js';
import { connectRaw } from '../helpers/raw-client.js';
import { type ReadCapture, readCapture } from './pcapng-reader.js';

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
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-pcap-limits-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs scenario `id` with `client` and `--pcap`; resolves with every file written, by path under the scenario's folder. */
async function captures(id: string, client: string): Promise<Map<string, ReadCapture>> {
  const suite = SUITES.find((s) => s.scenarios.some((c) => c.id === id))!;
  const err = new Sink();
  const code = await runCommand({
    suites: [{ ...suite, scenarios: suite.scenarios.filter((s) => s.id === id) }],
    clients: selectClients([client]),
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
  const folder = join(dir, ...id.split('/'));
  const files = new Map<string, ReadCapture>();
  for (const name of (await readdir(folder, { recursive: true })).filter((n) => n.endsWith('.pcapng')).sort()) {
    files.set(name, await readCapture(join(folder, name)));
  }
  return files;
}

/** The files whose packets carry `note` as a comment. */
function noted(files: Map<string, ReadCapture>, note: string): [string, ReadCapture][] {
  return [...files].filter(([, capture]) => capture.packets.some((p) => p.comments.includes(note)));
}

/** Whether tshark is installed: it is never needed, only used where it is. */
async function hasTshark(): Promise<boolean> {
  return run('tshark', ['--version']).then(
    () => true,
    () => false,
  );
}

describe('--pcap on session-limit scenarios', () => {
  it.each([
    ['ftp/limits/over-limit-421', 'basic-ftp'],
    ['smtp/limits/over-limit-421', 'nodemailer'],
  ])('%s with %s: each connection turned away has its file, the 421 on its client leg, the note a comment', async (id, client) => {
    const files = await captures(id, client);
    const away = noted(files, 'over the session limit: reply');
    expect(away.length).toBeGreaterThan(0);
    // Sessions the limit admitted were relayed: both legs.
    expect(files.size).toBeGreaterThan(away.length);
    for (const [name, { packets }] of away) {
      expect(name).toMatch(/-session\d+\.pcapng$/);
      expect(new Set(packets.map((p) => p.iface))).toEqual(new Set(['client-proxy']));
      expect(packets[0]!.flags).toBe(TCP.SYN);
      const proxyPort = packets[0]!.dstPort;
      const reply = packets.filter((p) => p.srcPort === proxyPort && p.payload.length > 0);
      expect(reply.map((p) => p.payload.toString('latin1'))).toEqual([LIMIT_REPLY.toString('latin1')]);
      expect(reply[0]!.comments).toEqual(['over the session limit: reply']);
      expect(packets.some((p) => p.srcPort === proxyPort && p.flags & TCP.FIN)).toBe(true);
    }
    if (await hasTshark()) {
      const { stdout } = await run('tshark', ['-r', join(dir, ...id.split('/'), away[0]![0]), '-Y', 'frame.comment', '-T', 'fields', '-e', 'frame.comment']);
      expect(stdout).toContain('over the session limit: reply');
    }
  });

  it('ftp/limits/over-limit-reset with basic-ftp: each connection turned away has its file, the proxy RST on its client leg', async () => {
    const files = await captures('ftp/limits/over-limit-reset', 'basic-ftp');
    const away = noted(files, 'over the session limit: reset');
    expect(away.length).toBeGreaterThan(0);
    for (const [, { packets }] of away) {
      expect(new Set(packets.map((p) => p.iface))).toEqual(new Set(['client-proxy']));
      const proxyPort = packets[0]!.dstPort;
      const last = packets.at(-1)!;
      expect([last.flags, last.srcPort === proxyPort, last.comments]).toEqual([TCP.RST | TCP.ACK, true, ['over the session limit: reset']]);
      expect(packets.every((p) => p.payload.length === 0)).toBe(true);
    }
  });

  it('on serve: a connection turned away is <protocol>-session<N>.pcapng like the relayed ones', async () => {
    const limit = { kind: 'limit', max: 0, over: 'reply', at: 'connect' } as const;
    const serving = await serveCommand({ protocol: 'ftp', server: {}, faults: [limit], host: '127.0.0.1', port: 0, out: new PassThrough(), pcap: dir });
    try {
      const client = await connectRaw(Number(new URL(serving.url).port));
      await client.until((text) => text.includes('421 '));
      await client.ended;
    } finally {
      await serving.close();
    }
    expect(await readdir(dir)).toEqual(['ftp-session1.pcapng']);
    const { section, packets } = await readCapture(join(dir, 'ftp-session1.pcapng'));
    expect(section).toEqual(['wireprobe session 1: wireprobe serve ftp']);
    const reply = packets.find((p) => p.payload.length > 0)!;
    expect([reply.payload.toString('latin1'), reply.comments]).toEqual([LIMIT_REPLY.toString('latin1'), ['over the session limit: reply']]);
  });
});
