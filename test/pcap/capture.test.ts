import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import { Client } from 'basic-ftp';
import { afterEach, describe, expect, it } from 'vitest';
import { startFtpServer } from '../../servers/ftp.js';
import type { Fault } from '../../src/faults/types.js';
import { PcapRecorder } from '../../src/pcap/recorder.js';
import { startProxy } from '../../src/proxy/proxy.js';
import { connectRaw } from '../helpers/raw-client.js';
import { startScriptedSmtp } from '../helpers/scripted-smtp.js';

const run = promisify(execFile);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const has = (s: string) => (text: string) => text.includes(s);

/** One session through a capturing proxy (SMTP to a scripted server, or FTP); resolves with the pcapng file once it is written. */
async function captured(fault: Fault | undefined, talk: (port: number) => Promise<void>, protocol: 'smtp' | 'ftp' = 'smtp'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wireprobe-pcap-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const server = protocol === 'smtp' ? await startScriptedSmtp() : await startFtpServer({ users: { alice: 'pw' }, anonymous: 'off' });
  cleanups.push(() => server.close());
  const recorder = new PcapRecorder({ file: (n) => join(dir, `session-${n}.pcapng`), label: 'test' });
  const faults = fault ? [fault] : [];
  const proxy = await startProxy({ upstream: { host: '127.0.0.1', port: server.port }, faults, protocol, capture: recorder.capture });
  await talk(proxy.port);
  await proxy.idle();
  await proxy.close();
  await recorder.close();
  expect(await readdir(dir)).toEqual(['session-1.pcapng']);
  return join(dir, 'session-1.pcapng');
}

const tshark = async (...args: string[]): Promise<string> => (await run('tshark', args, { maxBuffer: 16 * 1024 * 1024 })).stdout;

/** The ASCII payload of each side of TCP stream `n`, as tshark's "follow" reassembles it: [first speaker's, other's]. */
async function follow(file: string, n: number): Promise<string[]> {
  const out = await tshark('-r', file, '-q', '-z', `follow,tcp,raw,${n}`);
  const sides = ['', ''];
  for (const line of out.split('\n')) {
    const m = /^(\t?)([0-9a-f]+)$/.exec(line);
    if (m) sides[m[1] ? 1 : 0] += Buffer.from(m[2]!, 'hex').toString('latin1');
  }
  return sides;
}

describe('pcapng capture of proxied sessions (tshark)', () => {
  it('reassembles the SMTP conversation byte for byte on both legs', async () => {
    const body = `${'x'.repeat(70_000)}\r\n`;
    const file = await captured(undefined, async (port) => {
      const client = await connectRaw(port);
      await client.until(has('220 '));
      client.send('EHLO me\r\n');
      await client.until(has('250 SIZE'));
      client.send('MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n');
      await client.until(has('354'));
      client.send(`${body}.\r\nQUIT\r\n`);
      await client.until(has('221'));
      await client.ended;
    });
    const sent = `EHLO me\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n${body}.\r\nQUIT\r\n`;
    const replies =
      '220 scripted ESMTP\r\n250-scripted\r\n250-PIPELINING\r\n250 SIZE 100000000\r\n250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go ahead\r\n250 2.0.0 queued\r\n221 bye\r\n';
    // Stream 0 is the client's leg (the client speaks first on it: its SYN), stream 1 the server's.
    for (const stream of [0, 1]) {
      const [first, second] = await follow(file, stream);
      expect([first, second].sort()).toEqual([sent, replies].sort());
    }
    const expert = await tshark('-r', file, '-q', '-z', 'expert,warn');
    expect(expert).not.toMatch(/Warning|Error/);
    const checksums = await tshark(
      '-r',
      file,
      '-o',
      'tcp.check_checksum:TRUE',
      '-o',
      'ip.check_checksum:TRUE',
      '-Y',
      'tcp.checksum.status == 0 || ip.checksum.status == 0',
    );
    expect(checksums.trim()).toBe('');
  });

  it('marks the fault as a comment on the packet after it fired, and shows the RST on the client leg only', async () => {
    const file = await captured({ kind: 'reset', at: { after: 'DATA', bytes: 1000 } }, async (port) => {
      const client = await connectRaw(port);
      await client.until(has('220 '));
      client.send('EHLO me\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n');
      await client.until(has('354'));
      client.send('y'.repeat(5000));
      expect(await client.ended).toBe('rst');
    });
    const comments = await tshark('-r', file, '-Y', 'frame.comment', '-T', 'fields', '-e', 'frame.comment');
    expect(comments).toMatch(/reset/i);
    const resets = await tshark('-r', file, '-Y', 'tcp.flags.reset == 1', '-T', 'fields', '-e', 'frame.interface_name', '-e', 'tcp.srcport');
    expect(resets.trim().split('\n')).toHaveLength(1);
    expect(resets).toContain('client-proxy');
  });

  it('captures an FTP data connection as two more TCP streams, the upload reassembled on both', async () => {
    const data = Buffer.from(`${'upload '.repeat(3000)}end`);
    const file = await captured(
      undefined,
      async (port) => {
        const client = new Client(5_000);
        await client.access({ host: '127.0.0.1', port, user: 'alice', password: 'pw' });
        await client.uploadFrom(Readable.from([data]), 'up.bin');
        client.close();
      },
      'ftp',
    );
    const streams = await tshark('-r', file, '-T', 'fields', '-e', 'tcp.stream');
    expect(new Set(streams.trim().split('\n')).size).toBe(4);
    const interfaces = await tshark('-r', file, '-Y', 'tcp.len > 1000', '-T', 'fields', '-e', 'frame.interface_name');
    expect(new Set(interfaces.trim().split('\n'))).toEqual(new Set(['client-proxy', 'proxy-server']));
    for (const stream of [2, 3]) expect((await follow(file, stream)).join('')).toBe(data.toString('latin1'));
  });
});
