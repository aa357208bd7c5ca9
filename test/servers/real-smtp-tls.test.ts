import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrivateCa, type PrivateCa, writeCaFile } from '../../src/tls/ca.js';
import type { LaunchedServer, ProcessLauncher } from '../../servers/real/common.js';
import { eximLauncher } from '../../servers/real/exim.js';
import { postfixLauncher, waitForMessages } from '../../servers/real/postfix.js';

let ca: PrivateCa;
let dir: string;
let caFile: string;

beforeAll(async () => {
  ca = await createPrivateCa();
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-test-smtp-tls-'));
  caFile = await writeCaFile(ca, dir);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** curl sending one message with `subject` to `url` (extra arguments for TLS); its exit code and stderr. */
async function curlSend(url: string, subject: string, extra: readonly string[]): Promise<{ code: number; stderr: string }> {
  const file = join(dir, `${subject}.eml`);
  await writeFile(file, `From: <a@client.test>\r\nTo: <u@example.test>\r\nSubject: ${subject}\r\n\r\nbody of ${subject}\r\n`);
  const args = [
    '-sS',
    '--max-time',
    '15',
    '--connect-timeout',
    '5',
    ...extra,
    url,
    '--mail-from',
    'a@client.test',
    '--mail-rcpt',
    'u@example.test',
    '-T',
    file,
  ];
  return new Promise((resolve) => {
    execFile('curl', args, (error, _stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr }));
  });
}

const LAUNCHERS: readonly ProcessLauncher[] = [postfixLauncher, eximLauncher];

describe.each(LAUNCHERS)('$name with TLS (real)', (launcher) => {
  it('delivers over implicit TLS (curl smtps://) and STARTTLS, verified against the private CA; with tlsRequired refuses MAIL in clear text', async () => {
    const server: LaunchedServer = await launcher.start({ tls: true, tlsCertificate: await ca.issue(), tlsImplicit: true, tlsRequired: true });
    try {
      const implicitPort = server.tls?.implicitPort;
      expect(server.tls).toEqual({ explicit: true, implicitPort: expect.any(Number), required: true });
      expect(implicitPort).not.toBe(server.port);
      expect(await curlSend(`smtps://127.0.0.1:${implicitPort}`, 'implicit', ['--cacert', caFile])).toEqual({ code: 0, stderr: '' });
      expect(await curlSend(`smtp://127.0.0.1:${server.port}`, 'starttls', ['--ssl-reqd', '--cacert', caFile])).toEqual({ code: 0, stderr: '' });
      const clear = await curlSend(`smtp://127.0.0.1:${server.port}`, 'clear', []);
      expect(clear.code).toBe(55); // curl(1): "Failed sending network data": MAIL FROM refused
      expect(clear.stderr).toMatch(/MAIL failed: 530/); // RFC 3207 §4: 530 until STARTTLS
      const stored = (await waitForMessages(server, 2)).map((message) => /^Subject: (\S+)$/m.exec(message.toString('latin1'))?.[1]).sort();
      expect(stored).toEqual(['implicit', 'starttls']);
    } finally {
      await server.close();
    }
  });
});
