/**
 * `wireprobe probe` against a hostile FTP peer on loopback: a 5000-line greeting with terminal escape
 * sequences, and a 530 that echoes the password. Nothing of it reaches the console raw, the console
 * stays bounded, and the password is in no output (console, JSON, JUnit).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeCommand } from '../../src/commands/probe.js';
import { DEFAULT_PROBE_LIMITS } from '../../src/probe/types.js';
import { maskText, secretsOf } from '../../src/probe/scrub.js';

const PASSWORD = 'Echoed-Secret-4711';
const ESCAPES = '\x1b[2J\x1b]0;owned\x07\x9b31m';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Greets with 5000 lines (escape sequences in them), echoes the password in its 530, refuses everything else. */
async function hostileFtp(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    // Octets as written (latin1): \x9b is the one-octet C1 CSI, not its UTF-8 form.
    const write = (text: string): boolean => socket.write(Buffer.from(text, 'latin1'));
    const lines = Array.from({ length: 4999 }, (_, i) => `220-${ESCAPES} line ${i}`);
    write(`${lines.join('\r\n')}\r\n220 ${ESCAPES} ready\r\n`);
    let buffer = '';
    socket.on('data', (d: Buffer) => {
      buffer += d.toString('latin1');
      let at: number;
      while ((at = buffer.indexOf('\r\n')) !== -1) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'USER') write('331 password please\r\n');
        else if (verb === 'PASS') write(`530 ${ESCAPES} Login incorrect for password ${line.slice(5)}\r\n`);
        else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else write(`530 Please login ${ESCAPES}\r\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('probe against a hostile peer', () => {
  let peer: Awaited<ReturnType<typeof hostileFtp>>;
  let dir: string;
  beforeAll(async () => {
    peer = await hostileFtp();
    dir = await mkdtemp(join(tmpdir(), 'wireprobe-hostile-'));
  });
  afterAll(async () => {
    await peer.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('escapes and caps what the peer said, and masks the echoed password in console, JSON and JUnit', async () => {
    const out = new Sink();
    const err = new Sink();
    const json = join(dir, 'out.json');
    const junit = join(dir, 'out.xml');
    const code = await probeCommand({
      target: { protocol: 'ftp', host: '127.0.0.1', port: peer.port, user: 'bob', password: PASSWORD },
      limits: { ...DEFAULT_PROBE_LIMITS, replyTimeoutMs: 2000 },
      json,
      junit,
      out,
      err,
      color: false,
    });
    expect(code).toBe(0);
    expect(err.text).toBe('');
    const console = out.text;
    expect(console).toContain(String.raw`(530 \x1b[2J\x1b]0;owned\x07\x9b31m Login incorrect for password ***)`);
    // Escaped, not raw: no ESC, BEL or C1 CSI reaches the terminal.
    expect(console).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(Math.max(...console.split('\n').map((l) => l.length))).toBeLessThan(2100);
    expect(console.length).toBeLessThan(60_000);
    for (const text of [console, await readFile(json, 'utf8'), await readFile(junit, 'utf8')]) {
      expect(text).not.toContain(PASSWORD);
    }
    const report = JSON.parse(await readFile(json, 'utf8')) as { findings: { received: string[] }[] };
    expect(report.findings.flatMap((f) => f.received).some((l) => l.includes('Login incorrect for password ***'))).toBe(true);
  });

  it('ends a reply that never ends once it passes 4 MiB, and says so in the finding', async () => {
    // An SMTP server whose reply to EHLO goes on, line after line, until the probe hangs up.
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.write('220 endless.test ESMTP\r\n');
      socket.once('data', () => {
        const lines = Buffer.from('250-X-ENDLESS-EXTENSION-LINE-PADDING-PADDING-PADDING-PADDING\r\n'.repeat(1024), 'latin1');
        const more = (): void => {
          while (!socket.destroyed && socket.write(lines));
        };
        socket.on('drain', more);
        more();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const out = new Sink();
      const json = join(dir, 'endless.json');
      const port = (server.address() as net.AddressInfo).port;
      await probeCommand({
        target: { protocol: 'smtp', host: '127.0.0.1', port },
        limits: DEFAULT_PROBE_LIMITS,
        json,
        out,
        err: new Sink(),
        color: false,
      });
      const report = JSON.parse(await readFile(json, 'utf8')) as { findings: { id: string; status: string; advice: string; received: string[] }[] };
      const ehlo = report.findings.find((f) => f.id === 'smtp.ehlo');
      expect(ehlo).toMatchObject({ status: 'fail', advice: 'No reply to EHLO [over 4 MiB without a complete reply: closed by probe].' });
      expect(ehlo?.received.at(-1)).toBe('[over 4 MiB without a complete reply: closed by probe]');
      expect(out.text.length).toBeLessThan(60_000);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('masks every form of the known secret: as typed, percent-encoded, base64 alone and in AUTH PLAIN', () => {
    const secrets = secretsOf({ protocol: 'smtp', host: '127.0.0.1', port: 25, user: 'joe', password: 'pä ss/word' });
    const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
    const text = [
      'pä ss/word',
      Buffer.from('pä ss/word', 'utf8').toString('latin1'),
      encodeURIComponent('pä ss/word'),
      b64('pä ss/word'),
      b64('\0joe\0pä ss/word'),
      b64('joe\0joe\0pä ss/word'),
    ]
      .map((form) => `535 no: ${form}`)
      .join('\n');
    expect(maskText(text, secrets)).toBe(Array.from({ length: 6 }, () => '535 no: ***').join('\n'));
    // A line cut for display inside the secret: its start is masked too.
    expect(maskText('530 password pä ss/w... (300 chars)', secrets)).toBe('530 password ***... (300 chars)');
    expect(secretsOf({ protocol: 'ftp', host: 'h', port: 21, user: 'anonymous', password: 'wireprobe@example.invalid' })).toEqual([]);
  });
});
