/**
 * The real servers' launchers on ::1 (`host: '::1'`, as `--family 6` starts them): each listens there, a
 * client greets it (SMTP) or logs in and moves a file (FTP) over IPv6, and what each FTP server answers
 * to PASV on an IPv6 control connection, which a 227 cannot serve (RFC 2428 §1), is pinned as measured.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Readable } from 'node:stream';
import { Client } from 'basic-ftp';
import { describe, expect, it } from 'vitest';
import type { LaunchedServer, ProcessLauncher } from '../../servers/real/common.js';
import { eximLauncher } from '../../servers/real/exim.js';
import { postfixLauncher } from '../../servers/real/postfix.js';
import { proftpdLauncher } from '../../servers/real/proftpd.js';
import { pureFtpdLauncher } from '../../servers/real/pure-ftpd.js';
import { vsftpdLauncher } from '../../servers/real/vsftpd.js';

/**
 * Connects to [::1]:port, sends each of `lines` after the reply before it, and gives every reply (the
 * greeting first; a multi-line one's lines joined with \n) once the server closes.
 */
function converse(port: number, lines: readonly string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '::1', port });
    const replies: string[] = [];
    let buffer = '';
    let reply = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        reply += reply ? `\n${line}` : line;
        if (!/^\d{3} /.test(line)) continue;
        const next = lines[replies.length];
        replies.push(reply);
        reply = '';
        if (next !== undefined) socket.write(`${next}\r\n`);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(replies));
  });
}

async function withServer(launcher: ProcessLauncher, body: (server: LaunchedServer) => Promise<void>): Promise<void> {
  const server = await launcher.start({ host: '::1' });
  try {
    expect([server.host, server.url]).toEqual(['::1', `${server.protocol}://[::1]:${server.port}`]);
    await body(server);
  } finally {
    await server.close();
  }
}

describe('SMTP launchers on ::1', () => {
  it.each([
    ['postfix', postfixLauncher, /^250-mx\.example\.test$/m],
    // Exim names the address the client came from.
    ['exim', eximLauncher, /^250-mx\.example\.test Hello client\.example\.test \[::1\]$/m],
  ] as const)('%s greets a client over IPv6 and answers its EHLO', async (_name, launcher, ehlo) => {
    await withServer(launcher, async (server) => {
      const replies = await converse(server.port, ['EHLO client.example.test', 'QUIT']);
      expect(replies).toHaveLength(3);
      expect(replies[0]).toMatch(/^220[ -]/);
      expect(replies[1]).toMatch(ehlo);
      expect(replies[2]).toMatch(/^221 /);
    });
  });
});

describe('FTP launchers on ::1', () => {
  it.each([
    // vsftpd 3.0.3 answers PASV on an IPv6 connection with an address of zeros: nothing to connect to.
    ['vsftpd', vsftpdLauncher, /^227 Entering Passive Mode \(0,0,0,0,\d+,\d+\)\.$/],
    // pure-ftpd refuses it and names EPSV.
    ['pure-ftpd', pureFtpdLauncher, /^425 You cannot use PASV on IPv6 connections\. Use EPSV instead\.$/],
    // proftpd names its MasqueradeAddress (the launcher's 127.0.0.1), where its passive socket is not.
    ['proftpd', proftpdLauncher, /^227 Entering Passive Mode \(127,0,0,1,\d+,\d+\)\.$/],
  ] as const)('%s: a login over IPv6, EPSV moves a file, and PASV is answered as measured', async (_name, launcher, pasv) => {
    await withServer(launcher, async (server) => {
      const login = server.login!;
      const replies = await converse(server.port, [`USER ${login.user}`, `PASS ${login.password}`, 'PASV', 'EPSV', 'QUIT']);
      expect(replies.slice(2)).toEqual([
        expect.stringMatching(/^230 /),
        expect.stringMatching(pasv),
        expect.stringMatching(/^229 .*\(\|\|\|\d+\|\)/),
        expect.stringMatching(/^221/),
      ]);
      const data = randomBytes(64 * 1024);
      const client = new Client(5_000);
      try {
        await client.access({ host: '::1', port: server.port, user: login.user, password: login.password });
        await client.uploadFrom(Readable.from([data]), `${login.dir}/v6.bin`);
      } finally {
        client.close();
      }
      expect((await server.read!(`${login.dir}/v6.bin`))?.equals(data)).toBe(true);
    });
  });
});
