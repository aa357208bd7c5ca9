/** A mock started without a signal listens on one of its own, never on the defaults' one that every such server would share. */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FTP_SERVER_DEFAULTS, startFtpServer } from '../../servers/ftp.js';
import { SMTP_SERVER_DEFAULTS, startSmtpServer } from '../../servers/smtp.js';

describe('a mock started without a signal', () => {
  it('adds no listener to the defaults signal, however many run at once (Node warned past 10)', async () => {
    const servers = await Promise.all([
      ...Array.from({ length: 12 }, () => startFtpServer()),
      ...Array.from({ length: 12 }, () => startSmtpServer({ spool: 'on' })),
    ]);
    try {
      expect(getEventListeners(FTP_SERVER_DEFAULTS.signal, 'abort')).toHaveLength(0);
      expect(getEventListeners(SMTP_SERVER_DEFAULTS.signal, 'abort')).toHaveLength(0);
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }
  });
});
