/** `wireprobe serve`'s log, in process, with real clients (nodemailer, basic-ftp) and a raw one. */
import { createHash } from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import { Client } from 'basic-ftp';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { SUMMARY_LISTED, SessionRecords, serveCommand, sessionSummary, type ServeCommand, type Serving } from '../../src/commands/serve.js';
import type { SessionInfo } from '../../src/proxy/proxy.js';
import { parseFault } from '../../src/faults/parse.js';
import { connectRaw } from '../helpers/raw-client.js';

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** A running `serve` and its log, lines without their `+   12.3ms ` timestamp. */
interface Logged {
  readonly serving: Serving;
  readonly port: number;
  lines(): string[];
  /** Resolves with the first log line matching `pattern` (already written or still to come). */
  line(pattern: RegExp): Promise<string>;
}

type Command =
  | { protocol: 'smtp'; server: Extract<ServeCommand, { protocol: 'smtp' }>['server'] }
  | { protocol: 'ftp'; server: Extract<ServeCommand, { protocol: 'ftp' }>['server'] };

/** Runs `serve` with `faults` (the CLI's syntax), hands it to `body` and always closes it. */
async function withServe(command: Command, faults: readonly string[], body: (s: Logged) => Promise<void>): Promise<void> {
  const out = new PassThrough();
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let pending = '';
  out.on('data', (chunk: Buffer) => {
    pending += chunk.toString('latin1');
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    lines.push(...parts.map((line) => line.replace(/^\+\s*[\d.]+ms /, '')));
    for (const wake of waiters) wake();
  });
  const serving = await serveCommand({ ...command, faults: faults.map(parseFault), host: '127.0.0.1', port: 0, out } as ServeCommand);
  const line = (pattern: RegExp): Promise<string> =>
    new Promise((resolve) => {
      const check = (): void => {
        const found = lines.find((l) => pattern.test(l));
        if (found === undefined) return;
        waiters.delete(check);
        resolve(found);
      };
      waiters.add(check);
      check();
    });
  try {
    await body({ serving, port: Number(new URL(serving.url).port), lines: () => [...lines], line });
  } finally {
    await serving.close();
  }
}

/** The duration in a summary line, made a constant (durations are not asserted). */
const noDuration = (line: string): string => line.replace(/ended after \d+ ms/, 'ended after N ms');

describe('wireprobe serve: the session log', () => {
  it('ends an SMTP session from nodemailer with a summary: the message with its size and SHA-256 and who closed first', async () => {
    await withServe({ protocol: 'smtp', server: {} }, [], async (s) => {
      const raw = `Subject: x\r\n\r\n${'y'.repeat(70)}\r\n`;
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: s.port, ignoreTLS: true });
      await transport.sendMail({ envelope: { from: 'a@wireprobe.test', to: ['b@wireprobe.test'] }, raw });
      transport.close();
      const summary = noDuration(await s.line(/^#1 == /));
      expect(s.lines()).toContain(`accepted message: from <a@wireprobe.test> to <b@wireprobe.test>, ${raw.length} bytes, sha256 ${sha256(raw)}`);
      // nodemailer leaves without QUIT after a single message; smtp-server closes in turn.
      expect(summary).toBe(
        `#1 == session ended after N ms: accepted 1 message (${raw.length} octets, sha256 ${sha256(raw)}); FIN from client, then FIN from server`,
      );
    });
  });

  it('says a held 250 never reached a client that left during the delay, and escapes control characters from both peers', async () => {
    await withServe({ protocol: 'smtp', server: {} }, ['delay 2s before reply to dot'], async (s) => {
      const client = await connectRaw(s.port);
      const step = async (send: string, reply: RegExp): Promise<void> => {
        const before = client.text().length;
        client.send(Buffer.from(send, 'latin1'));
        await client.until((text) => /^\d{3} /m.test(text.slice(before)));
        expect(client.text().slice(before)).toMatch(reply);
      };
      await client.until((text) => text.startsWith('220 '));
      await step('EHLO wireprobe.test\r\n', /^250 /m);
      await step('NOOP evil\x1b[2J\x9b2J\r\n', /^250 /m);
      await step('MAIL FROM:<a@wireprobe.test>\r\n', /^250 /m);
      await step('RCPT TO:<b@wireprobe.test>\r\n', /^250 /m);
      await step('DATA\r\n', /^354 /m);
      client.send('Subject: x\r\n\r\nhello\r\n.\r\n');
      await s.line(/^#1 !! fault fired: delay 2s before reply to dot/);
      client.socket.resetAndDestroy();
      const summary = noDuration(await s.line(/^#1 == /));
      const log = s.lines();
      expect(log).toContain('#1 C  NOOP evil\\x1b[2J\\x9b2J');
      expect(log.filter((l) => /[\x00-\x1f\x7f-\x9f]/.test(l))).toEqual([]);
      const from = log.indexOf('#1 !! fault fired: delay 2s before reply to dot');
      expect([
        ...log.slice(
          from,
          log.findIndex((l) => l.startsWith('#1 == ')),
        ),
        summary,
      ]).toEqual([
        '#1 !! fault fired: delay 2s before reply to dot',
        '#1 -- RST from client',
        '#1 !! held 250 reply to dot was never sent: client left',
        '#1 -- RST to server',
        `#1 == session ended after N ms: accepted 1 message (21 octets, sha256 ${sha256('Subject: x\r\n\r\nhello\r\n')}); RST from client, then RST to server`,
      ]);
    });
  });

  it('says a held 250 was relayed after the client had closed its side (FIN) during the delay', async () => {
    await withServe({ protocol: 'smtp', server: {} }, ['delay 2s before reply to dot'], async (s) => {
      const client = await connectRaw(s.port);
      await client.until((text) => text.startsWith('220 '));
      client.send('HELO wireprobe.test\r\nMAIL FROM:<a@wireprobe.test>\r\nRCPT TO:<b@wireprobe.test>\r\nDATA\r\n');
      await client.until((text) => /^354 /m.test(text));
      client.send('Subject: x\r\n\r\nhello\r\n.\r\n');
      await s.line(/^#1 !! fault fired: delay 2s before reply to dot/);
      client.socket.end();
      await client.until((text) => /^250 OK/m.test(text)); // half-closed, it still reads
      const summary = noDuration(await s.line(/^#1 == /));
      const log = s.lines();
      const from = log.indexOf('#1 !! fault fired: delay 2s before reply to dot');
      expect([
        ...log.slice(
          from,
          log.findIndex((l) => l.startsWith('#1 == ')),
        ),
        summary,
      ]).toEqual([
        '#1 !! fault fired: delay 2s before reply to dot',
        '#1 -- FIN from client',
        '#1 !! held 250 reply to dot was relayed after the client had closed its side',
        '#1 -- FIN from server',
        `#1 == session ended after N ms: accepted 1 message (21 octets, sha256 ${sha256('Subject: x\r\n\r\nhello\r\n')}); FIN from client, then FIN from server`,
      ]);
    });
  });

  it('says how many body octets logged after a fault reached the server', async () => {
    await withServe({ protocol: 'smtp', server: {} }, ['reset after DATA +64KiB'], async (s) => {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: s.port, ignoreTLS: true });
      const raw = `Subject: x\r\n\r\n${'y'.repeat(78)}\r\n`.repeat(2000);
      await expect(transport.sendMail({ envelope: { from: 'a@wireprobe.test', to: ['b@wireprobe.test'] }, raw })).rejects.toMatchObject({ code: 'ESOCKET' });
      transport.close();
      const summary = noDuration(await s.line(/^#1 == /));
      const log = s.lines();
      const logged = log
        .map((l) => /^#1 C {2}\[message body: (\d+) bytes\]$/.exec(l)?.[1])
        .filter((n) => n !== undefined)
        .reduce((sum, n) => sum + Number(n), 0);
      expect(logged).toBeGreaterThan(65536);
      expect(log).toContain(`#1 !! ${logged - 65536} body octets after the fault were swallowed: none reached the server`);
      expect(summary).toMatch(/^#1 == session ended after N ms: no message accepted; RST to client, then /);
    });
  });

  it('ends a session the proxy turned away (limit 1 reply) with a summary too', async () => {
    await withServe({ protocol: 'smtp', server: {} }, ['limit 1 reply'], async (s) => {
      const first = await connectRaw(s.port);
      await first.until((text) => text.startsWith('220 '));
      const second = await connectRaw(s.port);
      await second.until((text) => text.startsWith('421 '));
      expect(await second.ended).toBe('fin');
      expect(noDuration(await s.line(/^#2 == /))).toBe('#2 == session ended after N ms: no message accepted; FIN to client');
      first.socket.destroy();
    });
  });

  it('logs a download whose data connection the server saw reset as sent short of its size', async () => {
    const data = Buffer.alloc(64 * 1024 * 1024, 9); // far more than loopback socket buffers hold
    const server = { users: { alice: 's3cret' }, anonymous: 'off' as const, files: { '/big.bin': data } };
    await withServe({ protocol: 'ftp', server }, ['reset after RETR +64KiB channel data toward server'], async (s) => {
      const client = new Client(10_000);
      try {
        await client.access({ host: '127.0.0.1', port: s.port, user: 'alice', password: 's3cret' });
        await expect(client.downloadTo(new Writable({ write: (_c: Buffer, _e, done) => done() }), '/big.bin')).rejects.toMatchObject({ code: 426 }); // RFC 959 §4.2: transfer aborted
      } finally {
        client.close();
      }
      const line = await s.line(/^RETR \/big\.bin: /);
      const sent = Number(/^RETR \/big\.bin: sent (\d+) of /.exec(line)?.[1]);
      expect(sent).toBeGreaterThanOrEqual(65536);
      expect(sent).toBeLessThan(data.length);
      expect(line).toBe(`RETR /big.bin: sent ${sent} of 67108864 octets (the transfer was aborted)`);
      expect(noDuration(await s.line(/^#1 == /))).toBe(
        `#1 == session ended after N ms: sent /big.bin (${sent} of 67108864 octets); client sent QUIT, then FIN from client, then FIN from server`,
      );
    });
  });

  it('logs an FTP upload and a download from basic-ftp with "sent N of M octets", and the session summary, PASS redacted', async () => {
    const data = Buffer.alloc(1024 * 1024, 7);
    await withServe({ protocol: 'ftp', server: { users: { alice: 's3cret' }, anonymous: 'off' } }, [], async (s) => {
      const client = new Client(10_000);
      try {
        await client.access({ host: '127.0.0.1', port: s.port, user: 'alice', password: 's3cret' });
        await client.uploadFrom(Readable.from([data]), '/up.bin');
        const chunks: Buffer[] = [];
        await client.downloadTo(new Writable({ write: (chunk: Buffer, _e, done) => void (chunks.push(chunk), done()) }), '/up.bin');
        expect(Buffer.concat(chunks).equals(data)).toBe(true);
      } finally {
        client.close();
      }
      const summary = noDuration(await s.line(/^#1 == /));
      const log = s.lines();
      expect(log).toContain(`stored /up.bin: 1048576 bytes, sha256 ${sha256(data)}`);
      expect(log).toContain('RETR /up.bin: sent 1048576 of 1048576 octets');
      expect(log).toContain('#1 C  PASS ***');
      expect(log.join('\n')).not.toContain('s3cret');
      expect(summary).toBe(
        `#1 == session ended after N ms: stored /up.bin (1048576 octets, sha256 ${sha256(data)}), sent /up.bin (1048576 of 1048576 octets); client sent QUIT, then FIN from client, then FIN from server`,
      );
    });
  });

  it('summarises several messages, uploads and downloads, and a session still open', () => {
    const info = (steps: readonly string[]): SessionInfo => ({
      index: 1,
      phase: 'quit',
      bodyBytes: 0,
      faultFired: false,
      steps,
      accepted: 0,
      transactions: 0,
      violations: [],
      clientSaw: null,
      transcript: [],
    });
    const end = { durationMs: 1234.4, endings: ['FIN from server', 'FIN from client'], upstreamPort: 40000 };
    const message = (bytes: number, sha: string) => ({ from: 'a@x', to: ['b@x'], bytes, sha256: sha, session: 1 });
    const two = new SessionRecords();
    for (const m of [message(1, 'aa'), message(20, 'bb')]) two.messages.add(m, m.bytes);
    expect(sessionSummary('smtp', two, info(['MAIL', 'QUIT']), end)).toBe(
      'session ended after 1234 ms: accepted 2 messages (1 octet, sha256 aa), (20 octets, sha256 bb); client sent QUIT, then FIN from server, then FIN from client',
    );
    const stored = { path: '/a\x1b.bin', bytes: 5, sha256: 'cc', received: 5, complete: false };
    const served = { path: '/b.bin', size: 10, sent: 10, complete: true };
    const ftp = new SessionRecords();
    ftp.stored.add(stored, stored.received);
    ftp.stored.add({ ...stored, path: '/c.bin', complete: true }, stored.received);
    ftp.served.add(served, served.sent);
    expect(sessionSummary('ftp', ftp, info(['STOR']), { ...end, endings: [] })).toBe(
      'session ended after 1234 ms: stored /a\\x1b.bin (5 octets, sha256 cc, incomplete), stored /c.bin (5 octets, sha256 cc), sent /b.bin (10 of 10 octets); still open',
    );
    expect(sessionSummary('ftp', new SessionRecords(), info([]), { ...end, endings: ['RST from client'] })).toBe(
      'session ended after 1234 ms: nothing stored or sent; RST from client',
    );
  });

  it('lists only the newest of a long session, after how many there were and their octets', () => {
    const info: SessionInfo = {
      index: 1,
      phase: 'quit',
      bodyBytes: 0,
      faultFired: false,
      steps: ['QUIT'],
      accepted: 0,
      transactions: 0,
      violations: [],
      clientSaw: null,
      transcript: [],
    };
    const end = { durationMs: 5, endings: ['FIN from client'], upstreamPort: 40000 };
    const r = new SessionRecords();
    // A pooled client's session: thousands of messages, files stored and sent.
    for (let i = 1; i <= 5000; i++) {
      r.messages.add({ from: 'a@x', to: ['b@x'], bytes: i, sha256: `h${i}`, session: 1 }, i);
      r.stored.add({ path: `/f${i}`, bytes: 2, sha256: `s${i}`, received: 2, complete: true }, 2);
    }
    for (let i = 1; i <= SUMMARY_LISTED + 1; i++) r.served.add({ path: `/d${i}`, size: 3, sent: 3, complete: true }, 3);
    expect([r.messages.newest.length, r.stored.newest.length, r.served.newest.length]).toEqual([SUMMARY_LISTED, SUMMARY_LISTED, SUMMARY_LISTED]);
    const newest = (from: number, show: (i: number) => string): string => Array.from({ length: SUMMARY_LISTED }, (_, k) => show(from + k)).join(', ');
    expect(sessionSummary('smtp', r, info, end)).toBe(
      `session ended after 5 ms: accepted 5000 messages (12502500 octets in all), the last 10: ${newest(4991, (i) => `(${i} octets, sha256 h${i})`)}; client sent QUIT, then FIN from client`,
    );
    expect(sessionSummary('ftp', r, info, end)).toBe(
      `session ended after 5 ms: stored 5000 uploads (10000 octets received in all), the last 10: ${newest(4991, (i) => `/f${i} (2 octets, sha256 s${i})`)}, ` +
        `sent 11 downloads (33 octets sent in all), the last 10: ${newest(2, (i) => `/d${i} (3 of 3 octets)`)}; client sent QUIT, then FIN from client`,
    );
  });
});
