/**
 * Every SMTP client against the mock directly (no proxy), over TLS: implicit TLS (RFC 8314 §3.3) and
 * STARTTLS (RFC 3207), verifying against the job's CA file (the run's private CA, src/tls/ca.ts) or not.
 * A certificate another CA issued is rejected: the client's own code for it, which classify makes `closed`
 * (the client gave up on the session itself), and the mock holds nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpServer, type SmtpServerOptions } from '../../servers/smtp.js';
import { curlClient } from '../../src/clients/curl.js';
import { msmtpClient } from '../../src/clients/msmtp.js';
import { nodemailerPlain, nodemailerPool } from '../../src/clients/nodemailer.js';
import { smtplibClient } from '../../src/clients/smtplib.js';
import { swaksClient } from '../../src/clients/swaks.js';
import type { ClientError, ClientReport, SmtpClientAdapter, TlsMode } from '../../src/clients/types.js';
import { classify } from '../../src/engine/classify.js';
import { createPrivateCa, writeCaFile, type KeyPair } from '../../src/tls/ca.js';
import { contentOf } from '../../src/util/content.js';

const TIMEOUTS = { connect: 10_000, greeting: 10_000, socket: 10_000, deadline: 30_000 };
const MESSAGE = Buffer.from('From: a@wireprobe.test\r\nTo: b@wireprobe.test\r\nSubject: tls\r\n\r\nover TLS\r\n');

/** What each client says when it rejects a certificate another CA issued: its own codes, as the adapter reports them. */
const REJECTED: readonly (readonly [SmtpClientAdapter, Partial<ClientError>])[] = [
  [nodemailerPlain, { code: 'ESOCKET', cause: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }],
  [nodemailerPool, { code: 'ESOCKET', cause: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }],
  [curlClient, { exitCode: 60 }], // CURLE_PEER_FAILED_VERIFICATION
  [swaksClient, { exitCode: 29 }], // error in TLS transaction
  [msmtpClient, { exitCode: 69 }], // EX_UNAVAILABLE (TLS_ECERT)
  [smtplibClient, { code: 'SSLCertVerificationError' }],
];

let dir: string;
let caFile: string;
let issued: KeyPair;
let foreign: KeyPair;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wireprobe-smtp-tls-'));
  const [ca, other] = await Promise.all([createPrivateCa(), createPrivateCa()]);
  caFile = await writeCaFile(ca, dir);
  [issued, foreign] = await Promise.all([ca.issue(), other.issue()]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `client` once against a mock started with `server`; resolves with its report and what the mock accepted. */
async function send(client: SmtpClientAdapter, tls: TlsMode, server: SmtpServerOptions): Promise<{ report: ClientReport; accepted: number }> {
  const mock = await startSmtpServer(server);
  try {
    const job = {
      host: '127.0.0.1',
      port: mock.port,
      from: 'a@wireprobe.test',
      to: ['b@wireprobe.test'],
      content: contentOf(MESSAGE),
      timeouts: TIMEOUTS,
      tls,
      ca: caFile,
    };
    const report = await client.run(job, AbortSignal.timeout(TIMEOUTS.deadline));
    return { report, accepted: mock.accepted() };
  } finally {
    await mock.close();
  }
}

describe.concurrent.each(REJECTED.map(([client, rejected]) => ({ name: client.name, client, rejected })))('$name over TLS', ({ client, rejected }) => {
  it('implicit delivers, the mock speaking TLS from the first octet with its self-signed certificate', async () => {
    const { report, accepted } = await send(client, 'implicit', { tls: 'implicit' });
    expect(report).toMatchObject({ ok: true });
    expect(accepted).toBe(1);
  });

  it("implicit-verify delivers when the job's CA issued the mock's certificate", async () => {
    const { report, accepted } = await send(client, 'implicit-verify', { tls: 'implicit', certificate: issued });
    expect(report).toMatchObject({ ok: true });
    expect(accepted).toBe(1);
  });

  it("starttls-verify delivers when the job's CA issued the mock's certificate", async () => {
    const { report, accepted } = await send(client, 'starttls-verify', { tls: 'starttls', certificate: issued });
    expect(report).toMatchObject({ ok: true });
    expect(accepted).toBe(1);
  });

  for (const [mode, tls] of [
    ['implicit-verify', 'implicit'],
    ['starttls-verify', 'starttls'],
  ] as const) {
    it(`${mode} rejects a certificate another CA issued: its own code for it, classified closed, nothing delivered`, async () => {
      const { report, accepted } = await send(client, mode, { tls, certificate: foreign });
      expect(report).toMatchObject({ ok: false, error: rejected });
      expect(accepted).toBe(0);
      // The client closed the connection itself: the server neither reset nor closed it.
      const outcome = classify({ report, phase: 'tls', bytesSent: 0, wire: { clientSaw: null }, exitCodes: client.exitCodes ?? {} });
      expect(outcome).toMatchObject({ kind: 'closed', phase: 'tls' });
    });
  }
});
