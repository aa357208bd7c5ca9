/**
 * PROT P data connections whose TLS handshake fails (no TLS at all: a FIN, or clear bytes) get 425 on
 * their transfer and store nothing, in active and passive mode, whichever of the 150 and the failure
 * comes first (issue 16: curl 7.88.1 in active mode, the proxy FINs toward the mock before any handshake).
 */
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type FtpServerHandle, startFtpServer } from '../../servers/ftp.js';
import { RawFtps } from '../helpers/raw-ftps.js';

const REFUSED = '425 Cannot open data connection: TLS handshake failed';
const RUNS = 5;

let cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  const pending = cleanups;
  cleanups = [];
  for (const close of pending.reverse()) await close();
});

/** A mock with explicit FTPS and a client logged in under AUTH TLS, PBSZ 0, PROT P. */
async function protected_(files: Record<string, Buffer> = {}): Promise<{ server: FtpServerHandle; client: RawFtps }> {
  const server = await startFtpServer({ tls: 'explicit', files });
  cleanups.push(() => server.close());
  const { client } = await RawFtps.connect(server.port);
  cleanups.push(() => client.close());
  expect(await client.auth()).toMatch(/^234 /);
  expect(await client.command('PBSZ 0')).toBe('200 PBSZ=0');
  expect(await client.login()).toMatch(/^230 /);
  expect(await client.command('PROT P')).toBe('200 PROT now Private.');
  return { server, client };
}

/** Active mode: a listener the test owns, announced with EPRT; resolves with the mock's data connection. */
async function active(client: RawFtps): Promise<net.Socket> {
  const listener = net.createServer().listen(0, '127.0.0.1');
  cleanups.push(() => void listener.close());
  await once(listener, 'listening');
  const { port } = listener.address() as net.AddressInfo;
  const accepted = once(listener, 'connection') as Promise<[net.Socket]>;
  expect(await client.command(`EPRT |1|127.0.0.1|${port}|`)).toMatch(/^200 /);
  const [socket] = await accepted;
  socket.on('error', () => undefined);
  return socket;
}

/** Passive mode: EPSV and a clear connection to it. */
async function passive(client: RawFtps): Promise<net.Socket> {
  const socket = await client.data('clear');
  socket.on('error', () => undefined);
  return socket;
}

/** What the test does on the data connection instead of a ClientHello. */
const spoil = {
  fin: (socket: net.Socket) => socket.end(),
  clear: (socket: net.Socket) => socket.end('clear bytes, not a TLS record\r\n'),
};

describe('a PROT P data connection whose TLS handshake fails: 425, nothing stored', () => {
  for (const mode of ['active', 'passive'] as const) {
    for (const how of ['fin', 'clear'] as const) {
      it(`${mode}, ${how} after the 150: 150 then 425`, async () => {
        const { server, client } = await protected_();
        for (let i = 0; i < RUNS; i++) {
          const socket = await (mode === 'active' ? active(client) : passive(client));
          expect(await client.command(`STOR late${i}.bin`)).toMatch(/^150 /);
          spoil[how](socket);
          expect(await client.reply()).toBe(REFUSED);
        }
        expect(server.files.filter((f) => f.complete || f.received > 0)).toEqual([]);
      });

      it(`${mode}, ${how} before the STOR: 150 then 425`, async () => {
        const { server, client } = await protected_();
        for (let i = 0; i < RUNS; i++) {
          const socket = await (mode === 'active' ? active(client) : passive(client));
          const closed = once(socket, 'close');
          spoil[how](socket);
          await closed;
          expect(await client.command(`STOR early${i}.bin`)).toMatch(/^150 /);
          expect(await client.reply()).toBe(REFUSED);
        }
        expect(server.files.filter((f) => f.complete || f.received > 0)).toEqual([]);
      });

      it(`${mode}, ${how} while the STOR is on its way: 425`, async () => {
        const { server, client } = await protected_();
        for (let i = 0; i < RUNS; i++) {
          const socket = await (mode === 'active' ? active(client) : passive(client));
          client.socket.write(`STOR race${i}.bin\r\n`);
          spoil[how](socket);
          expect(await client.reply()).toMatch(/^150 /);
          expect(await client.reply()).toBe(REFUSED);
        }
        expect(server.files.filter((f) => f.complete || f.received > 0)).toEqual([]);
      });
    }
  }

  for (const mode of ['active', 'passive'] as const) {
    it(`${mode} RETR, FIN after the 150: 150 then 425, not one octet sent`, async () => {
      const { client } = await protected_({ '/d.bin': Buffer.alloc(10_000, 7) });
      for (let i = 0; i < RUNS; i++) {
        const socket = await (mode === 'active' ? active(client) : passive(client));
        let received = 0;
        socket.on('data', (chunk: Buffer) => (received += chunk.length));
        const closed = once(socket, 'close');
        expect(await client.command('RETR d.bin')).toMatch(/^150 /);
        socket.end();
        expect(await client.reply()).toBe(REFUSED);
        await closed;
        expect(received).toBe(0);
      }
    });
  }
});
