/**
 * ABOR with Telnet IP and Synch during a RETR (RFC 959 §4.1.3) against real vsftpd, directly and through
 * the proxy. The Synch's DM travels as TCP urgent data, which Node can neither read nor send: the proxy
 * relays IAC IP IAC ABOR in band, and vsftpd, which notices an ABOR mid-transfer only by SIGURG, reads it
 * after the transfer. The client (test/helpers/urgent-abor.py) keeps reading the data connection to its end.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { LaunchedServer } from '../../servers/real/common.js';
import { createVsftpdLauncher } from '../../servers/real/vsftpd.js';
import { startProxy } from '../../src/proxy/proxy.js';

const CLIENT = fileURLToPath(new URL('../helpers/urgent-abor.py', import.meta.url));
/** Far more than loopback socket buffers hold: an ABOR acted on at once stops the transfer short. */
const SIZE = 32 * 1024 * 1024;

interface Aborted {
  /** The final lines of the two replies after the 150. */
  readonly replies: readonly string[];
  /** Data octets the client received. */
  readonly received: number;
}

/** Runs the aborting client against 127.0.0.1:port; `style`: which octet of the Synch goes urgent (see the script). */
function abortDownload(server: LaunchedServer, port: number, style: 'rfc' | 'netftp' = 'rfc'): Promise<Aborted> {
  const login = server.login ?? { user: 'anonymous', password: 'guest' };
  const args = [CLIENT, '127.0.0.1', String(port), login.user, login.password, '/pub/big.bin', style];
  return new Promise((resolve, reject) => {
    execFile('python3', args, { timeout: 50_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`urgent-abor.py failed: ${stderr.trim() || error.message}`));
      resolve(JSON.parse(stdout) as Aborted);
    });
  });
}

/** Starts vsftpd with a 32 MiB /pub/big.bin, runs `body`, and always stops it. */
async function withVsftpd(asyncAbort: boolean, body: (server: LaunchedServer) => Promise<void>): Promise<void> {
  const server = await createVsftpdLauncher({ asyncAbort }).start({});
  try {
    await server.put?.('/pub/big.bin', randomBytes(SIZE));
    await body(server);
  } finally {
    await server.close();
  }
}

describe('ABOR with IAC IP and an urgent Synch during RETR, vsftpd (real)', () => {
  it('with async_abor_enable=YES: direct, 426 and 226 at once; through the proxy the ABOR is read only after the whole transfer', async () => {
    await withVsftpd(true, async (server) => {
      const direct = await abortDownload(server, server.port);
      expect(direct.replies).toEqual(['426 Failure writing network stream.', '226 ABOR successful.']);
      expect(direct.received).toBeLessThan(SIZE);

      const lines: string[] = [];
      const proxy = await startProxy({ upstream: { host: server.host, port: server.port }, faults: [], protocol: 'ftp', onLine: (line) => lines.push(line) });
      try {
        const proxied = await abortDownload(server, proxy.port);
        // The whole file, then the ABOR read as a line, its DM put back in band (else vsftpd, reading IAC A
        // as a Telnet pair, answers "BOR" with 500 Unknown command).
        expect(proxied).toEqual({ replies: ['226 Transfer complete.', '225 No transfer to ABOR.'], received: SIZE });
        await proxy.idle();
        const relayed = lines.map((line) => line.replace(/^\+\s*[\d.]+ms #\d+ /, ''));
        const abor = relayed.indexOf('C  \\xff\\xf4\\xffABOR');
        expect(abor).toBeGreaterThan(0);
        expect(relayed.slice(abor)).toEqual(
          expect.arrayContaining([
            '-- the Synch octet the client sent as urgent data goes on in band (the proxy cannot read or send urgent data)',
            'S  226 Transfer complete.',
            'S  225 No transfer to ABOR.',
          ]),
        );
      } finally {
        await proxy.close();
      }
    });
  });

  it("Net::FTP's way (IAC IP IAC urgent, then DM ABOR): the same, direct and through the proxy", async () => {
    await withVsftpd(true, async (server) => {
      const direct = await abortDownload(server, server.port, 'netftp');
      expect(direct.replies).toEqual(['426 Failure writing network stream.', '226 ABOR successful.']);
      expect(direct.received).toBeLessThan(SIZE);
      const proxy = await startProxy({ upstream: { host: server.host, port: server.port }, faults: [], protocol: 'ftp' });
      try {
        expect(await abortDownload(server, proxy.port, 'netftp')).toEqual({ replies: ['226 Transfer complete.', '225 No transfer to ABOR.'], received: SIZE });
      } finally {
        await proxy.close();
      }
    });
  });

  it('vsftpd answers IAC IP IAC ABOR (the DM lost) with 500 and IAC IP IAC DM ABOR with 225: why the proxy puts the DM back', async () => {
    await withVsftpd(false, async (server) => {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.setEncoding('latin1');
      let text = '';
      const waiters = new Set<() => void>();
      socket.on('data', (chunk: string) => {
        text += chunk;
        for (const wake of waiters) wake();
      });
      /** Sends `line` and resolves with the next reply's final line. */
      const command = (line: string | undefined): Promise<string> => {
        const from = text.length;
        if (line !== undefined) socket.write(Buffer.from(`${line}\r\n`, 'latin1'));
        return new Promise((resolve) => {
          const check = (): void => {
            const last = /^\d{3} .*$/m.exec(text.slice(from));
            if (!last) return;
            waiters.delete(check);
            resolve(last[0].replace(/\r$/, ''));
          };
          waiters.add(check);
          check();
        });
      };
      try {
        expect(await command(undefined)).toMatch(/^220 /);
        const login = server.login ?? { user: 'anonymous', password: 'guest' };
        expect(await command(`USER ${login.user}`)).toMatch(/^331 /);
        expect(await command(`PASS ${login.password}`)).toMatch(/^230 /);
        expect(await command('\xff\xf4\xffABOR')).toBe('500 Unknown command.');
        expect(await command('\xff\xf4\xff\xf2ABOR')).toBe('225 No transfer to ABOR.');
      } finally {
        socket.destroy();
      }
    });
  });

  it("with vsftpd's default async_abor_enable=NO the ABOR is read after the transfer even directly", async () => {
    await withVsftpd(false, async (server) => {
      expect(await abortDownload(server, server.port)).toEqual({ replies: ['226 Transfer complete.', '225 No transfer to ABOR.'], received: SIZE });
    });
  });
});
