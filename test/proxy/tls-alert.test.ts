/**
 * The `alert` fault (src/faults/alert.ts): a TLS client's ClientHello, after the 220 to STARTTLS, the
 * 234 to AUTH TLS or as the first octet (implicit), is answered by one plaintext fatal alert record and
 * a FIN. The client's TLS stack names the alert; nothing the client sent after its STARTTLS reaches the
 * server, and the server's leg never starts TLS.
 */
import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { startFtpServer } from '../../servers/ftp.js';
import { startSmtpServer } from '../../servers/smtp.js';
import { SUITES } from '../../suites/index.js';
import { basicFtpClient } from '../../src/clients/basic-ftp.js';
import { nodemailerPlain } from '../../src/clients/nodemailer.js';
import { builtinTargets } from '../../src/commands/targets.js';
import { runScenario } from '../../src/engine/run.js';
import { alertRecord } from '../../src/faults/alert.js';
import { parseFault } from '../../src/faults/parse.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/proxy.js';
import { tlsFixture, until } from '../helpers/tls-fixture.js';

const fx = tlsFixture();
const { cleanups } = fx;

type Mode = 'starttls' | 'implicit';

/** A mock server (SMTP or FTP) in `mode`, behind a TLS-terminating proxy armed with `fault`. */
async function setup(protocol: 'smtp' | 'ftp', fault: string, mode: Mode): Promise<{ proxy: ProxyHandle; received: () => string }> {
  const server =
    protocol === 'smtp'
      ? await startSmtpServer({ tls: mode })
      : await startFtpServer({ users: { alice: 'secret-pw' }, anonymous: 'off', tls: mode === 'implicit' ? 'implicit' : 'explicit' });
  cleanups.push(() => server.close());
  const proxy = await startProxy({
    upstream: { host: '127.0.0.1', port: server.port },
    protocol,
    faults: [parseFault(fault)],
    tls: { identity: fx.identity, mode },
  });
  cleanups.push(() => proxy.close());
  // What the server was sent, as the proxy's transcript has it: lines from the client ('C').
  return { proxy, received: () => proxy.sessions().at(-1)?.transcript.join('\n') ?? '' };
}

/** The clear-text part up to the grant: SMTP EHLO then STARTTLS (220), FTP AUTH TLS (234). */
async function upgrade(raw: net.Socket, protocol: 'smtp' | 'ftp'): Promise<void> {
  await until(raw, '220 ');
  if (protocol === 'smtp') {
    raw.write('EHLO me\r\n');
    await until(raw, '250 ');
    raw.write('STARTTLS\r\n');
    await until(raw, '220 ');
  } else {
    raw.write('AUTH TLS\r\n');
    await until(raw, '234 ');
  }
}

/** A Node TLS client's handshake through the proxy: its error code (`secure` if it completed). */
async function handshake(proxy: ProxyHandle, protocol: 'smtp' | 'ftp', mode: Mode): Promise<string> {
  const raw = net.connect({ host: '127.0.0.1', port: proxy.port });
  cleanups.push(async () => void raw.destroy());
  if (mode === 'starttls') await upgrade(raw, protocol);
  const secure = tls.connect({ socket: raw, ca: fx.ca.cert, servername: 'localhost' });
  cleanups.push(async () => void secure.destroy());
  return new Promise((resolve) => {
    secure.once('secureConnect', () => resolve('secure'));
    secure.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** The octets a raw client gets back for a ClientHello-looking first record, until the proxy's FIN. */
async function rawAnswer(proxy: ProxyHandle): Promise<{ bytes: Buffer; end: string }> {
  const raw = net.connect({ host: '127.0.0.1', port: proxy.port });
  cleanups.push(async () => void raw.destroy());
  await upgrade(raw, 'smtp');
  const chunks: Buffer[] = [];
  raw.on('data', (d: Buffer) => chunks.push(d));
  const end = new Promise<string>((resolve) => {
    raw.once('end', () => resolve('FIN'));
    raw.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
  // A handshake record header and a few octets: the proxy answers the first octets, whatever they hold.
  raw.write(Buffer.from([22, 3, 1, 0, 4, 1, 0, 0, 0]));
  return { end: await end, bytes: Buffer.concat(chunks) };
}

describe('alert before handshake', () => {
  it('writes exactly one fatal alert record (21, 0x0303, length 2, fatal, 40), then a FIN', async () => {
    const { proxy } = await setup('smtp', 'alert before handshake', 'starttls');
    const answer = await rawAnswer(proxy);
    expect(answer).toEqual({ bytes: Buffer.from([21, 3, 3, 0, 2, 2, 40]), end: 'FIN' });
    expect(alertRecord(80)).toEqual(Buffer.from([21, 3, 3, 0, 2, 2, 80]));
  });

  for (const protocol of ['smtp', 'ftp'] as const) {
    for (const mode of ['starttls', 'implicit'] as const) {
      it(`${protocol} ${mode}: Node's TLS client names the alert; the server never sees TLS nor anything after the grant`, async () => {
        const { proxy, received } = await setup(protocol, 'alert before handshake', mode);
        expect(await handshake(proxy, protocol, mode)).toBe('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE');
        await proxy.idle();
        const session = proxy.sessions().at(-1)!;
        expect(session).toMatchObject({ faultFired: true, clientSaw: 'fin' });
        expect(session.tls?.client).toBeUndefined();
        expect(session.tls?.server).toBeUndefined();
        expect(session.endings).toContain('FIN to client');
        expect(received()).toMatch(
          /TLS handshake: \d+ octets, not answered[\s\S]*fault fired: alert before handshake\n.*proxy sends to client: TLS alert handshake_failure\(40\), fatal\n.*FIN to client/,
        );
      });
    }
  }

  it('names the alert it was given: protocol_version (70), internal_error by number (80)', async () => {
    const version = await setup('smtp', 'alert protocol_version before handshake', 'implicit');
    expect(await handshake(version.proxy, 'smtp', 'implicit')).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
    const internal = await setup('smtp', 'alert 80 before handshake', 'implicit');
    expect(await handshake(internal.proxy, 'smtp', 'implicit')).toBe('ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR');
    await internal.proxy.idle();
    expect(internal.received()).toContain('proxy sends to client: TLS alert internal_error(80), fatal');
  });

  it("through the engine, the suites' cells: nodemailer and basic-ftp (passive) are closed@tls, conformant, nothing sent", async () => {
    const scenario = (id: string) => SUITES.flatMap((suite) => suite.scenarios).find((s) => s.id === id)!;
    const smtp = await runScenario({ scenario: scenario('smtp/tls/alert-handshake'), client: nodemailerPlain }, builtinTargets());
    const ftp = await runScenario({ scenario: scenario('ftp/tls/alert-handshake'), client: basicFtpClient, mode: 'passive' }, builtinTargets());
    for (const result of [smtp, ftp]) {
      expect(result).toMatchObject({ verdict: 'conformant', faultFired: true, outcome: { kind: 'closed', phase: 'tls', bytesSent: 0 } });
      // The client's own words name the alert it got (Node's code for a received handshake_failure).
      expect(result.outcome?.detail).toContain('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE');
    }
  });
});
