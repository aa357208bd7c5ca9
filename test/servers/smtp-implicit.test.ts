/**
 * The mock SMTP server's TLS with a given certificate: implicit TLS from the first octet (RFC 8314 §3.3,
 * port 465 style) and STARTTLS, each presenting the certificate the run's CA issued.
 */
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpServer, type SmtpServerHandle } from '../../servers/smtp.js';
import { createPrivateCa, type KeyPair, type PrivateCa } from '../../src/tls/ca.js';

let ca: PrivateCa;
let issued: KeyPair;
const servers: SmtpServerHandle[] = [];

beforeAll(async () => {
  ca = await createPrivateCa();
  issued = await ca.issue();
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** Reads from `socket` until a reply whose last line has a space after the code; resolves with all its lines. */
function reply(socket: tls.TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (/(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(text)) {
        socket.off('data', onData);
        resolve(text);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

describe('mock SMTP server: implicit TLS and a given certificate', () => {
  it("speaks TLS from the first octet with the given certificate, the CA's clients trust it, and offers no STARTTLS inside", async () => {
    const server = await startSmtpServer({ tls: 'implicit', certificate: issued });
    servers.push(server);
    expect(server.url).toBe(`smtps://127.0.0.1:${server.port}`);
    const socket = tls.connect({ host: '127.0.0.1', port: server.port, ca: ca.cert });
    const greeting = reply(socket);
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    expect(socket.authorized).toBe(true);
    expect(socket.getPeerX509Certificate()?.fingerprint256).toBe(new X509Certificate(issued.cert).fingerprint256);
    expect(await greeting).toMatch(/^220 /);
    const ehlo = reply(socket);
    socket.write('EHLO client.test\r\n');
    const lines = await ehlo;
    expect(lines).toMatch(/^250[ -]/);
    expect(lines).not.toContain('STARTTLS');
    socket.destroy();
    await server.idle();
    expect(server.connections()).toBe(0);
  });

  it('offers STARTTLS with the given certificate', async () => {
    const server = await startSmtpServer({ tls: 'starttls', certificate: issued });
    servers.push(server);
    expect(server.url).toBe(`smtp://127.0.0.1:${server.port}`);
    const plain = net.connect(server.port, '127.0.0.1');
    const lines: string[] = [];
    let buffer = '';
    const next = (): Promise<string> =>
      new Promise((resolve) => {
        const take = (): void => {
          const end = buffer.indexOf('\r\n');
          if (end < 0) return void plain.once('data', (chunk: Buffer) => ((buffer += chunk.toString('latin1')), take()));
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          lines.push(line);
          resolve(line);
        };
        take();
      });
    const until = async (): Promise<string> => {
      let line = await next();
      while (line[3] === '-') line = await next();
      return line;
    };
    expect(await until()).toMatch(/^220 /);
    plain.write('EHLO client.test\r\n');
    await until();
    expect(lines.filter((l) => /^250[- ]STARTTLS$/.test(l))).toHaveLength(1);
    plain.write('STARTTLS\r\n');
    expect(await until()).toMatch(/^220 /);
    const secure = tls.connect({ socket: plain, servername: 'localhost', ca: ca.cert });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    expect(secure.authorized).toBe(true);
    expect(secure.getPeerX509Certificate()?.fingerprint256).toBe(new X509Certificate(issued.cert).fingerprint256);
    secure.destroy();
    await server.idle();
  });

  it('drops a client that speaks plaintext to the implicit-TLS port, without a greeting, and settles', async () => {
    const server = await startSmtpServer({ tls: 'implicit', certificate: issued });
    servers.push(server);
    const socket = net.connect(server.port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => void (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write('EHLO client.test\r\n');
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(received).not.toMatch(/^220/);
    await server.idle();
    expect(server.connections()).toBe(0);
  });
});
