/**
 * The control API over the library's own mocks (startSmtp, startFtp), as a test in another language
 * would drive them: faults armed over HTTP, what arrived read back over HTTP.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Client } from 'basic-ftp';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { startControl } from '../../src/control/control.js';
import { startFtp, startSmtp } from '../../src/index.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

const post = (url: string, body: unknown): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('startControl over startSmtp', () => {
  it('plans per matching message: the 1st message to the address is refused, the 2nd delivered, others untouched', async () => {
    const mail = await startSmtp();
    const api = await startControl(mail);
    const send = async (to: string, raw: Buffer): Promise<number | undefined> => {
      const transport = nodemailer.createTransport({ host: mail.host, port: mail.port, secure: false, ignoreTLS: true });
      try {
        await transport.sendMail({ envelope: { from: 'app@example.test', to: [to] }, raw });
        return undefined;
      } catch (error) {
        return (error as { responseCode?: number }).responseCode;
      } finally {
        transport.close();
      }
    };
    try {
      const res = await post(`${api.url}/faults`, { plan: ['reply 451 before RCPT then continue', 'pass'], match: { rcpt: 'Retry@T42.test' } });
      expect(await res.json()).toEqual({ plan: ['reply 451 before RCPT then continue', 'pass'], match: { rcpt: 'Retry@T42.test' } });
      const raw = Buffer.from('Subject: retry\r\n\r\nretry\r\n');
      expect(await send('other@example.test', raw)).toBeUndefined();
      expect(await send('retry@t42.test', raw)).toBe(451);
      expect(await send('retry@t42.test', raw)).toBeUndefined();
      const messages = (await (await fetch(`${api.url}/messages`)).json()) as { to: string[]; sha256: string; session: number }[];
      expect(messages.map((m) => [m.to, m.sha256, m.session])).toEqual([
        [['other@example.test'], sha256(raw), 1],
        [['retry@t42.test'], sha256(raw), 3],
      ]);
      const sessions = (await (await fetch(`${api.url}/sessions`)).json()) as { faultsFired: string[] }[];
      expect(sessions.map((s) => s.faultsFired)).toEqual([[], ['reply 451 before RCPT then continue'], []]);
    } finally {
      await api.close();
      await mail.close();
    }
  });
});

describe('startControl over startFtp', () => {
  it('arms a data-channel fault for the paths matching a regex: that upload is cut, the other is listed complete with its content', async () => {
    const ftp = await startFtp({ users: { alice: 'pw' }, anonymous: 'off' });
    const api = await startControl(ftp);
    const upload = async (path: string, data: Buffer): Promise<string | undefined> => {
      const client = new Client(5_000);
      try {
        await client.access({ host: ftp.host, port: ftp.port, user: 'alice', password: 'pw' });
        await client.uploadFrom(Readable.from([data]), path);
        return undefined;
      } catch (error) {
        return String((error as NodeJS.ErrnoException).code);
      } finally {
        client.close();
      }
    };
    try {
      const res = await post(`${api.url}/faults`, { fault: 'reset after STOR +64KiB channel data', match: { path: { regex: 'CUT', flags: 'i' } } });
      expect(res.status).toBe(201);
      const data = randomBytes(256 * 1024);
      expect(await upload('/ok.bin', data)).toBeUndefined();
      expect(await upload('/cut.bin', data)).toBe('ECONNRESET');
      const uploads = (await (await fetch(`${api.url}/uploads`)).json()) as { path: string; complete: boolean; sha256: string }[];
      expect(uploads[0]).toMatchObject({ path: '/ok.bin', complete: true, sha256: sha256(data) });
      const raw = await fetch(`${api.url}/uploads/1/raw`);
      expect(Buffer.from(await raw.arrayBuffer())).toEqual(data);
    } finally {
      await api.close();
      await ftp.close();
    }
  });
});
