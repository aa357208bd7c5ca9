/**
 * startSmtp({ chunking: 'on' }): the mock behind the proxy offers CHUNKING, a message sent in BDAT chunks
 * is kept and read back like one sent with DATA, and a BDAT fault acts on it.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SmtpJob } from '../../src/clients/types.js';
import { startSmtp } from '../../src/index.js';
import { bdatClient } from '../helpers/bdat-client.js';
import { contentOf } from '../../src/util/content.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

const job = (port: number, message: Buffer): SmtpJob => ({
  host: '127.0.0.1',
  port,
  from: 'a@example.test',
  to: ['b@example.test'],
  content: contentOf(message),
  timeouts: { connect: 5000, greeting: 5000, socket: 5000, deadline: 10000 },
});

describe('startSmtp with chunking on', () => {
  it('keeps a message sent in BDAT chunks, octet for octet', async () => {
    const mail = await startSmtp({ chunking: 'on' });
    try {
      const message = Buffer.from(`Subject: chunks\r\n\r\n${'x'.repeat(250_000)}\r\n.\r\n`, 'latin1');
      expect(await bdatClient.run(job(mail.port, message), new AbortController().signal)).toMatchObject({ ok: true });
      expect(mail.messages).toHaveLength(1);
      expect(mail.messages[0]!.sha256).toBe(sha256(message));
      expect(await mail.messages[0]!.raw()).toEqual(message);
    } finally {
      await mail.close();
    }
  });

  it('lets a fault hold the 250 to BDAT LAST: the client sees the reset, the message was kept (before its 250 was sent)', async () => {
    const mail = await startSmtp({ chunking: 'on', faults: ['reset before reply to BDAT LAST'] });
    try {
      const report = await bdatClient.run(job(mail.port, Buffer.from('Subject: trap\r\n\r\nbody\r\n')), new AbortController().signal);
      expect(report).toMatchObject({ ok: false, error: { code: 'ECONNRESET' } });
      expect(mail.messages).toHaveLength(1);
    } finally {
      await mail.close();
    }
  });
});
