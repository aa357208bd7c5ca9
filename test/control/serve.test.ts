/**
 * `serve --control` end to end: the control API over serve's own mock and proxy, driven with fetch
 * while real clients (nodemailer, basic-ftp) send through the proxy; serve's log keeps going.
 */
import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { Client } from 'basic-ftp';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { serveCommand } from '../../src/commands/serve.js';
import { lines } from '../helpers/stream-lines.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A message nodemailer sends unchanged (CRLF only, ending in CRLF). */
const message = (text: string): Buffer => Buffer.from(`Subject: ${text}\r\n\r\n${text}\r\n`, 'latin1');

/** The control API's URL from serve's line `control API on http://...`. */
async function controlUrl(line: (pattern: RegExp) => Promise<string>): Promise<string> {
  return (await line(/^control API on http:\/\//)).slice('control API on '.length);
}

/** Sends `raw` on a new connection; resolves with nodemailer's error, or undefined when it was accepted. */
async function send(url: string, raw: Buffer, to: string): Promise<(Error & { responseCode?: number }) | undefined> {
  const { hostname, port } = new URL(url);
  const transport = nodemailer.createTransport({ host: hostname, port: Number(port), secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({ envelope: { from: 'app@example.test', to: [to] }, raw });
    return undefined;
  } catch (error) {
    return error as Error & { responseCode?: number };
  } finally {
    transport.close();
  }
}

const post = (url: string, body: unknown): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('serve smtp --control', () => {
  it('arms a matched fault over HTTP: only the matching message fails, the other is listed with its SHA-256 and raw content', async () => {
    const out = new PassThrough();
    const line = lines(out);
    const serving = await serveCommand({ protocol: 'smtp', server: {}, faults: [], host: '127.0.0.1', port: 0, out, control: { host: '127.0.0.1', port: 0 } });
    try {
      const api = await controlUrl(line);
      expect(await (await fetch(`${api}/health`)).json()).toEqual({ ok: true, protocol: 'smtp', url: serving.url });
      const armed = await post(`${api}/faults`, { fault: 'reply 451 before RCPT then continue', match: { rcpt: { regex: '@t42\\.test$', flags: 'i' } } });
      expect(armed.status).toBe(201);
      const kept = message('kept');
      expect(await send(serving.url, kept, 'ok@example.test')).toBeUndefined();
      expect((await send(serving.url, message('refused'), 'retry@T42.test'))?.responseCode).toBe(451);

      const messages = await (await fetch(`${api}/messages`)).json();
      expect(messages).toEqual([{ n: 1, from: 'app@example.test', to: ['ok@example.test'], bytes: kept.length, sha256: sha256(kept), session: 1 }]);
      const raw = await fetch(`${api}/messages/1/raw`);
      expect(raw.headers.get('content-type')).toBe('message/rfc822');
      expect(Buffer.from(await raw.arrayBuffer())).toEqual(kept);
      const sessions = (await (await fetch(`${api}/sessions`)).json()) as { index: number; faultsFired: string[] }[];
      expect(sessions.map((s) => [s.index, s.faultsFired])).toEqual([
        [1, []],
        [2, ['reply 451 before RCPT then continue']],
      ]);
      // serve's own log goes on as without --control.
      await line(/^accepted message: from <app@example\.test> to <ok@example\.test>/);
    } finally {
      await serving.close();
    }
  });

  it('plans a retry over HTTP (first send 451, the retry delivered once), disarms, and clears the messages', async () => {
    const out = new PassThrough();
    const line = lines(out);
    const serving = await serveCommand({ protocol: 'smtp', server: {}, faults: [], host: '127.0.0.1', port: 0, out, control: { host: '127.0.0.1', port: 0 } });
    try {
      const api = await controlUrl(line);
      const planned = await post(`${api}/faults`, { plan: ['reply 451 before RCPT then continue', 'pass'] });
      expect([planned.status, await planned.json()]).toEqual([201, { plan: ['reply 451 before RCPT then continue', 'pass'] }]);
      const raw = message('retry');
      expect((await send(serving.url, raw, 'b@example.test'))?.responseCode).toBe(451);
      expect(await send(serving.url, raw, 'b@example.test')).toBeUndefined();
      expect((await (await fetch(`${api}/messages`)).json()) as unknown[]).toMatchObject([{ sha256: sha256(raw), session: 2 }]);

      expect((await post(`${api}/faults`, { fault: 'reply 554 before MAIL then continue' })).status).toBe(201);
      expect((await fetch(`${api}/faults`, { method: 'DELETE' })).status).toBe(204);
      expect(await send(serving.url, raw, 'b@example.test')).toBeUndefined();
      expect((await fetch(`${api}/messages`, { method: 'DELETE' })).status).toBe(204);
      expect(await (await fetch(`${api}/messages`)).json()).toEqual([]);
      const error = await (await fetch(`${api}/messages/1/raw`)).json();
      expect(error).toEqual({ error: { code: 'ENOTFOUND', message: 'no message 1 (there are 0; GET /messages lists them)' } });
    } finally {
      await serving.close();
    }
  });
});

describe('wireprobe serve ftp --control', () => {
  it("prints the API URL on its own line, cuts the first connection's upload by plan, and lists the retry complete with its SHA-256", async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const line = lines(stdout);
    const stop = new AbortController();
    const ran = main(['serve', 'ftp', '--control', '127.0.0.1:0'], { stdout, stderr, env: { NO_COLOR: '1' }, signal: stop.signal });
    try {
      const api = await controlUrl(line);
      expect(api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const url = (await line(/^wireprobe: FTP server listening on /)).split(' on ')[1]!;
      expect((await post(`${api}/faults`, { plan: ['reset after STOR +64KiB channel data', 'pass'] })).status).toBe(201);
      const data = Buffer.alloc(1024 * 1024, 5);
      const upload = async (): Promise<void> => {
        const client = new Client(10_000);
        try {
          await client.access({ host: '127.0.0.1', port: Number(new URL(url).port), user: 'anonymous', password: 'x' });
          await client.uploadFrom(Readable.from([data]), '/up.bin');
        } finally {
          client.close();
        }
      };
      await expect(upload()).rejects.toThrow();
      await upload();
      const uploads = (await (await fetch(`${api}/uploads`)).json()) as { path: string; complete: boolean; sha256: string; session: number }[];
      expect(uploads.filter((u) => u.complete)).toMatchObject([{ path: '/up.bin', sha256: sha256(data), session: 2 }]);
      const raw = await fetch(`${api}/uploads/${uploads.length}/raw`);
      expect(Buffer.from(await raw.arrayBuffer()).equals(data)).toBe(true);
      const sessions = (await (await fetch(`${api}/sessions`)).json()) as { faultsFired: string[] }[];
      expect(sessions[0]?.faultsFired).toEqual(['reset after STOR +64KiB channel data']);
      expect((await fetch(`${api}/messages`)).status).toBe(404);
    } finally {
      stop.abort();
    }
    expect(await ran).toBe(130);
  });
});
