/** startProxy in front of a server the test started itself (here the mock SMTP server). */
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { startSmtpServer } from '../../servers/smtp.js';
import { startProxy } from '../../src/index.js';

describe('startProxy', () => {
  it('relays to its target and applies a planned fault to the first connection only', async () => {
    const server = await startSmtpServer();
    const proxy = await startProxy({ target: `${server.host}:${server.port}`, protocol: 'smtp' });
    try {
      proxy.plan(['reset on connect']);
      const send = async (): Promise<unknown> => {
        const transport = nodemailer.createTransport({ url: proxy.url, ignoreTLS: true });
        try {
          return await transport
            .sendMail({ envelope: { from: 'a@example.test', to: ['b@example.test'] }, raw: 'Subject: x\r\n\r\nx\r\n' })
            .then(() => undefined);
        } catch (error) {
          return error;
        } finally {
          transport.close();
        }
      };
      expect(await send()).toMatchObject({ message: expect.stringMatching(/ECONNRESET/) });
      expect(await send()).toBeUndefined();
      expect(server.messages).toHaveLength(1);
      expect(proxy.url).toBe(`smtp://127.0.0.1:${proxy.port}`);
      expect(proxy.sessions.map((s) => s.faultsFired)).toEqual([['reset on connect'], []]);
    } finally {
      await proxy.close();
      await server.close();
    }
  });

  it('rejects a target that is no host:port', async () => {
    await expect(startProxy({ target: 'localhost', protocol: 'smtp' })).rejects.toMatchObject({ code: 'EUSAGE' });
    await expect(startProxy({ target: { host: '127.0.0.1', port: 70000 }, protocol: 'ftp' })).rejects.toMatchObject({ code: 'EUSAGE' });
  });
});
