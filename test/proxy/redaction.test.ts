import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { startSmtpServer } from '../../servers/smtp.js';
import { startProxy } from '../../src/proxy/proxy.js';

describe('credentials in transcripts', () => {
  it.each(['PLAIN', 'LOGIN'])('never records an AUTH %s secret', async (method) => {
    const server = await startSmtpServer({ auth: 'required', users: { joe: 's3cret-pw' } });
    const proxy = await startProxy({ upstream: { host: server.host, port: server.port } });
    try {
      const transport = nodemailer.createTransport({ host: proxy.host, port: proxy.port, ignoreTLS: true, authMethod: method, auth: { user: 'joe', pass: 's3cret-pw' } });
      await transport.sendMail({ envelope: { from: 'a@wireprobe.test', to: ['b@wireprobe.test'] }, raw: 'Subject: x\r\n\r\nhi\r\n' });
      transport.close();
      await proxy.idle();
      const text = proxy.sessions().flatMap((s) => s.transcript).join('\n');
      expect(text).toContain(`AUTH ${method}`);
      expect(text).toMatch(/235/);
      for (const secret of ['s3cret-pw', Buffer.from('s3cret-pw').toString('base64'), Buffer.from('\0joe\0s3cret-pw').toString('base64'), Buffer.from('joe').toString('base64')]) {
        expect(text).not.toContain(secret);
      }
    } finally {
      await proxy.close();
      await server.close();
    }
  });
});
