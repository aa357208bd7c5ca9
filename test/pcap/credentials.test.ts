/**
 * Captures of real logins through the capturing proxy (nodemailer AUTH PLAIN and LOGIN, basic-ftp
 * USER/PASS): no byte of the file holds the password or its base64 forms, and tshark still reassembles
 * both legs' streams with `*` in their place.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'basic-ftp';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { startFtpServer } from '../../servers/ftp.js';
import { startSmtpServer } from '../../servers/smtp.js';
import { PcapRecorder } from '../../src/pcap/recorder.js';
import { startProxy } from '../../src/proxy/proxy.js';

const run = promisify(execFile);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const PASSWORD = 's3cret-Pw9';
const USER = 'alice';

/** One session through a capturing proxy in front of `server`; resolves with the pcapng file once it is written. */
async function captured(server: { port: number; close(): Promise<void> }, protocol: 'smtp' | 'ftp', talk: (port: number) => Promise<void>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wireprobe-pcap-auth-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  cleanups.push(() => server.close());
  const recorder = new PcapRecorder({ file: (n) => join(dir, `session-${n}.pcapng`), label: 'test' });
  const proxy = await startProxy({ upstream: { host: '127.0.0.1', port: server.port }, faults: [], protocol, capture: recorder.capture });
  await talk(proxy.port);
  await proxy.idle();
  await proxy.close();
  await recorder.close();
  return join(dir, 'session-1.pcapng');
}

/** Both sides of TCP stream `n` as tshark reassembles them, one after the other. */
async function follow(file: string, n: number): Promise<string> {
  const { stdout } = await run('tshark', ['-r', file, '-q', '-z', `follow,tcp,raw,${n}`], { maxBuffer: 16 * 1024 * 1024 });
  const sides = ['', ''];
  for (const line of stdout.split('\n')) {
    const m = /^(\t?)([0-9a-f]+)$/.exec(line);
    if (m) sides[m[1] ? 1 : 0] += Buffer.from(m[2]!, 'hex').toString('latin1');
  }
  return sides.join('\n');
}

/** Every form of the password a capture could leak: as sent, and base64 alone or in an AUTH PLAIN response. */
const FORMS = [
  PASSWORD,
  Buffer.from(PASSWORD).toString('base64'),
  Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64'),
  Buffer.from(`${USER}\0${USER}\0${PASSWORD}`).toString('base64'),
];

async function expectNoPassword(file: string): Promise<void> {
  const bytes = await readFile(file);
  for (const form of FORMS) expect(bytes.includes(Buffer.from(form, 'latin1')), form).toBe(false);
}

const stars = (text: string): string => '*'.repeat(text.length);

describe('pcapng captures mask credentials', () => {
  for (const method of ['PLAIN', 'LOGIN'] as const) {
    it(`nodemailer AUTH ${method}: no form of the password in the file, the streams reassembled with * in its place`, async () => {
      const server = await startSmtpServer({ auth: 'required', users: { [USER]: PASSWORD } });
      const file = await captured(server, 'smtp', async (port) => {
        const transport = nodemailer.createTransport({
          host: '127.0.0.1',
          port,
          secure: false,
          ignoreTLS: true,
          authMethod: method,
          auth: { user: USER, pass: PASSWORD },
        });
        try {
          await transport.sendMail({ from: 'a@example.test', to: 'b@example.test', text: 'hello pcap' });
        } finally {
          transport.close();
        }
      });
      expect(server.messages).toHaveLength(1);
      await expectNoPassword(file);
      const login = Buffer.from(USER).toString('base64');
      const plain = Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64');
      for (const stream of [0, 1]) {
        const text = await follow(file, stream);
        expect(text).toContain('hello pcap');
        expect(text).toContain(method === 'PLAIN' ? `AUTH PLAIN ${stars(plain)}\r\n` : `AUTH LOGIN\r\n${stars(login)}\r\n`);
        expect(text).toMatch(/\r\n235 /);
      }
      // The checksums are those of the masked payload.
      const { stdout } = await run('tshark', [
        '-r',
        file,
        '-o',
        'tcp.check_checksum:TRUE',
        '-o',
        'ip.check_checksum:TRUE',
        '-Y',
        'tcp.checksum.status == 0 || ip.checksum.status == 0',
      ]);
      expect(stdout.trim()).toBe('');
    });
  }

  it('basic-ftp login: PASS masked on both legs, the rest of the control connection as sent', async () => {
    const server = await startFtpServer({ users: { [USER]: PASSWORD }, anonymous: 'off' });
    const file = await captured(server, 'ftp', async (port) => {
      const client = new Client(5_000);
      try {
        await client.access({ host: '127.0.0.1', port, user: USER, password: PASSWORD });
        await client.pwd();
      } finally {
        client.close();
      }
    });
    await expectNoPassword(file);
    for (const stream of [0, 1]) {
      const text = await follow(file, stream);
      expect(text).toContain(`USER ${USER}\r\n`);
      expect(text).toContain(`PASS ${stars(PASSWORD)}\r\n`);
      expect(text).toContain('PWD\r\n');
    }
  });
});
