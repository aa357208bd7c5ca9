/**
 * startSmtp as a test author uses it: nodemailer in-process against the mock behind the fault proxy,
 * faults armed, planned and disarmed between sends, what arrived read back from the spool.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { isWireprobeError, startFtp, startSmtp, type SmtpMock, type StartFtpOptions, type StartSmtpOptions } from '../../src/index.js';
import { withPrivateTmp } from '../helpers/private-tmp.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A message nodemailer sends unchanged (CRLF only, ending in CRLF). */
const message = (text: string): Buffer => Buffer.from(`Subject: ${text}\r\n\r\n${text}\r\n`, 'latin1');

/** Sends `raw` on a new connection; resolves with nodemailer's error, or undefined when it was accepted. */
async function send(mail: SmtpMock, raw: Buffer, to = 'b@example.test'): Promise<(Error & { responseCode?: number }) | undefined> {
  const transport = nodemailer.createTransport({ host: mail.host, port: mail.port, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({ envelope: { from: 'a@example.test', to: [to] }, raw });
    return undefined;
  } catch (error) {
    return error as Error & { responseCode?: number };
  } finally {
    transport.close();
  }
}

async function withSmtp(options: Parameters<typeof startSmtp>[0], body: (mail: SmtpMock) => Promise<void>): Promise<void> {
  const mail = await startSmtp(options);
  try {
    await body(mail);
  } finally {
    await mail.close();
  }
}

describe('startSmtp', () => {
  it('tests a retry loop exactly with a plan: the first send gets 451 at RCPT, the retry is delivered once', async () => {
    await withSmtp({}, async (mail) => {
      mail.plan(['reply 451 before RCPT then continue', 'pass']);
      const raw = message('retry');
      let attempts = 0;
      let firstError: (Error & { responseCode?: number }) | undefined;
      for (;;) {
        attempts++;
        const error = await send(mail, raw);
        if (!error) break;
        firstError ??= error;
        if (attempts >= 3) throw error;
      }
      expect(attempts).toBe(2);
      expect(firstError?.responseCode).toBe(451);
      expect(mail.messages).toHaveLength(1);
      expect(mail.messages[0]?.sha256).toBe(sha256(raw));
      expect(mail.messages[0]?.session).toBe(2);
      expect(await mail.messages[0]?.raw()).toEqual(raw);
      expect(mail.sessions.map((s) => s.faultsFired)).toEqual([['reply 451 before RCPT then continue'], []]);
    });
  });

  it('applies a fault armed with a match only to the message whose recipient matches', async () => {
    await withSmtp({}, async (mail) => {
      mail.arm('reply 451 before RCPT then continue', { match: { rcpt: /@t42\./ } });
      expect(await send(mail, message('one'), 'x@example.test')).toBeUndefined();
      expect((await send(mail, message('two'), 'y@t42.test'))?.responseCode).toBe(451);
      expect(await send(mail, message('three'), 'z@example.test')).toBeUndefined();
      expect(mail.messages.map((m) => m.to)).toEqual([['x@example.test'], ['z@example.test']]);
    });
  });

  it('counts matching messages, not connections, for a plan with a match', async () => {
    await withSmtp({}, async (mail) => {
      mail.plan(['pass', 'reply 451 before RCPT then continue'], { match: { rcpt: 'B@T42.test' } });
      expect(await send(mail, message('other'), 'x@example.test')).toBeUndefined();
      expect(await send(mail, message('first'), 'b@t42.test')).toBeUndefined();
      expect((await send(mail, message('second'), 'b@t42.test'))?.responseCode).toBe(451);
      expect(await send(mail, message('third'), 'b@t42.test')).toBeUndefined();
      expect(mail.messages).toHaveLength(3);
    });
  });

  it('applies a fault armed for connection 2 to the second connection only, until disarmed', async () => {
    await withSmtp({}, async (mail) => {
      mail.arm('reply 452 before MAIL then continue', { connection: 2 });
      mail.arm('reset on connect');
      mail.disarm();
      mail.arm('reply 452 before MAIL then continue', { connection: 2 });
      expect(await send(mail, message('one'))).toBeUndefined();
      expect((await send(mail, message('two')))?.responseCode).toBe(452);
      expect(await send(mail, message('three'))).toBeUndefined();
      expect(mail.messages).toHaveLength(2);
    });
  });

  it('resets a session with a start-up fault and says how it ended and which fault fired', async () => {
    await withSmtp({ faults: ['reset after DATA +16'] }, async (mail) => {
      const error = await send(mail, message('a message longer than sixteen octets'));
      expect(error).toBeDefined();
      await mail.close(); // waits for the session to end
      expect(mail.sessions).toHaveLength(1);
      expect(mail.sessions[0]).toMatchObject({ index: 1, faultsFired: ['reset after DATA +16'], ended: { by: 'proxy', how: 'rst' } });
      expect(mail.messages).toHaveLength(0);
    });
  });

  it('takes a size limit with a unit and answers 552 above it', async () => {
    await withSmtp({ sizeLimit: '1KiB' }, async (mail) => {
      expect((await send(mail, message('x'.repeat(2048))))?.responseCode).toBe(552);
      expect(await send(mail, message('small'))).toBeUndefined();
      expect(mail.messages).toHaveLength(1);
    });
  });

  it('keeps the last `keep` messages and finished sessions, as serve --keep does', async () => {
    await withSmtp({ keep: 2 }, async (mail) => {
      for (const text of ['one', 'two', 'three', 'four']) expect(await send(mail, message(text))).toBeUndefined();
      expect(mail.messages.map((m) => m.sha256)).toEqual([sha256(message('three')), sha256(message('four'))]);
      expect(mail.messages.map((m) => m.session)).toEqual([3, 4]);
      // A session ends once nodemailer's QUIT is answered and both sides closed: then only the newest two are kept.
      await expect.poll(() => mail.sessions.map((s) => s.index)).toEqual([3, 4]);
    });
  });

  it('keeps AUTH credentials out of the session transcripts', async () => {
    await withSmtp({ auth: { users: { alice: 's3cret-pw' }, required: true } }, async (mail) => {
      const transport = nodemailer.createTransport({ url: mail.url, ignoreTLS: true, auth: { user: 'alice', pass: 's3cret-pw' } });
      try {
        await transport.sendMail({ envelope: { from: 'a@example.test', to: ['b@example.test'] }, raw: message('authed') });
      } finally {
        transport.close();
      }
      expect(mail.messages).toHaveLength(1);
      const text = mail.sessions.flatMap((s) => s.transcript).join('\n');
      expect(text).toMatch(/AUTH PLAIN/);
      expect(text).not.toContain('s3cret-pw');
      expect(text).not.toContain(Buffer.from('\0alice\0s3cret-pw').toString('base64'));
    });
  });

  it('rejects the start with a FaultSyntaxError for a fault that does not parse', async () => {
    await expect(startSmtp({ faults: ['reset aftre DATA'] })).rejects.toMatchObject({ code: 'EFAULTSYNTAX' });
    await expect(startSmtp({ sizeLimit: '10 parsecs' })).rejects.toMatchObject({ code: 'EUSAGE' });
  });

  it('once closed: raw() rejects with ECLOSED, and so does waitForMessage, at once', async () => {
    const mail = await startSmtp({});
    try {
      expect(await send(mail, message('two'))).toBeUndefined();
    } finally {
      await mail.close();
    }
    const [second] = mail.messages;
    await expect(second!.raw()).rejects.toMatchObject({ code: 'ECLOSED', message: 'the server closed: its messages are gone' });
    await expect(mail.waitForMessage({ timeout: 60_000 })).rejects.toMatchObject({ code: 'ECLOSED' });
  });

  it('rejects a fault that could never fire on its protocol, at start, arm and plan', async () => {
    await expect(startFtp({ faults: ['reset after RCPT'] })).rejects.toMatchObject({
      code: 'EFAULTSYNTAX',
      message: 'bad fault "reset after RCPT": RCPT is SMTP only and can never fire on an FTP server',
    });
    await withSmtp({}, async (mail) => {
      expect(() => mail.arm('close before RETR')).toThrow('bad fault "close before RETR": RETR is FTP only and can never fire on an SMTP server');
      expect(() => mail.plan(['pass', 'reset after STOR +1KiB channel data'])).toThrow(/channel data is FTP only/);
    });
  });

  it('rejects a bad or unknown option before anything listens, naming it (never a password)', async () => {
    const bad = (options: object) =>
      startSmtp(options as StartSmtpOptions).then(
        () => 'started',
        (e: unknown) => (e as Error).message,
      );
    expect(await bad({ host: '' })).toBe('host: expected an address or host name to listen on, such as 127.0.0.1 or ::1, got ""');
    expect(await bad({ host: '1:2' })).toMatch(/^host: expected an address/);
    expect(await bad({ sizeLimt: '1MiB' })).toMatch(
      /^startSmtp: unknown option "sizeLimt" \(known: faults, host, port, keep, signal, sizeLimit, auth, tls, chunking\)$/,
    );
    expect(await bad({ chunking: 'yes' })).toBe('chunking: expected off, on, got "yes"');
    expect(await bad({ auth: 'maybe' })).toBe('auth: expected { users: { name: password }, required?: boolean }, got string');
    expect(await bad({ auth: { users: { bob: 'pw-secret' }, required: 'yes' } })).toBe('auth.required: expected true or false, got "yes"');
    expect(await startFtp({ epsv: 'maybe' } as unknown as StartFtpOptions).catch((e: Error) => e.message)).toBe('epsv: expected on, off, unknown, got "maybe"');
    expect(await startFtp({ user: 'x' } as StartFtpOptions).catch((e: Error) => e.message)).toMatch(/^startFtp: unknown option "user" /);
  });

  it('rejects waitForMessage with EWAITTIMEOUT when nothing arrives in time, and resolves with the next message', async () => {
    await withSmtp({ sizeLimit: '10MiB' }, async (mail) => {
      const timedOut = await mail.waitForMessage({ timeout: 50 }).catch((error: unknown) => error);
      expect(isWireprobeError(timedOut) && timedOut.code).toBe('EWAITTIMEOUT');
      expect((timedOut as Error).message).not.toContain('\n');
      const next = mail.waitForMessage();
      const raw = message('waited for');
      expect(await send(mail, raw)).toBeUndefined();
      expect((await next).sha256).toBe(sha256(raw));
    });
  });

  it('forgets messages on clearMessages and removes its private spool folder on close', async () => {
    const { result: dir, left } = await withPrivateTmp(async (tmp) => {
      const mail = await startSmtp({});
      try {
        expect(await send(mail, message('spooled'))).toBeUndefined();
        const first = mail.messages[0];
        expect((await first?.raw())?.toString('latin1')).toContain('spooled');
        mail.clearMessages();
        expect(mail.messages).toHaveLength(0);
        await expect(first?.raw()).rejects.toThrow('the message is gone: cleared (clearMessages) or let go (keep)');
        expect(await send(mail, message('again'))).toBeUndefined();
        const [spool] = await readdir(tmp);
        expect(spool).toMatch(/^wireprobe-smtp-/);
        const dir = join(tmp, spool ?? '');
        expect(statSync(dir).mode & 0o777).toBe(0o700);
        return dir;
      } finally {
        await mail.close();
      }
    });
    expect(existsSync(dir)).toBe(false);
    expect(left).toEqual([]);
  });
});
