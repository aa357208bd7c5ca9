/** wireprobe/vitest: a mock per test from useSmtp/useFtp, and the matchers' verdicts and failure messages. */
import { Readable } from 'node:stream';
import { Client } from 'basic-ftp';
import nodemailer from 'nodemailer';
import { expect, it } from 'vitest';
import { useFtp, useSmtp } from '../src/vitest.js';

const mail = useSmtp();
const files = useFtp();

/** One message from app@example.test to `to` through the current SMTP mock. */
async function send(to: string): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: mail.port, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({ from: 'app@example.test', to, subject: 'hi', text: 'hello' });
  } finally {
    transport.close();
  }
}

it('gives each test a started mock with nothing received', () => {
  expect(mail.url).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
  expect(files.url).toMatch(/^ftp:\/\/127\.0\.0\.1:\d+$/);
  expect(mail).toHaveReceived(0);
  expect(files).toHaveReceived(0);
});

it('counts the messages received, or those a match selects', async () => {
  await send('a@x.test');
  await send('b@y.test');
  expect(mail).toHaveReceived(2);
  expect(mail).toHaveReceived(1, { rcpt: /@y\./ });
  expect(mail).toHaveReceived(1, { rcpt: 'A@X.TEST' });
  expect(mail).toHaveReceived(0, { from: 'other@example.test' });
  expect(mail).not.toHaveReceived(1);
});

it('lists every message received when the count is wrong, on a server started afresh for this test', async () => {
  await send('a@x.test');
  expect(() => expect(mail).toHaveReceived(2)).toThrow(
    /^expected the mock to have received 2 messages, it received 1 of:\n {2}\* from <app@example\.test> to <a@x\.test>, \d+ octets, connection #1$/,
  );
  expect(() => expect(mail).toHaveReceived(1, { rcpt: /@y\./ })).toThrow(
    /^expected the mock to have received 1 message matching rcpt \/@y\\.\/, it received 0 of:\n {2}- from <app@example\.test>/,
  );
});

it('says whether a fault fired, in either form, and which fired when it did not', async () => {
  mail.plan(['reply 451 before RCPT then continue']);
  await expect(send('a@x.test')).rejects.toMatchObject({ responseCode: 451 });
  expect(mail).toHaveFired('reply 451 before RCPT then continue');
  expect(mail).toHaveFired({ kind: 'reply', code: 451, at: { before: 'RCPT' }, then: 'continue' });
  expect(mail).not.toHaveFired('reset after DATA');
  expect(() => expect(mail).toHaveFired('reset after DATA')).toThrow(
    /^expected "reset after DATA" to have fired; 1 connection, faults fired:\n {2}#1: reply 451 before RCPT then continue$/,
  );
});

it('counts complete FTP uploads, or those a path selects', async () => {
  const client = new Client();
  try {
    await client.access({ host: '127.0.0.1', port: files.port });
    const stored = files.waitForUpload();
    await client.uploadFrom(Readable.from(['hello']), 'report.txt');
    await stored;
  } finally {
    client.close();
  }
  expect(files).toHaveReceived(1);
  expect(files).toHaveReceived(1, { path: /report\.txt$/ });
  expect(files).toHaveReceived(0, { path: /other/ });
});

it('refuses a value that is not a mock', () => {
  expect(() => expect({}).toHaveReceived(1)).toThrow(/^toHaveReceived: expected a wireprobe mock/);
  expect(() => expect(null).toHaveFired('reset after DATA')).toThrow(/^toHaveFired: expected a wireprobe mock or proxy/);
});
