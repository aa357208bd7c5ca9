/**
 * `ftp.port-bounce` passes only on a refusal (5xx). Twisted's FTP server connects to whatever address
 * PORT names, at once: naming a third-party address where nothing listens, it answers 425, which is no
 * refusal (the probe had called it a pass).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ftpDataChecks } from '../../src/probe/ftp-data.js';
import { LIMITS, PASSWORD, USER, byId } from '../helpers/ftp-probe.js';

const servers: net.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A server that logs anyone in and answers every PORT with `port` (nothing passive: 502). */
async function scripted(port: string): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write('220 ready\r\n');
    socket.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('latin1').split('\r\n').filter(Boolean)) {
        const verb = line.split(' ')[0]!.toUpperCase();
        const reply =
          verb === 'USER' ? '331 password' : verb === 'PASS' ? '230 in' : verb === 'PORT' ? port : verb === 'QUIT' ? '221 bye' : `502 ${verb} not implemented`;
        socket.write(`${reply}\r\n`);
        if (verb === 'QUIT') socket.end();
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('ftp.port-bounce', () => {
  it.each([
    ["425 Can't open data connection.", 'warn', /was not refused: the server tried to connect there at once \(425 /],
    ['200 PORT OK', 'warn', /was accepted: refuse it/],
    ['500 Illegal PORT command.', 'pass', /was refused \(500 /],
  ] as const)('reads %j as %s', async (reply, status, advice) => {
    const port = await scripted(reply);
    const findings = await ftpDataChecks({ protocol: 'ftp', host: '127.0.0.1', port, user: USER, password: PASSWORD }, LIMITS);
    const bounce = byId(findings, 'ftp.port-bounce');
    expect(bounce.status).toBe(status);
    expect(bounce.advice).toMatch(advice);
  });
});
